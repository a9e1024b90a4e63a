// Architecture detection (no libtorch): names and shapes in, hyperparameters out.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "core/error.hpp"
#include "formats/model_file.hpp"
#include "nn/arch/family.hpp"
#include "nn/arch/keys.hpp"
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
        Model a = detect(rrdb(64, 23, 32, 1, old), "x4plus.pth");
        CHECK(a.desc.arch == "rrdbnet");
        CHECK(a.desc.summary == "RRDBNet x4, 23 blocks, 64 features, growth 32");
        CHECK(a.desc.scale == 4);
        CHECK(a.tensors.count("body.22.rdb3.conv5.weight") == 1);
        CHECK(a.tensors.count("conv_body.weight") == 1);
    }
    CHECK(detect(rrdb(32, 2, 16, 4, false), "x2plus").desc.scale == 2);
    CHECK(detect(rrdb(32, 2, 16, 16, false), "x1").desc.scale == 1);
    CHECK(detect(rrdb(32, 2, 16, 16, false), "x1").desc.size_multiple == 4);
}

TEST_CASE("SRVGGNetCompact and SRCNN") {
    formats::ModelFile c;
    add(c.tensors, "body.0.weight", {64, 3, 3, 3});
    add(c.tensors, "body.0.bias", {64});
    for (int i = 1; i <= 33; i += 2) add(c.tensors, "body." + std::to_string(i) + ".weight", {64});
    for (int i = 2; i <= 32; i += 2) add(c.tensors, "body." + std::to_string(i) + ".weight", {64, 64, 3, 3});
    add(c.tensors, "body.34.weight", {48, 64, 3, 3});
    Model a = detect(c, "anime.pth");
    CHECK(a.desc.arch == "compact");
    CHECK(a.desc.summary == "SRVGGNetCompact x4, 16 convs, 64 features");
    CHECK(a.desc.scale == 4);
    formats::ModelFile s;
    add(s.tensors, "conv1.weight", {64, 1, 9, 9});
    add(s.tensors, "conv2.weight", {32, 64, 5, 5});
    add(s.tensors, "conv3.weight", {1, 32, 5, 5});
    s.metadata["scale"] = "3";
    Model b = detect(s, "srcnn");
    CHECK(b.desc.arch == "srcnn");
    CHECK(b.desc.summary == "SRCNN 9-5-5, Y, x3");
    CHECK(b.desc.scale == 0);
    CHECK(b.desc.at_output_size);
    CHECK(b.desc.in_channels == 1);
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
        std::string arch;
        int scale, num_conv;
    } cases[] = {{"srcnn-x3-955-legacy-format.pth", "srcnn", 0, 0},
                 {"compact-x2-aniscale.pth", "compact", 2, -1},
                 {"compact-x4-animevideov3-unverified.pth", "compact", 4, 16}};
    for (const Case& c : cases) {
        if (!test::have_shared(std::string("models/") + c.file)) continue;
        INFO(c.file);
        const std::string path = test::shared_dir() + "/models/" + c.file;
        formats::ModelFile f = formats::read_model_file(path);
        CHECK(f.format == (c.arch == "srcnn" ? "pth-legacy" : "pth-zip"));
        const Model a = detect(std::move(f), path);
        CHECK(a.desc.arch == c.arch);
        if (c.arch == "compact") CHECK(a.desc.scale == c.scale);
        if (c.num_conv > 0) CHECK(a.desc.summary.find(std::to_string(c.num_conv) + " convs") != std::string::npos);
    }
}

TEST_CASE("the registry: names are unique, every family can be found by name, precedence is the table's order") {
    std::set<std::string> names;
    for (const Family* f : families()) {
        CHECK(names.insert(f->name).second);
        CHECK(find_family(f->name) == f);
    }
    CHECK(find_family("no-such-family") == nullptr);
    // RRDBNet's keys include body.N.* names, which SRVGGNetCompact also uses: RRDBNet comes first.
    auto position = [](const char* name) {
        const auto& list = families();
        return std::find(list.begin(), list.end(), find_family(name)) - list.begin();
    };
    CHECK(position("rrdbnet") < position("compact"));
    // HAT's and DRCT's keys include SwinIR's names; RGT's include DAT's (before_RG, the L-SA
    // position MLPs): the fuller scheme comes first (tests/arch/test_<family>.py detect each).
    CHECK(position("hat") < position("swinir"));
    CHECK(position("drct") < position("swinir"));
    CHECK(position("rgt") < position("dat"));
}

TEST_CASE("an unknown architecture's error names the nearest families and the keys that fit none") {
    formats::ModelFile f = rrdb(16, 1, 8, 1, false);
    f.tensors.erase("conv_first.weight");
    add(f.tensors, "mystery.layer.weight", {8, 3, 3, 3});
    try {
        detect(f, "odd.pth");
        FAIL("no error");
    } catch (const Error& e) {
        const std::string what = e.what();
        CHECK(what.find("odd.pth: unknown architecture; nearest: RRDBNet") != std::string::npos);
        CHECK(what.find("keys that fit no architecture: mystery.layer.weight") != std::string::npos);
    }
}

TEST_CASE("a tensor with NaN or infinite values is refused, naming it") {
    formats::ModelFile f = rrdb(16, 1, 8, 1, false);
    auto& t = f.tensors.at("body.0.rdb2.conv3.weight");
    const float inf = INFINITY;
    std::memcpy(t.data.data() + 8, &inf, 4);
    try {
        detect(f, "inf.pth");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.status() == Status::model);
        CHECK(std::string(e.what()) == "inf.pth: tensor 'body.0.rdb2.conv3.weight' holds NaN or infinite values");
    }
}

TEST_CASE("shapes that do not fit, and widths past the bounds, are refused naming the tensor") {
    formats::ModelFile f = rrdb(16, 1, 8, 1, false);
    f.tensors.at("body.0.rdb1.conv2.weight").shape = {8, 23, 3, 3};
    f.tensors.at("body.0.rdb1.conv2.weight").data.resize(8 * 23 * 9 * 4);
    CHECK_THROWS_WITH_AS(detect(f, "bad.pth"),
                         "bad.pth: RRDBNet: tensor 'body.0.rdb1.conv2.weight' has shape [8, 23, 3, 3], expected [8, 24, 3, 3]",
                         Error);
    formats::ModelFile wide;
    add(wide.tensors, "body.0.weight", {1 << 20, 3, 3, 3});  // a million features: terabytes of activations
    add(wide.tensors, "body.1.weight", {1 << 20});
    for (const char* k : {"body.2.weight", "body.4.weight"}) add(wide.tensors, k, {3, 3, 3, 3});
    CHECK_THROWS_WITH_AS(detect(wide, "wide.pth"),
                         "wide.pth: SRVGGNetCompact: the feature width (body.0.weight dim 0) is 1048576, outside 1..2048",
                         Error);
}

TEST_CASE("key patterns: '#' is a number, '*' anything") {
    using arch::key_matches;
    CHECK(key_matches("body.#.rdb#.conv#.weight", "body.12.rdb3.conv5.weight"));
    CHECK_FALSE(key_matches("body.#.rdb#.conv#.weight", "body.x.rdb3.conv5.weight"));
    CHECK(key_matches("conv_up#.*", "conv_up2.bias"));
    CHECK_FALSE(key_matches("conv_up#.*", "conv_up.bias"));
    CHECK(key_matches("*.weight", "a.b.weight"));
    CHECK_FALSE(key_matches("*.weight", "a.b.bias"));
}

namespace {
// A Conv3XC's training-form parts (gain 2), as SPAN and SPANPlus store them.
void conv3xc(formats::TensorMap& m, const std::string& p, int in, int out) {
    add(m, p + ".sk.weight", {out, in, 1, 1});
    add(m, p + ".sk.bias", {out});
    add(m, p + ".conv.0.weight", {2 * in, in, 1, 1});
    add(m, p + ".conv.0.bias", {2 * in});
    add(m, p + ".conv.1.weight", {2 * out, 2 * in, 3, 3});
    add(m, p + ".conv.1.bias", {2 * out});
    add(m, p + ".conv.2.weight", {out, 2 * out, 1, 1});
    add(m, p + ".conv.2.bias", {out});
    add(m, p + ".eval_conv.weight", {out, in, 3, 3});
    add(m, p + ".eval_conv.bias", {out});
}
}  // namespace

TEST_CASE("SPANPlus: stages, blocks, width, upsampler and scale from shapes; its SPAB names do not make it SPAN") {
    formats::ModelFile f;
    auto& m = f.tensors;
    const int c = 16;
    conv3xc(m, "feats.0", 3, c);
    const std::vector<int> blocks = {2, 0};
    for (size_t s = 0; s < blocks.size(); ++s) {
        const std::string q = "feats." + std::to_string(s + 1) + ".";
        std::vector<std::string> names = {q + "block_1", q + "block_end"};
        for (int j = 0; j < blocks[s]; ++j) names.push_back(q + "block_n." + std::to_string(j));
        for (const std::string& b : names)
            for (int r = 1; r <= 3; ++r) conv3xc(m, b + ".c" + std::to_string(r) + "_r", c, c);
        conv3xc(m, q + "conv_2", c, c);
        add(m, q + "conv_cat.weight", {c, 4 * c, 1, 1});
        add(m, q + "conv_cat.bias", {c});
    }
    formats::ModelFile ps = f;
    add(m, "upsampler.offset.weight", {8 * 9, c, 1, 1});  // 2 x 4 groups x 3^2
    add(m, "upsampler.offset.bias", {8 * 9});
    add(m, "upsampler.scope.weight", {8 * 9, c, 1, 1});
    add(m, "upsampler.init_pos", {1, 8 * 9, 1, 1});
    add(m, "upsampler.end_conv.weight", {3, c, 1, 1});
    add(m, "upsampler.end_conv.bias", {3});
    Model a = detect(f, "spanplus.pth");
    CHECK(a.desc.arch == "spanplus");
    CHECK(a.desc.summary == "SPANPlus x3, 16 features, blocks [2, 0], DySample");
    CHECK(a.desc.scale == 3);
    add(ps.tensors, "upsampler.0.weight", {3 * 16, c, 3, 3});
    add(ps.tensors, "upsampler.0.bias", {3 * 16});
    Model b = detect(ps, "spanplus_st.pth");
    CHECK(b.desc.arch == "spanplus");
    CHECK(b.desc.summary == "SPANPlus x4, 16 features, blocks [2, 0], pixel shuffle");
    // SPAN's names at the top level stay SPAN's (SPANPlus comes first in the table).
    formats::ModelFile span;
    conv3xc(span.tensors, "conv_1", 3, c);
    for (int i = 1; i <= 6; ++i)
        for (int r = 1; r <= 3; ++r) conv3xc(span.tensors, "block_" + std::to_string(i) + ".c" + std::to_string(r) + "_r", c, c);
    conv3xc(span.tensors, "conv_2", c, c);
    add(span.tensors, "conv_cat.weight", {c, 4 * c, 1, 1});
    add(span.tensors, "conv_cat.bias", {c});
    add(span.tensors, "upsampler.0.weight", {3 * 4, c, 3, 3});
    add(span.tensors, "upsampler.0.bias", {3 * 4});
    CHECK(detect(span, "span.pth").desc.arch == "span");
    const auto& list = families();
    CHECK(std::find(list.begin(), list.end(), find_family("spanplus")) < std::find(list.begin(), list.end(), find_family("span")));
}
