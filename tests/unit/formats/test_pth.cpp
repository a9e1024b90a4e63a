// PyTorch checkpoints: zip and legacy files written by torch.save (every dtype, views sharing a
// storage, wrapped state dicts) must give exactly the tensors Python wrote; malicious pickles are
// refused without running anything; damaged files fail cleanly.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>
#include <zlib.h>

#include "core/error.hpp"
#include "formats/inflate.hpp"
#include "formats/model_file.hpp"
#include "formats/pickle.hpp"
#include "formats/safetensors.hpp"
#include "formats/zip_reader.hpp"
#include "test_support.hpp"

using namespace upres;
using namespace upres::formats;

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

std::vector<uint8_t> slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Outside the fixture folder, which is generated elsewhere and renamed into place.
const std::string& marker() {
    static const std::string m = test::temp_path("pth_fixtures.MARKER");
    return m;
}

// Generated once per run (the FIXTURES_SETUP test "test_formats: generate pth_fixtures").
const test::SharedFixture pth_fixture("pth_fixtures", "torch", [](const std::string& dir) {
    return test::run_python(std::string(UPRES_SOURCE_DIR) + "/tests/unit/formats/make_pth_fixtures.py " + dir + " " +
                            marker() + " >/dev/null") == 0;
});

// The fixture folder; "" when Python has no torch (the tests then skip with pth_fixture.missing()).
const std::string& fixtures() {
    static const std::string dir = [] {
        const std::string d = pth_fixture.dir();  // asks Python only when the folder is absent
        if (d.empty()) REQUIRE(!pth_fixture.missing().empty());  // generation failed although torch is there
        return d;
    }();
    return dir;
}

Status status_of(const std::string& path, std::string* message = nullptr) {
    try {
        read_model_file(path);
    } catch (const Error& e) {
        if (message) *message = e.what();
        return e.status();
    }
    return Status::ok;
}

// Same names, dtypes, shapes and bytes.
void check_same(const TensorMap& got, const TensorMap& want, const std::string& label) {
    INFO(label);
    CHECK(got.size() == want.size());
    for (const auto& [name, w] : want) {
        INFO("tensor " << name);
        const auto it = got.find(name);
        REQUIRE(it != got.end());
        CHECK(dtype_name(it->second.dtype) == std::string(dtype_name(w.dtype)));
        CHECK(it->second.shape == w.shape);
        CHECK(it->second.data == w.data);
    }
}

TensorMap expected(const std::string& path) {
    const std::vector<uint8_t> bytes = slurp(path);
    return read_safetensors(bytes.data(), bytes.size(), path).tensors;
}

// A byte string literal with its embedded NULs.
template <size_t N>
std::string bin(const char (&s)[N]) {
    return std::string(s, N - 1);
}

// Every outcome of reading damaged bytes must be success or an upres::Error; anything else
// (another exception, a crash, a sanitizer report) fails the test.
void read_damaged(const std::vector<uint8_t>& bytes, const std::string& label) {
    try {
        read_model_memory(bytes.data(), bytes.size(), label);
    } catch (const Error&) {
    } catch (const std::exception& e) {
        FAIL(label << ": unexpected exception " << e.what());
    }
}

}  // namespace

TEST_CASE("zip, deflated, zip64 and legacy checkpoints give the tensors PyTorch saved") {
    if (fixtures().empty()) UPRES_SKIP(pth_fixture.missing());
    const TensorMap want = expected(fixtures() + "/plain.expected.safetensors");
    REQUIRE(want.size() == 14);
    for (const char* file : {"plain.zip.pth", "plain.deflated.pth", "plain.zip64.pth", "plain.legacy.pth"}) {
        const ModelFile f = read_model_file(fixtures() + "/" + file);
        CHECK(f.format == (std::string(file).find("legacy") != std::string::npos ? "pth-legacy" : "pth-zip"));
        check_same(f.tensors, want, file);
    }
}

TEST_CASE("wrapped state dicts: params_ema wins, training prefixes go, other entries are ignored") {
    if (fixtures().empty()) UPRES_SKIP(pth_fixture.missing());
    const TensorMap want = expected(fixtures() + "/small.expected.safetensors");
    for (const char* stem : {"ema", "module", "prefixes"})
        for (const char* kind : {".zip.pth", ".legacy.pth"}) check_same(read_model_file(fixtures() + "/" + stem + kind).tensors, want, std::string(stem) + kind);
}

TEST_CASE("safetensors keys lose training prefixes too") {
    TensorMap m;
    Tensor t;
    t.shape = {1};
    t.data.assign(4, 0);
    m["module.conv.weight"] = t;
    m["netG.conv.bias"] = t;
    const std::string path = test::temp_path("prefixed.safetensors");
    write_safetensors(path, m, {});
    const ModelFile f = read_model_file(path);
    CHECK(f.tensors.count("conv.weight") == 1);
    CHECK(f.tensors.count("conv.bias") == 1);
    m["conv.bias"] = t;  // collides with netG.conv.bias once stripped
    write_safetensors(path, m, {});
    CHECK(status_of(path) == Status::model);
}

TEST_CASE("pickles that call os.system, posix.system, eval or exec are refused and never run") {
    if (fixtures().empty()) UPRES_SKIP(pth_fixture.missing());
    std::remove(marker().c_str());
    const std::pair<const char*, const char*> cases[] = {
        {"evil_posix_system", "posix.system"},       {"evil_os_system", "os.system"},
        // Protocol 2 names builtins the Python 2 way.
        {"evil_builtins_eval_p2", "__builtin__.eval"}, {"evil_builtins_eval_p4", "builtins.eval"},
        {"evil_builtins_exec_p2", "__builtin__.exec"}, {"evil_builtins_exec_p4", "builtins.exec"}};
    for (const auto& [stem, global] : cases)
        for (const char* kind : {".zip.pth", ".legacy.pth"}) {
            const std::string path = fixtures() + "/" + stem + kind;
            INFO(path);
            std::string message;
            CHECK(status_of(path, &message) == Status::model);
            CHECK(message.find(path) != std::string::npos);
            CHECK(message.find("'" + std::string(global) + "'") != std::string::npos);
            CHECK(!exists(marker()));
        }
}

TEST_CASE("views larger than or outside their storage are refused; TorchScript archives are told apart") {
    if (fixtures().empty()) UPRES_SKIP(pth_fixture.missing());
    for (const char* file : {"huge_view.zip.pth", "huge_view.legacy.pth", "past_end.zip.pth", "past_end.legacy.pth"}) {
        std::string message;
        CHECK_MESSAGE(status_of(fixtures() + "/" + file, &message) == Status::model, file);
        CHECK(message.find("tensor '") != std::string::npos);
    }
    // A TorchScript archive is reported as such, with no tensors and its pickles unread (nn runs
    // it only with torchscript=1, tests/unit/nn).
    const ModelFile script = read_model_file(fixtures() + "/scripted.pt");
    CHECK(script.format == "torchscript");
    CHECK(script.tensors.empty());
}

TEST_CASE("truncated and bit-flipped checkpoints fail cleanly") {
    if (fixtures().empty()) UPRES_SKIP(pth_fixture.missing());
    for (const char* file : {"plain.zip.pth", "plain.deflated.pth", "plain.zip64.pth", "plain.legacy.pth"}) {
        const std::vector<uint8_t> good = slurp(fixtures() + "/" + file);
        for (size_t n = 0; n < good.size(); n += (n + 64 < good.size() ? 3 : 1)) {
            const std::vector<uint8_t> cut(good.begin(), good.begin() + std::ptrdiff_t(n));
            read_damaged(cut, std::string(file) + " cut at " + std::to_string(n));
        }
        for (size_t i = 0; i < good.size(); ++i) {
            std::vector<uint8_t> flipped = good;
            flipped[i] ^= uint8_t(1u << (i % 8));
            read_damaged(flipped, std::string(file) + " flipped at " + std::to_string(i));
        }
    }
    // Truncations of the legacy file are always detected: it has no spare bytes.
    const std::vector<uint8_t> legacy = slurp(fixtures() + "/plain.legacy.pth");
    CHECK_THROWS_AS(read_model_memory(legacy.data(), legacy.size() - 1, "cut.pth"), Error);
}

TEST_CASE("huge declared sizes are errors, not allocations") {
    auto status = [](const std::string& bytes) {
        try {
            read_model_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "huge.pth");
        } catch (const Error& e) {
            return e.status();
        }
        return Status::ok;
    };
    const std::string magic = bin("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.");
    const std::string version = bin("\x80\x02M\xe9\x03."), info = bin("\x80\x02}.");
    // A string claiming 4 GiB.
    CHECK(status(magic + version + info + bin("\x80\x02X\xff\xff\xff\xff" "abc.")) == Status::model);
    // A storage of 2^62 elements after a valid state dict with one tensor.
    const std::string objects = bin(
        "\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
        "ctorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cpuK\x01tQK\x00K\x01\x85K\x01\x85tRs.");
    const std::string keys = bin("\x80\x02]X\x01\x00\x00\x00" "0a.");
    const std::string count_one = bin("\x01\0\0\0\0\0\0\0"), count_huge = bin("\0\0\0\0\0\0\0\x40");
    CHECK(status(magic + version + info + objects + keys + count_one + std::string(4, '\0')) == Status::ok);
    CHECK(status(magic + version + info + objects + keys + count_huge + std::string(4, '\0')) == Status::model);
    // A zip end record claiming 65535 entries at an absurd offset.
    const std::string zip = bin("PK\x03\x04") + bin("PK\x05\x06\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\0\0");
    CHECK(status(zip) == Status::model);
    // A memo lookup that was never stored, a stack underflow, an unknown opcode.
    for (const std::string& p : {bin("\x80\x02h\x05."), bin("\x80\x02s."), bin("\x80\x02\xff.")}) {
        CHECK_THROWS_AS(unpickle(reinterpret_cast<const uint8_t*>(p.data()), p.size(), "p"), Error);
    }
}

TEST_CASE("the unpickler accepts exactly the state-dict globals") {
    CHECK(pickle_global_allowed("collections.OrderedDict"));
    CHECK(pickle_global_allowed("torch._utils._rebuild_tensor_v2"));
    CHECK(pickle_global_allowed("torch.HalfStorage"));
    for (const char* g : {"os.system", "posix.system", "builtins.eval", "builtins.exec", "builtins.getattr",
                          "subprocess.Popen", "torch.load", "collections.defaultdict", "numpy.core.multiarray._reconstruct"})
        CHECK_FALSE(pickle_global_allowed(g));
}

TEST_CASE("shared checkpoints: the legacy SRCNN and both compact models match PyTorch") {
    if (fixtures().empty()) UPRES_SKIP(pth_fixture.missing());
    const std::pair<const char*, const char*> files[] = {{"srcnn-x3-955-legacy-format.pth", ""},
                                                         {"compact-x2-aniscale.pth", "params_ema"},
                                                         {"compact-x4-animevideov3-unverified.pth", "params"}};
    int compared = 0;
    for (const auto& [file, key] : files) {
        if (!test::have_shared(std::string("models/") + file)) continue;
        ++compared;
        const std::string path = test::shared_dir() + "/models/" + file;
        const std::string want_path = test::temp_path(std::string(file) + ".expected.safetensors");
        REQUIRE(test::run_python(std::string(UPRES_SOURCE_DIR) + "/tests/unit/formats/make_pth_fixtures.py --expected " +
                                 path + " '" + key + "' " + want_path) == 0);
        check_same(read_model_file(path).tensors, expected(want_path), file);
    }
    if (compared == 0) test::skip("none of these checkpoints is in " + test::shared_dir() + "/models");
}

namespace {

// A raw DEFLATE stream (no zlib header) of `text`, as ZIP stores it.
std::vector<uint8_t> deflate_raw(const std::string& text) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::vector<uint8_t> out(deflateBound(&z, uLong(text.size())));
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = uInt(text.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// The message of inflate_raw's error, "" when it succeeds with exactly `out_size` bytes.
std::string inflate_error(const std::vector<uint8_t>& in, size_t out_size, std::vector<uint8_t>* got = nullptr) {
    try {
        std::vector<uint8_t> out = inflate_raw(in.data(), in.size(), out_size, "e.pth: entry 'x'");
        REQUIRE(out.size() == out_size);
        if (got) *got = std::move(out);
    } catch (const Error& e) {
        CHECK(e.status() == Status::model);
        CHECK(std::string(e.what()).find("e.pth: entry 'x': ") == 0);
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("inflate: exactly the declared size, or a model error naming the entry") {
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "conv" + std::to_string(i % 37) + ".weight ";
    const std::vector<uint8_t> z = deflate_raw(text);
    REQUIRE(z.size() < text.size() / 4);
    std::vector<uint8_t> got;
    CHECK(inflate_error(z, text.size(), &got).empty());
    CHECK(std::string(got.begin(), got.end()) == text);
    // Bytes after the final block are not part of the stream.
    std::vector<uint8_t> trailing = z;
    trailing.insert(trailing.end(), {1, 2, 3});
    CHECK(inflate_error(trailing, text.size()).empty());

    // A stream that ends early, anywhere.
    for (size_t cut : {size_t(0), size_t(1), z.size() / 2, z.size() - 1}) {
        CAPTURE(cut);
        const std::vector<uint8_t> short_stream(z.begin(), z.begin() + std::ptrdiff_t(cut));
        CHECK(inflate_error(short_stream, text.size()).find("ends early") != std::string::npos);
    }
    // More bytes than declared: refused without writing past the buffer (ASan watches this).
    CHECK(inflate_error(z, text.size() - 1).find("past its declared size") != std::string::npos);
    CHECK(inflate_error(z, 0).find("past its declared size") != std::string::npos);
    // Fewer bytes than declared.
    CHECK(inflate_error(z, text.size() + 1).find("gives " + std::to_string(text.size()) + " bytes") != std::string::npos);
    // Malformed: an invalid block type, a stored block whose length check fails, a distance
    // before the start of the output.
    CHECK(inflate_error({0x07, 0x00}, 4).find("corrupt compressed data") != std::string::npos);
    CHECK(inflate_error({0x01, 0x05, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'}, 5).find("corrupt") != std::string::npos);
    CHECK(inflate_error({0x03, 0x02, 0x00}, 4).find("too far back") != std::string::npos);

    // Hand-made stored blocks: the output buffer is full before the stream's last (empty) block,
    // which must still be read; an empty stream gives an empty buffer.
    const std::vector<uint8_t> stored = {0x00, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o', 0x01, 0x00, 0x00, 0xff, 0xff};
    CHECK(inflate_error(stored, 5, &got).empty());
    CHECK(std::string(got.begin(), got.end()) == "hello");
    CHECK(inflate_error({stored.begin(), stored.end() - 5}, 5).find("ends early") != std::string::npos);
    CHECK(inflate_error({0x01, 0x00, 0x00, 0xff, 0xff}, 0).empty());
    CHECK(inflate_error({0x03, 0x00}, 0).empty());  // an empty fixed-Huffman block
}

TEST_CASE("CRC-32 is ZIP's") {
    const std::string check = "123456789";
    CHECK(crc32_of(reinterpret_cast<const uint8_t*>(check.data()), check.size()) == 0xCBF43926u);
    CHECK(crc32_of(nullptr, 0) == 0u);
    std::vector<uint8_t> big(1 << 20);
    for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 131 + (i >> 9));
    CHECK(crc32_of(big.data(), big.size()) == uint32_t(crc32(0, big.data(), uInt(big.size()))));
}
