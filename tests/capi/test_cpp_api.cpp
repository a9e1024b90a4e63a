// The header-only C++ API, linked against the shared library only (as a user would).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
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

TEST_CASE("methods and options are listed through status-returning calls") {
    const std::vector<std::string> names = upres::methods();
    CHECK(names.size() >= 2);
    bool bicubic = false;
    for (const auto& n : names) bicubic = bicubic || n == "bicubic";
    CHECK(bicubic);
    int32_t count = 0;
    REQUIRE(upres_option_count(&count) == UPRES_OK);
    bool quality = false, jpeg_quality = false;
    for (int32_t i = 0; i < count; ++i) {
        const char* name = nullptr;
        REQUIRE(upres_option_describe(i, &name, nullptr, nullptr, nullptr, nullptr) == UPRES_OK);
        quality = quality || std::string(name) == "quality";
        jpeg_quality = jpeg_quality || std::string(name) == "jpeg_quality";
    }
    CHECK(quality);
    CHECK(!jpeg_quality);
    upres::Options o;
    CHECK(o.get_int("auto_orient") == 1);
    CHECK(o.get_string("tiff_compression") == "deflate");
    CHECK(o.get_string("chroma_subsampling") == "auto");
}

TEST_CASE("bitmaps carry metadata: set, get, copy, remove, orientation") {
    upres::Bitmap a(4, 3, 3, UPRES_SAMPLE_U8);
    for (int32_t kind : {UPRES_METADATA_ICC, UPRES_METADATA_EXIF, UPRES_METADATA_XMP, UPRES_METADATA_IPTC})
        CHECK(a.metadata(kind).empty());
    CHECK(a.orientation() == 1);
    const std::string icc("icc\0profile", 11);
    a.set_metadata(UPRES_METADATA_ICC, icc);
    a.set_metadata(UPRES_METADATA_EXIF, std::string("MM\0*", 4));
    a.set_orientation(8);
    CHECK(a.metadata(UPRES_METADATA_ICC) == icc);
    CHECK(a.metadata(UPRES_METADATA_EXIF).size() == 4);

    upres::Bitmap b(2, 2, 1, UPRES_SAMPLE_F32);
    b.copy_metadata_from(a);
    CHECK(b.metadata(UPRES_METADATA_ICC) == icc);
    CHECK(b.orientation() == 8);
    b.set_metadata(UPRES_METADATA_ICC, "");  // empty removes
    CHECK(b.metadata(UPRES_METADATA_ICC).empty());
    CHECK(a.metadata(UPRES_METADATA_ICC) == icc);

    for (int32_t bad : {0, 5}) {
        try {
            (void)a.metadata(bad);
            FAIL("kind " << bad << " accepted");
        } catch (const upres::Error& e) {
            CHECK(e.status() == UPRES_E_INVALID_ARGUMENT);
        }
        CHECK_THROWS_AS(a.set_metadata(bad, "x"), upres::Error);
    }
    for (int32_t bad : {0, 9}) {
        try {
            a.set_orientation(bad);
            FAIL("orientation " << bad << " accepted");
        } catch (const upres::Error& e) {
            CHECK(e.status() == UPRES_E_INVALID_ARGUMENT);
        }
    }
    CHECK(a.orientation() == 8);
}

TEST_CASE("files: save_file and load_file round trip, check_output, file_formats") {
    std::vector<uint16_t> px(7 * 4 * 3);
    for (size_t i = 0; i < px.size(); ++i) px[i] = uint16_t(i * 1237u);
    upres::Image pixels = upres::Image::packed(7, 4, 3, UPRES_SAMPLE_U16, px.data());
    const std::string path = "cpp_api_round_trip.png";

    upres::save_file(path, pixels);  // pixels alone
    const upres::Image info = upres::probe_file(path);
    CHECK(info.width == 7);
    CHECK(info.height == 4);
    CHECK(info.sample_type == UPRES_SAMPLE_U16);
    upres::Bitmap back = upres::load_file(path);
    CHECK(std::memcmp(back.view().data, px.data(), px.size() * 2) == 0);

    // load -> resample -> copy metadata -> save_file (the bitmap with its metadata)
    upres::Bitmap big = upres::Resampler("nearest").run(back, 14, 8);
    big.copy_metadata_from(back);
    upres::Options options;
    options.set("progressive", 1);
    upres::save_file(path, big, options);
    upres::Bitmap again = upres::load_file(path, upres::Options().set("auto_orient", 0));
    CHECK(again.width() == 14);
    CHECK(std::memcmp(again.view().data, big.view().data, 14 * 8 * 3 * 2) == 0);
    std::remove(path.c_str());

    CHECK_NOTHROW(upres::check_output("out.png", 20000, 10, 4));
    try {
        upres::check_output("out.jpg", 70000, 10, 3);
        FAIL("JPEG over 65535 pixels accepted");
    } catch (const upres::Error& e) {
        CHECK(e.status() == UPRES_E_LIMIT);
        CHECK(std::string(e.what()).find("65535") != std::string::npos);
    }
    try {
        upres::check_output("out.xyz", 10, 10, 3);
        FAIL("unknown extension accepted");
    } catch (const upres::Error& e) {
        CHECK(e.status() == UPRES_E_INVALID_ARGUMENT);
    }
    CHECK_THROWS_AS(upres::save_file("cpp_api_nothing.jpg", upres::Bitmap(4, 4, 4, UPRES_SAMPLE_U8)), upres::Error);

    bool png = false;
    for (const upres::FileFormat& f : upres::file_formats()) {
        CHECK(!f.name.empty());
        CHECK((f.codec == "libvips" || f.codec == "stb"));
        if (f.name == "png") png = f.read && f.write && f.extensions.find("png") != std::string::npos;
    }
    CHECK(png);

    std::vector<char> junk(32, 'x');
    try {
        (void)upres::load_file_memory(junk.data(), junk.size());
        FAIL("junk decoded");
    } catch (const upres::Error& e) {
        CHECK(e.status() == UPRES_E_FORMAT);
    }
}
