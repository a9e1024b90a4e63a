// ncnn .param/.bin: tiny graphs written here (compact and RRDBNet, every storage kind) read back
// with the values written, the official animevideov3 release against its PyTorch .pth (read by
// torch, not by upres), and malformed files that must fail with a message naming the problem.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/model_file.hpp"
#include "formats/ncnn.hpp"
#include "nn/arch/family.hpp"
#include "test_support.hpp"

using namespace upres;
using namespace upres::formats;

namespace {

enum class Storage { f16, f32, table };

// Values k/64 with |k| <= 20: exact in fp16, so every storage kind must give them back exactly.
float value_at(size_t i, int seed) { return float(int((i * 37 + size_t(seed) * 11) % 41) - 20) / 64.0f; }

uint16_t to_half(float f) {  // exact for the normal values above and zero
    if (f == 0) return 0;
    uint32_t b;
    std::memcpy(&b, &f, 4);
    const uint32_t sign = b >> 31, exp = (b >> 23) & 0xFF, mant = b & 0x7FFFFF;
    return uint16_t(sign << 15 | (exp - 127 + 15) << 10 | mant >> 13);
}

void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out += char((v >> (8 * i)) & 0xFF);
}
void put_f32(std::string& out, float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    put_u32(out, b);
}

// Writes a .param/.bin pair layer by layer and remembers every weight it wrote.
struct Builder {
    std::vector<std::string> lines;
    std::vector<std::string> blobs;
    std::string bin;
    std::map<std::string, std::vector<float>> expected;  // canonical name -> values
    Storage storage = Storage::f16;
    int seed = 1;

    void layer(const std::string& type, const std::string& name, const std::vector<std::string>& in,
               const std::vector<std::string>& out, const std::string& params = "") {
        std::string l = type + " " + name + " " + std::to_string(in.size()) + " " + std::to_string(out.size());
        for (const auto& b : in) l += " " + b;
        for (const auto& b : out) {
            l += " " + b;
            blobs.push_back(b);
        }
        lines.push_back(l + (params.empty() ? "" : " " + params));
    }

    void tagged(const std::string& key, size_t n) {
        std::vector<float> v(n);
        for (size_t i = 0; i < n; ++i) v[i] = value_at(i, seed);
        ++seed;
        if (storage == Storage::f16) {
            put_u32(bin, 0x01306B47);
            for (float f : v) bin += std::string{char(to_half(f) & 0xFF), char(to_half(f) >> 8)};
            if (n % 2) bin += std::string(2, '\0');
        } else if (storage == Storage::f32) {
            put_u32(bin, 0);
            for (float f : v) put_f32(bin, f);
        } else {  // a 256-entry table indexed by one byte per value
            put_u32(bin, 0x00000101);
            for (int i = 0; i < 256; ++i) put_f32(bin, float(i - 128) / 64.0f);
            for (float f : v) bin += char(uint8_t(int(f * 64) + 128));
            bin += std::string((4 - n % 4) % 4, '\0');
        }
        expected[key] = v;
    }
    void raw(const std::string& key, size_t n) {
        std::vector<float> v(n);
        for (size_t i = 0; i < n; ++i) v[i] = value_at(i, seed);
        ++seed;
        for (float f : v) put_f32(bin, f);
        expected[key] = v;
    }

    // A 3x3 convolution with bias; `act` "leaky" fuses a leaky ReLU of slope 0.2.
    void conv(const std::string& key, const std::string& name, const std::string& in, const std::string& out,
              int cin, int cout, bool leaky = false) {
        const size_t n = size_t(cin) * cout * 9;
        layer("Convolution", name, {in}, {out},
              "0=" + std::to_string(cout) + " 1=3 4=1 5=1 6=" + std::to_string(n) +
                  (leaky ? " 9=2 -23310=1,2.000000e-01" : ""));
        tagged(key + ".weight", n);
        raw(key + ".bias", size_t(cout));
    }

    std::string param() const {
        std::string p = "7767517\n" + std::to_string(lines.size()) + " " + std::to_string(blobs.size()) + "\n";
        for (const auto& l : lines) p += l + "\n";
        return p;
    }
};

// SRVGGNetCompact: `body` conv+PReLU pairs after the first, a last conv to 3*scale^2, shuffle,
// nearest-upsampled input added (the layout of Real-ESRGAN's own ncnn exports).
Builder compact(Storage storage, int feat = 4, int body = 1, int scale = 2) {
    Builder b;
    b.storage = storage;
    b.layer("Input", "input.1", {}, {"data"});
    b.layer("Split", "splitncnn_input0", {"data"}, {"in_0", "in_1"});
    std::string v = "in_1";
    int k = 0;
    for (int i = 0; i <= body; ++i) {
        const std::string c = "c" + std::to_string(i), p = "p" + std::to_string(i);
        b.conv("body." + std::to_string(k), "Conv_" + std::to_string(i), v, c, i == 0 ? 3 : feat, feat);
        b.layer("PReLU", "PRelu_" + std::to_string(i), {c}, {p}, "0=" + std::to_string(feat));
        b.raw("body." + std::to_string(k + 1) + ".weight", size_t(feat));
        v = p;
        k += 2;
    }
    b.conv("body." + std::to_string(k), "Conv_last", v, "last", feat, 3 * scale * scale);
    const std::string s = std::to_string(scale);
    b.layer("PixelShuffle", "DepthToSpace", {"last"}, {"shuffled"}, "0=" + s);
    b.layer("Interp", "Resize", {"in_0"}, {"up"}, "0=1 1=" + s + ".0 2=" + s + ".0");
    b.layer("BinaryOp", "Add", {"shuffled", "up"}, {"output"});
    return b;
}

// RRDBNet x4 with `blocks` blocks, nf features, gc growth channels, without Split layers.
Builder rrdbnet(Storage storage, int blocks = 1, int nf = 4, int gc = 2) {
    Builder b;
    b.storage = storage;
    b.layer("Input", "input", {}, {"data"});
    b.conv("conv_first", "Conv_first", "data", "first", 3, nf);
    std::string trunk = "first";
    int n = 0;
    auto fresh = [&] { return "t" + std::to_string(n++); };
    for (int blk = 0; blk < blocks; ++blk) {
        std::string x = trunk;
        for (int r = 1; r <= 3; ++r) {
            const std::string key = "body." + std::to_string(blk) + ".rdb" + std::to_string(r) + ".conv";
            std::vector<std::string> feats = {x};
            for (int j = 1; j <= 5; ++j) {
                std::string in = x;
                if (j > 1) {
                    in = fresh();
                    b.layer("Concat", "Concat_" + in, feats, {in}, "0=0");
                }
                const std::string out = fresh();
                b.conv(key + std::to_string(j), "Conv_" + out, in, out, nf + (j - 1) * gc, j < 5 ? gc : nf, j < 5);
                feats.push_back(out);
            }
            const std::string sum = fresh();
            b.layer("Eltwise", "Add_" + sum, {feats.back(), x}, {sum}, "0=1 -23301=2,2.000000e-01,1.000000e+00");
            x = sum;
        }
        const std::string sum = fresh();
        b.layer("Eltwise", "Add_" + sum, {x, trunk}, {sum}, "0=1 -23301=2,2.000000e-01,1.000000e+00");
        trunk = sum;
    }
    b.conv("conv_body", "Conv_body", trunk, "body", nf, nf);
    b.layer("BinaryOp", "Add_body", {"first", "body"}, {"feat"});
    b.layer("Interp", "Resize_1", {"feat"}, {"u1"}, "0=1 1=2.000000e+00 2=2.000000e+00");
    b.conv("conv_up1", "Conv_up1", "u1", "c1", nf, nf, true);
    b.layer("Interp", "Resize_2", {"c1"}, {"u2"}, "0=1 1=2.000000e+00 2=2.000000e+00");
    b.conv("conv_up2", "Conv_up2", "u2", "c2", nf, nf, true);
    b.conv("conv_hr", "Conv_hr", "c2", "hr", nf, nf, true);
    b.conv("conv_last", "Conv_last", "hr", "output", nf, 3);
    return b;
}

// The graph's weights under the names the matching architecture gives them (nn::detect), with the
// family and scale as metadata.
ModelFile named(ModelFile f, const std::string& name) {
    const std::string format = f.format;
    nn::Model m = nn::detect(std::move(f), name);
    ModelFile out;
    out.format = format;
    out.tensors = std::move(m.tensors);
    out.metadata["arch"] = m.desc.arch;
    out.metadata["scale"] = std::to_string(m.desc.scale);
    return out;
}

ModelFile read(const std::string& param, const std::string& bin, const std::string& name = "tiny.param") {
    return named(read_ncnn(reinterpret_cast<const uint8_t*>(param.data()), param.size(),
                           reinterpret_cast<const uint8_t*>(bin.data()), bin.size(), name),
                 name);
}

// The error read() gives ("" when it succeeds); anything but upres::Error fails the test.
std::string error_of(const std::string& param, const std::string& bin, Status expected = Status::model) {
    try {
        read(param, bin);
    } catch (const Error& e) {
        CHECK(e.status() == expected);
        return e.what();
    }
    return "";
}

void check_values(const ModelFile& f, const Builder& b) {
    CHECK(f.tensors.size() == b.expected.size());
    for (const auto& [key, values] : b.expected) {
        CAPTURE(key);
        REQUIRE(f.tensors.count(key) == 1);
        CHECK(f.tensors.at(key).to_float() == values);
    }
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
    const size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a tiny compact graph reads back with the values written, in every storage kind") {
    for (Storage s : {Storage::f16, Storage::f32, Storage::table}) {
        CAPTURE(int(s));
        const Builder b = compact(s);
        const ModelFile f = read(b.param(), b.bin);
        CHECK(f.format == "ncnn");
        CHECK(f.metadata.at("arch") == "compact");
        CHECK(f.metadata.at("scale") == "2");
        check_values(f, b);
        CHECK(f.tensors.at("body.0.weight").shape == std::vector<int64_t>{4, 3, 3, 3});
        CHECK(f.tensors.at("body.4.weight").shape == std::vector<int64_t>{12, 4, 3, 3});
        CHECK(f.tensors.at("body.0.weight").dtype == (s == Storage::f16 ? DType::f16 : DType::f32));
        CHECK(f.tensors.at("body.1.weight").dtype == DType::f32);
        const nn::Model a = nn::detect(f, "tiny.param");
        CHECK(a.desc.arch == "compact");
        CHECK(a.desc.scale == 2);
        CHECK(a.desc.summary == "SRVGGNetCompact x2, 1 convs, 4 features");
    }
}

TEST_CASE("a tiny RRDBNet graph reads back with canonical names and the values written") {
    for (Storage s : {Storage::f16, Storage::f32}) {
        const Builder b = rrdbnet(s, 2);
        const ModelFile f = read(b.param(), b.bin);
        CHECK(f.metadata.at("arch") == "rrdbnet");
        CHECK(f.metadata.at("scale") == "4");
        check_values(f, b);
        CHECK(f.tensors.at("body.1.rdb3.conv5.weight").shape == std::vector<int64_t>{4, 12, 3, 3});
        const nn::Model a = nn::detect(f, "tiny.param");
        CHECK(a.desc.arch == "rrdbnet");
        CHECK(a.desc.summary == "RRDBNet x4, 2 blocks, 4 features, growth 2");
        CHECK(a.desc.scale == 4);
    }
}

TEST_CASE("Real-ESRGAN's animevideov3 ncnn release matches its PyTorch weights within fp16 rounding") {
    UPRES_SKIP_UNLESS_SHARED("models/realesr-animevideov3-x4.param");
    const std::string param = test::shared_dir() + "/models/realesr-animevideov3-x4.param";
    const ModelFile f = named(read_model_file(param), param);
    CHECK(f.format == "ncnn");
    CHECK(f.tensors.size() == 18 * 2 + 17);  // 18 convs (weight + bias) and 17 PReLUs
    CHECK(f.tensors.at("body.0.weight").shape == std::vector<int64_t>{64, 3, 3, 3});
    CHECK(f.tensors.at("body.33.weight").shape == std::vector<int64_t>{64});
    CHECK(f.tensors.at("body.34.weight").shape == std::vector<int64_t>{48, 64, 3, 3});
    const nn::Model a = nn::detect(f, param);
    CHECK(a.describe() == "SRVGGNetCompact x4, 16 convs, 64 features, 3 -> 3 channels, 621424 parameters");

    if (!test::have_shared("models/compact-x4-animevideov3-unverified.pth")) return;
    if (!test::python_has("torch")) {
        test::skip_part(test::missing_python("torch") + ": the .pth comparison is left out");
        return;
    }
    // torch reads the .pth (weights_only) and writes .safetensors; upres only reads that back.
    const std::string dump = test::temp_path("animevideov3-pth.safetensors");
    REQUIRE(test::run_python(std::string(UPRES_SOURCE_DIR) + "/tests/reference/nn_reference.py dump " +
                             test::shared_dir() + "/models/compact-x4-animevideov3-unverified.pth " + dump) == 0);
    const ModelFile pth = read_model_file(dump);
    REQUIRE(pth.tensors.size() == f.tensors.size());
    double worst = 0;
    for (const auto& [key, t] : pth.tensors) {
        CAPTURE(key);
        REQUIRE(f.tensors.count(key) == 1);
        const Tensor& mine = f.tensors.at(key);
        CHECK(mine.shape == t.shape);
        const std::vector<float> x = mine.to_float(), y = t.to_float();
        REQUIRE(x.size() == y.size());
        double diff = 0, peak = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            diff = std::max(diff, double(std::fabs(x[i] - y[i])));
            peak = std::max(peak, double(std::fabs(y[i])));
        }
        const double rel = peak > 0 ? diff / peak : diff;
        CHECK(rel <= 1e-3);
        worst = std::max(worst, rel);
    }
    MESSAGE("animevideov3 ncnn vs .pth: worst per-tensor relative difference " << worst);
}

TEST_CASE("malformed .param text fails with a message naming the problem") {
    const Builder b = compact(Storage::f16);
    const std::string p = b.param();
    CHECK(error_of("7767518\n" + p.substr(8), b.bin).find("7767517") != std::string::npos);
    CHECK(error_of("", b.bin).find("7767517") != std::string::npos);
    CHECK(error_of(replace(p, "\n10 ", "\n11 "), b.bin).find("declares 11 layers") != std::string::npos);
    CHECK(error_of(replace(p, "\n10 ", "\n9 "), b.bin).find("text after") != std::string::npos);
    CHECK(error_of(replace(p, "\n10 11", "\n10 12"), b.bin).find("blobs") != std::string::npos);
    CHECK(error_of(replace(p, "\n10 11", "\n10 99999999"), b.bin).find("out of range") != std::string::npos);
    CHECK(error_of(replace(p, "\n10 11", "\n-1 11"), b.bin).find("out of range") != std::string::npos);
    CHECK(error_of(replace(p, "PRelu_0 1 1 c0", "PRelu_0 1 1 nowhere"), b.bin).find("'nowhere'") != std::string::npos);
    CHECK(error_of(replace(p, "PRelu_0 1 1 c0 p0", "PRelu_0 1 1 c0 c0"), b.bin).find("produced twice") != std::string::npos);
    CHECK(error_of(replace(p, "PRelu_0 1 1", "PRelu_0 1 99"), b.bin).find("line 6") != std::string::npos);
    CHECK(error_of(replace(p, "0=4 1=3", "0=abc 1=3"), b.bin).find("0=abc") != std::string::npos);
    CHECK(error_of(replace(p, "0=4 1=3", "0=4 1=3.5"), b.bin).find("integer") != std::string::npos);
    CHECK(error_of(replace(p, "0=4 1=3", "0=4 1=3 x=2"), b.bin).find("x=2") != std::string::npos);
    CHECK(error_of(replace(p, "0=4 1=3", "0=4 -23310=3,1"), b.bin).find("-23310=3,1") != std::string::npos);
    CHECK(error_of(replace(p, "0=4 1=3", "0=4 0=4 1=3"), b.bin).find("twice") != std::string::npos);
    CHECK(error_of(replace(p, "6=108", "6=100"), b.bin).find("Conv_0") != std::string::npos);
    CHECK(error_of(replace(p, "6=108", "6=0"), b.bin).find("Conv_0") != std::string::npos);
    CHECK(error_of(replace(p, "0=4 1=3", "0=4 1=3 8=1"), b.bin).find("int8") != std::string::npos);
    std::string nul = p;
    nul[20] = '\0';
    CHECK(error_of(nul, b.bin).find("NUL") != std::string::npos);
}

TEST_CASE("a layer the architectures do not have is named") {
    const Builder b = compact(Storage::f16);
    const std::string unknown = replace(b.param(), "PReLU PRelu_1", "Softmax PRelu_1");
    const std::string e = error_of(unknown, b.bin);
    CHECK(e.find("PRelu_1") != std::string::npos);
    CHECK(e.find("Softmax") != std::string::npos);
    // Known types wired differently: the first layer that cannot be placed is named.
    const std::string rewired = replace(b.param(), "PRelu_1 1 1 c1", "PRelu_1 1 1 c0");
    const std::string e2 = error_of(rewired, b.bin);
    CHECK(e2.find("cannot place") != std::string::npos);
    CHECK(e2.find("PRelu_1") != std::string::npos);
    const Builder r = rrdbnet(Storage::f16);
    const std::string e3 = error_of(replace(r.param(), "0=1 -23301=2,2.000000e-01", "0=1 -23301=2,3.000000e-01"), r.bin);
    CHECK(e3.find("Eltwise") != std::string::npos);
    CHECK(e3.find("0.2 and 1") != std::string::npos);
    const std::string e4 = error_of(replace(r.param(), "0=1 1=2.000000e+00", "0=2 1=2.000000e+00"), r.bin);
    CHECK(e4.find("Resize_1") != std::string::npos);
}

TEST_CASE("a truncated or over-long .bin fails at every length, naming the layer") {
    const Builder b = rrdbnet(Storage::f16);
    for (size_t cut = 0; cut < b.bin.size(); ++cut) {
        CAPTURE(cut);
        const std::string e = error_of(b.param(), b.bin.substr(0, cut));
        REQUIRE(e.find("truncated") != std::string::npos);
        REQUIRE(e.find("layer '") != std::string::npos);
    }
    CHECK(error_of(b.param(), b.bin + "abcd").find("4 bytes left over") != std::string::npos);
    std::string int8 = b.bin;
    int8.replace(0, 4, std::string("\x38\x4B\x0D\x00", 4));
    CHECK(error_of(b.param(), int8).find("int8") != std::string::npos);
}

TEST_CASE("random corruption of both files never crashes and only ever raises upres::Error") {
    const Builder b = compact(Storage::f16, 4, 2, 2);
    std::mt19937 rng(12345);
    int parsed = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string p = b.param(), bin = b.bin;
        const int edits = 1 + int(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            std::string& target = rng() % 2 ? p : bin;
            if (target.empty()) continue;
            const size_t at = rng() % target.size();
            switch (rng() % 3) {
                case 0: target[at] = char(rng() % 256); break;
                case 1: target.erase(at, 1 + rng() % 8); break;
                default: target.insert(at, std::string(1 + rng() % 3, "0123456789 =,-.\n"[rng() % 16])); break;
            }
        }
        try {
            read(p, bin);
            ++parsed;
        } catch (const Error& e) {
            REQUIRE(e.status() == Status::model);
        }
    }
    MESSAGE(parsed << " of 3000 corrupted pairs still parsed");
}

TEST_CASE("model files: a .param opened by path finds its .bin; from memory it asks for the path") {
    const Builder b = compact(Storage::f32);
    const std::string stem = test::temp_path("ncnn-open");
    std::ofstream(stem + ".param", std::ios::binary) << b.param();
    std::remove((stem + ".bin").c_str());
    try {
        read_model_file(stem + ".param");
        FAIL("a .param without its .bin was accepted");
    } catch (const Error& e) {
        CHECK(e.status() == Status::io);
        CHECK(std::string(e.what()).find("ncnn-open.bin") != std::string::npos);
    }
    std::ofstream(stem + ".bin", std::ios::binary) << b.bin;
    const ModelFile f = named(read_model_file(stem + ".param"), stem + ".param");
    CHECK(f.format == "ncnn");
    check_values(f, b);
    const std::string p = b.param();
    try {
        read_model_memory(reinterpret_cast<const uint8_t*>(p.data()), p.size(), "mem.param");
        FAIL("a .param from memory was accepted");
    } catch (const Error& e) {
        CHECK(e.status() == Status::invalid_argument);
    }
    CHECK(ncnn_bin_path("a/b.param") == "a/b.bin");
    CHECK(ncnn_bin_path("a/model") == "a/model.bin");
}
