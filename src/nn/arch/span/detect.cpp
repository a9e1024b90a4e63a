#include <cmath>

#include "nn/arch/keys.hpp"
#include "nn/arch/span/span.hpp"

namespace upres::nn::arch::span {

namespace {

bool claims(const formats::TensorMap& t) {
    return t.count("conv_cat.weight") && any_key(t, "conv_1.*") && any_key(t, "block_#.c#_r.*") && any_key(t, "upsampler.0.*");
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    const Params p = params(t, name + ": SPAN");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = p.in;
    d.out_channels = p.out;
    d.summary = "SPAN x" + std::to_string(p.scale) + ", " + std::to_string(p.feat) + " features, " + (p.norm ? "norm" : "no norm");
    // Receptive radius: 20 3x3 convolutions (conv_1, 18 in the blocks, conv_2) and the upsampler's;
    // with that overlap tiles see everything an untiled run does.
    d.context = 21;
    d.preferred_tile = 512;
    int64_t macs = 0;
    for (const Conv3xc& c : p.convs) macs += 9 * int64_t(c.in) * c.out;
    macs += int64_t(4) * p.feat * p.feat + 9 * int64_t(p.feat) * p.out * p.scale * p.scale;
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

Widths first_conv3xc_widths(const Keys& k, const std::string& name) {
    const std::string first =
        k.has(name + ".sk.weight") || !k.has(name + ".eval_conv.weight") ? name + ".sk.weight" : name + ".eval_conv.weight";
    const formats::Tensor& c = k.need(first, 4);
    Widths w;
    w.key = first;
    w.feat = k.bounded(c.shape[0], 1, kMaxChannels, "the feature width (" + first + " dim 0)");
    w.in = k.bounded(c.shape[1], 1, 4, "the input channels (" + first + " dim 1)");
    return w;
}

// One Conv3XC's tensors checked; the mid widths of the parts (c_in x gain, c_out x gain) are read
// from their shapes and bounded.
Conv3xc conv3xc(const Keys& k, const std::string& name, int in, int out) {
    Conv3xc c{name, in, out, true};
    const std::string p = name + ".";
    if (!k.has(p + "sk.weight") && !k.has(p + "conv.0.weight") && k.has(p + "eval_conv.weight")) {
        // A re-parameterised export without the training-form parts.
        c.from_parts = false;
        k.shape(p + "eval_conv.weight", {out, in, 3, 3});
        k.shape(p + "eval_conv.bias", {out});
        return c;
    }
    k.shape(p + "sk.weight", {out, in, 1, 1});
    k.shape(p + "sk.bias", {out});
    const int m1 = k.bounded(k.need(p + "conv.0.weight", 4).shape[0], 1, kMaxChannels, "the width of " + p + "conv.0.weight (dim 0)");
    k.shape(p + "conv.0.weight", {m1, in, 1, 1});
    k.shape(p + "conv.0.bias", {m1});
    const int m2 = k.bounded(k.need(p + "conv.1.weight", 4).shape[0], 1, kMaxChannels, "the width of " + p + "conv.1.weight (dim 0)");
    k.shape(p + "conv.1.weight", {m2, m1, 3, 3});
    k.shape(p + "conv.1.bias", {m2});
    k.shape(p + "conv.2.weight", {out, m2, 1, 1});
    k.shape(p + "conv.2.bias", {out});
    return c;
}

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    Params p;
    const Widths w = first_conv3xc_widths(k, "conv_1");
    p.feat = w.feat;
    p.in = w.in;
    p.norm = !k.has("no_norm");
    if (p.norm && p.in != 3)
        k.fail("the input mean shift (no 'no_norm' buffer) needs 3 input channels, " + w.key + " has " + std::to_string(p.in));
    if (k.has("block_" + std::to_string(kBlocks + 1) + ".c1_r.sk.weight") || k.has("block_0.c1_r.sk.weight"))
        k.fail("SPAN has blocks block_1..block_" + std::to_string(kBlocks) + " exactly");
    p.convs.push_back(conv3xc(k, "conv_1", p.in, p.feat));
    for (int b = 1; b <= kBlocks; ++b)
        for (int r = 1; r <= 3; ++r)
            p.convs.push_back(conv3xc(k, "block_" + std::to_string(b) + ".c" + std::to_string(r) + "_r", p.feat, p.feat));
    p.convs.push_back(conv3xc(k, "conv_2", p.feat, p.feat));
    k.shape("conv_cat.weight", {p.feat, 4 * int64_t(p.feat), 1, 1});
    k.shape("conv_cat.bias", {p.feat});
    // The upsampler's outputs are out_channels x scale^2: out_channels = in_channels where that
    // fits, else 3 or 1 (as spandrel reads it).
    const formats::Tensor& up = k.need("upsampler.0.weight", 4);
    const int64_t outs = up.shape[0];
    auto square = [](int64_t v) {
        const int64_t s = std::llround(std::sqrt(double(v)));
        return s >= 1 && s <= 16 && s * s == v ? int(s) : 0;
    };
    p.scale = 0;
    for (int c : {p.in, 3, 1})
        if (outs % c == 0 && square(outs / c)) {
            p.out = c;
            p.scale = square(outs / c);
            break;
        }
    if (!p.scale)
        k.fail("upsampler.0.weight has " + std::to_string(outs) + " outputs, not channels x scale^2 (scale 1..16)");
    k.shape("upsampler.0.weight", {outs, p.feat, 3, 3});
    k.shape("upsampler.0.bias", {outs});
    return p;
}

const Family& family() {
    static const Family f{"span",
                          "SPAN",
                          {"conv_1.sk.*", "conv_1.conv.#.*", "conv_1.eval_conv.*", "block_#.c#_r.sk.*", "block_#.c#_r.conv.#.*",
                           "block_#.c#_r.eval_conv.*", "conv_cat.*", "conv_2.sk.*", "conv_2.conv.#.*", "conv_2.eval_conv.*",
                           "upsampler.0.*", "no_norm"},
                          nullptr,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::span
