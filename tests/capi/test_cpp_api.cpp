// The header-only C++ API, linked against the shared library only (as a user would).
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <upres/upres.hpp>

TEST_CASE("errors carry status and message") {
    try {
        upres::Resampler r("no-such-method");
        FAIL("no exception");
    } catch (const upres::Error& e) {
        CHECK(e.status() == UPRES_E_NOT_FOUND);
        CHECK(std::string(e.what()).find("no-such-method") != std::string::npos);
        CHECK(std::string(e.status_name()) == "UPRES_E_NOT_FOUND");
    }
    upres::Options o;
    CHECK_THROWS_AS(o.set("threads", int64_t(-1)), upres::Error);
    CHECK(o.set("edge", "wrap").get_string("edge") == "wrap");
    upres::Options copy = o.clone();
    CHECK(copy.get_string("edge") == "wrap");
    // Names in std::string reach the same typed setters and getters.
    const std::string threads = "threads", edge = "edge", missing = "no-such-option";
    CHECK(o.set(threads, 3).get_int(threads) == 3);
    CHECK(o.set(threads, int64_t(5)).get_int("threads") == 5);
    CHECK(o.set(edge, std::string("clamp")).get_string(edge) == "clamp");
    CHECK_THROWS_AS(o.set(threads, "many"), upres::Error);
    CHECK_THROWS_AS(o.set(missing, 1), upres::Error);
}

TEST_CASE("handles are move-only owners") {
    upres::Bitmap a(4, 3, 3, UPRES_SAMPLE_U8);
    upres_bitmap* raw = a.get();
    upres::Bitmap b(std::move(a));
    CHECK(!a);
    CHECK(b.get() == raw);
    upres::Bitmap c;
    c = std::move(b);
    CHECK(c.width() == 4);
    CHECK(c.view().stride_bytes == 12);
}

TEST_CASE("a resampler runs into a new bitmap and into caller pixels") {
    std::vector<uint8_t> px(6 * 5 * 3, 100);
    upres::Image src = upres::Image::packed(6, 5, 3, UPRES_SAMPLE_U8, px.data());
    upres::Resampler r("bicubic");
    upres::Bitmap big = r.run(src, 12, 10);
    CHECK(big.width() == 12);
    const upres::Image v = big.view();
    const auto* p = static_cast<const uint8_t*>(v.data);
    for (int i = 0; i < 12 * 10 * 3; ++i) CHECK(p[i] == 100);  // a constant stays constant

    std::vector<uint8_t> out(3 * 2 * 3);
    r.run(src, upres::Image::packed(3, 2, 3, UPRES_SAMPLE_U8, out.data()));
    CHECK(out[0] == 100);
}

TEST_CASE("progress can cancel, and exceptions from the callback come back to the caller") {
    std::vector<uint8_t> px(8 * 8, 7);
    upres::Image src = upres::Image::packed(8, 8, 1, UPRES_SAMPLE_U8, px.data());
    upres::Resampler r("bicubic");
    try {
        r.run(src, 16, 16, [](uint64_t, uint64_t) { return false; });
        FAIL("not cancelled");
    } catch (const upres::Error& e) {
        CHECK(e.status() == UPRES_E_CANCELLED);
    }
    struct Boom {};
    CHECK_THROWS_AS(r.run(src, 16, 16, [](uint64_t, uint64_t) -> bool { throw Boom{}; }), Boom);
    upres::CancelToken token;
    token.cancel();
    CHECK(token.cancelled());
    CHECK_THROWS_AS(r.run(src, 16, 16, {}, &token), upres::Error);
}

TEST_CASE("the last error is per thread") {
    upres::Options o;
    CHECK_THROWS(o.set("unknown_a", int64_t(1)));
    std::string other;
    std::thread t([&] {
        upres_options* raw = nullptr;
        upres_options_create(&raw);
        upres_options_set_int(raw, "unknown_b", 1);
        other = upres_last_error();
        upres_options_destroy(raw);
    });
    t.join();
    CHECK(std::string(upres_last_error()).find("unknown_a") != std::string::npos);
    CHECK(other.find("unknown_b") != std::string::npos);
}

TEST_CASE("one resampler runs on many threads at once with identical results") {
    std::vector<uint8_t> px(64 * 48 * 3);
    for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 31 % 251);
    upres::Image src = upres::Image::packed(64, 48, 3, UPRES_SAMPLE_U8, px.data());
    upres::Resampler r("bicubic");
    upres::Bitmap expected = r.run(src, 150, 100);
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int k = 0; k < 5; ++k) {
                upres::Bitmap b = r.run(src, 150, 100);
                if (std::memcmp(b.view().data, expected.view().data, 150 * 100 * 3) != 0) mismatches++;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(mismatches.load() == 0);
}

TEST_CASE("the architecture families are listed by the registry, in precedence order") {
    const std::vector<upres::Architecture> list = upres::architectures();
    REQUIRE(list.size() >= 4);
    bool rrdbnet = false;
    for (const auto& a : list) {
        CHECK(!a.name.empty());
        CHECK(!a.title.empty());
        rrdbnet = rrdbnet || a.name == "rrdbnet";
    }
    CHECK(rrdbnet);
}
