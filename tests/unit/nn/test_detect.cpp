// Architecture detection (no libtorch): names and shapes in, hyperparameters out.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "formats/model_file.hpp"
#include "nn/detect.hpp"
#include "test_support.hpp"

using namespace upres;
using namespace upres::nn;

namespace {
void add(formats::TensorMap& m, const std::string& k, std::vector<int64_t> shape) {
    formats::Tensor t;
    t.shape = shape;
    t.data.resize(size_t(t.numel()) * 4);
    m.emplace(k, t);
}
formats::ModelFile rrdb(int feat, int blocks, int grow, int in_mult, bool old_scheme) {
    formats::ModelFile f;
    auto& m = f.tensors;
    add(m, old_scheme ? "model.0.weight" : "conv_first.weight", {feat, 3 * in_mult, 3, 3});
    for (int b = 0; b < blocks; ++b)
        for (int r = 1; r <= 3; ++r)
            for (int c = 1; c <= 5; ++c) {
                const std::string k = old_scheme ? "model.1.sub." + std::to_string(b) + ".RDB" + std::to_string(r) +
                                                       ".conv" + std::to_string(c) + ".0.weight"
                                                 : "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv" +
                                                       std::to_string(c) + ".weight";
                add(m, k, {c < 5 ? grow : feat, feat + (c - 1) * grow, 3, 3});
            }
    if (old_scheme) {
        add(m, "model.1.sub." + std::to_string(blocks) + ".weight", {feat, feat, 3, 3});
        for (const char* k : {"model.3.weight", "model.6.weight", "model.8.weight"}) add(m, k, {feat, feat, 3, 3});
        add(m, "model.10.weight", {3, feat, 3, 3});
    } else {
        for (const char* k : {"conv_body.weight", "conv_up1.weight", "conv_up2.weight", "conv_hr.weight"}) add(m, k, {feat, feat, 3, 3});
        add(m, "conv_last.weight", {3, feat, 3, 3});
    }
    return f;
}
}  // namespace

TEST_CASE("RRDBNet: blocks, features, growth, scale and unshuffle from shapes, in both key schemes") {
    for (bool old : {false, true}) {
        Architecture a = detect(rrdb(64, 23, 32, 1, old), "x4plus.pth");
        CHECK(a.arch == Arch::rrdbnet);
        CHECK(a.num_block == 23);
        CHECK(a.num_feat == 64);
        CHECK(a.num_grow == 32);
        CHECK(a.scale == 4);
        CHECK(a.tensors.count("body.22.rdb3.conv5.weight") == 1);
        CHECK(a.tensors.count("conv_body.weight") == 1);
    }
    CHECK(detect(rrdb(32, 2, 16, 4, false), "x2plus").scale == 2);
    CHECK(detect(rrdb(32, 2, 16, 16, false), "x1").scale == 1);
    CHECK(detect(rrdb(32, 2, 16, 16, false), "x1").unshuffle == 4);
}

TEST_CASE("SRVGGNetCompact and SRCNN") {
    formats::ModelFile c;
    add(c.tensors, "body.0.weight", {64, 3, 3, 3});
    add(c.tensors, "body.0.bias", {64});
    for (int i = 1; i <= 33; i += 2) add(c.tensors, "body." + std::to_string(i) + ".weight", {64});
    for (int i = 2; i <= 32; i += 2) add(c.tensors, "body." + std::to_string(i) + ".weight", {64, 64, 3, 3});
    add(c.tensors, "body.34.weight", {48, 64, 3, 3});
    Architecture a = detect(c, "anime.pth");
    CHECK(a.arch == Arch::compact);
    CHECK(a.num_conv == 16);
    CHECK(a.scale == 4);
    formats::ModelFile s;
    add(s.tensors, "conv1.weight", {64, 1, 9, 9});
    add(s.tensors, "conv2.weight", {32, 64, 5, 5});
    add(s.tensors, "conv3.weight", {1, 32, 5, 5});
    s.metadata["scale"] = "3";
    Architecture b = detect(s, "srcnn");
    CHECK(b.arch == Arch::srcnn);
    CHECK(b.kernels[1] == 5);
    CHECK(b.scale == 3);
    CHECK(b.in_channels == 1);
}

TEST_CASE("unknown architectures name the keys that did not match") {
    formats::ModelFile f;
    add(f.tensors, "encoder.layer1.weight", {8, 3, 3, 3});
    try {
        detect(f, "mystery.safetensors");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.status() == Status::model);
        CHECK(std::string(e.what()).find("mystery.safetensors") != std::string::npos);
        CHECK(std::string(e.what()).find("encoder.layer1.weight") != std::string::npos);
    }
    formats::ModelFile broken = rrdb(16, 2, 8, 1, false);
    broken.tensors.erase("conv_hr.weight");
    CHECK_THROWS_AS(detect(broken, "broken"), Error);
}

TEST_CASE("the shared .pth checkpoints load and are detected (legacy SRCNN, zip compact x2 and x4)") {
    struct Case {
        const char* file;
        Arch arch;
        int scale, num_conv;
    } cases[] = {{"srcnn-x3-955-legacy-format.pth", Arch::srcnn, 0, 0},
                 {"compact-x2-aniscale.pth", Arch::compact, 2, -1},
                 {"compact-x4-animevideov3-unverified.pth", Arch::compact, 4, 16}};
    for (const Case& c : cases) {
        if (!test::have_shared(std::string("models/") + c.file)) continue;
        INFO(c.file);
        const std::string path = test::shared_dir() + "/models/" + c.file;
        formats::ModelFile f = formats::read_model_file(path);
        CHECK(f.format == (c.arch == Arch::srcnn ? "pth-legacy" : "pth-zip"));
        const Architecture a = detect(std::move(f), path);
        CHECK(a.arch == c.arch);
        if (c.arch == Arch::compact) CHECK(a.scale == c.scale);
        if (c.num_conv > 0) CHECK(a.num_conv == c.num_conv);
    }
}
