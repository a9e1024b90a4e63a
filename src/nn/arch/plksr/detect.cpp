#include <cmath>

#include "nn/arch/keys.hpp"
#include "nn/arch/plksr/plksr.hpp"

namespace upres::nn::arch::plksr {

namespace {

bool claims(const formats::TensorMap& t) {
    return t.count("feats.0.weight") && t.count("feats.1.refine.weight") &&
           (t.count("feats.1.channel_mixer.0.weight") || t.count("feats.1.channe_mixer.0.weight"));
}

// weight [out, in, kh, kw] and bias [out].
void conv(const Keys& k, const std::string& p, int64_t out, int64_t in, int64_t kh, int64_t kw, bool bias = true) {
    k.shape(p + ".weight", {out, in, kh, kw});
    if (bias) k.shape(p + ".bias", {out});
}

const char* mixer_name(Mixer m) { return m == Mixer::ccm ? "CCM" : m == Mixer::iccm ? "ICCM" : "DCCM"; }

}  // namespace

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    Params p;
    p.real = t.count("feats.1.channel_mixer.0.weight") != 0;
    p.mixer_key = p.real ? "channel_mixer" : "channe_mixer";
    const formats::Tensor& first = k.need("feats.0.weight", 4);
    p.dim = k.bounded(first.shape[0], 1, kMaxChannels, "the feature width (feats.0.weight dim 0)");
    p.in = k.bounded(first.shape[1], 1, 4, "the input channels (feats.0.weight dim 1)");
    conv(k, "feats.0", p.dim, p.in, 3, 3);

    // Blocks are feats.1 .. feats.N (each has a refine conv); then RealPLKSR's dropout (no
    // weights) and the last conv.
    int n = 0;
    while (n < kMaxBlocks + 1 && t.count("feats." + std::to_string(n + 1) + ".refine.weight")) ++n;
    p.blocks = k.bounded(n, 1, kMaxBlocks, "the number of PLK blocks");
    p.last = p.blocks + (p.real ? 2 : 1);
    const std::string b1 = "feats.1.";

    // Channel mixer: the kernel sizes of its two convs tell the variant.
    const formats::Tensor& m0 = k.need(b1 + p.mixer_key + ".0.weight", 4);
    const formats::Tensor& m2 = k.need(b1 + p.mixer_key + ".2.weight", 4);
    const int64_t k0 = m0.shape[2], k2 = m2.shape[2];
    if (k0 == 3 && k2 == 3) p.mixer = Mixer::dccm;
    else if (k0 == 3 && k2 == 1) p.mixer = Mixer::ccm;
    else if (k0 == 1 && k2 == 3) p.mixer = Mixer::iccm;
    else k.fail("the channel mixer's kernels (" + b1 + p.mixer_key + ".0/.2.weight) are " + std::to_string(k0) + " and " +
                std::to_string(k2) + ", not 3+3 (DCCM), 3+1 (CCM) or 1+3 (ICCM)");
    if (p.real && p.mixer != Mixer::dccm) k.fail("RealPLKSR's channel mixer must be 3x3 + 3x3 (" + b1 + "channel_mixer)");

    // Large kernel.
    if (k.has(b1 + "lk.conv.weight")) {
        const formats::Tensor& lk = k.need(b1 + "lk.conv.weight", 4);
        p.lk = LargeKernel::plk;
        p.split = k.bounded(lk.shape[0], 1, p.dim, "the large-kernel channels (" + b1 + "lk.conv.weight dim 0)");
        p.kernel = k.bounded(lk.shape[2], 1, kMaxKernel, "the large kernel size (" + b1 + "lk.conv.weight dim 2)");
    } else if (k.has(b1 + "lk.mn_conv.weight") && !p.real) {
        const formats::Tensor& lk = k.need(b1 + "lk.mn_conv.weight", 4);
        p.lk = LargeKernel::rect;
        p.split = k.bounded(lk.shape[0], 1, p.dim, "the large-kernel channels (" + b1 + "lk.mn_conv.weight dim 0)");
        p.kernel = k.bounded(lk.shape[2], 1, kMaxKernel, "the large kernel size (" + b1 + "lk.mn_conv.weight dim 2)");
        p.rect_n = k.bounded(lk.shape[3], 1, p.kernel, "the short kernel side (" + b1 + "lk.mn_conv.weight dim 3)");
        if (p.rect_n % 2 == 0) k.fail(b1 + "lk.mn_conv.weight: the short kernel side must be odd");
    } else if (k.has(b1 + "lk.convs.0.weight")) {
        k.fail("SparsePLK large kernels (" + b1 + "lk.convs.N.weight) are not supported: their dilations are not in the weights");
    } else {
        k.need(b1 + "lk.conv.weight", 4);  // names the missing key
    }
    if (p.kernel % 2 == 0) k.fail("the large kernel size must be odd (" + b1 + "lk.conv.weight)");
    p.ea = k.has(b1 + "attn.f.0.weight");
    if (p.real) {
        if (k.has(b1 + "layer_norm.weight")) p.norm = Norm::layer;
        else {
            p.norm = Norm::group;
            if (p.dim % p.norm_groups) k.fail("the feature width " + std::to_string(p.dim) + " is not a multiple of GroupNorm's 4 groups");
        }
    }

    for (int b = 1; b <= p.blocks; ++b) {
        const std::string q = "feats." + std::to_string(b) + ".";
        const int64_t a = p.mixer == Mixer::iccm ? 1 : 3, c = p.mixer == Mixer::ccm ? 1 : 3;
        conv(k, q + p.mixer_key + ".0", 2 * int64_t(p.dim), p.dim, a, a);
        conv(k, q + p.mixer_key + ".2", p.dim, 2 * int64_t(p.dim), c, c);
        if (p.lk == LargeKernel::plk) {
            conv(k, q + "lk.conv", p.split, p.split, p.kernel, p.kernel);
        } else {
            conv(k, q + "lk.mn_conv", p.split, p.split, p.kernel, p.rect_n);
            conv(k, q + "lk.nm_conv", p.split, p.split, p.rect_n, p.kernel);
            conv(k, q + "lk.nn_conv", p.split, p.split, p.rect_n, p.rect_n);
        }
        if (p.ea) conv(k, q + "attn.f.0", p.dim, p.dim, 3, 3);
        else if (k.has(q + "attn.f.0.weight")) k.fail(q + "attn.f.0.weight: element-wise attention in some blocks only");
        conv(k, q + "refine", p.dim, p.dim, 1, 1);
        if (p.norm == Norm::group) k.shape(q + "norm.weight", {p.dim}), k.shape(q + "norm.bias", {p.dim});
        if (p.norm == Norm::layer) k.shape(q + "layer_norm.weight", {p.dim}), k.shape(q + "layer_norm.bias", {p.dim});
    }

    const std::string last = "feats." + std::to_string(p.last);
    const formats::Tensor& lw = k.need(last + ".weight", 4);
    const int64_t tail = lw.shape[0];
    p.scale = int(std::lround(std::sqrt(double(tail) / p.in)));
    if (p.scale < 1 || p.scale > 16 || int64_t(p.scale) * p.scale * p.in != tail)
        k.fail(last + ".weight has " + std::to_string(tail) + " outputs, not channels x scale^2");
    conv(k, last, tail, p.dim, 3, 3);

    p.dysample = k.has("to_img.init_pos") || k.has("to_img.offset.weight");
    if (p.dysample) {
        const formats::Tensor& off = k.need("to_img.offset.weight", 4);
        const int64_t s2 = int64_t(p.scale) * p.scale;
        if (off.shape[0] % (2 * s2)) k.fail("to_img.offset.weight's outputs are not 2 x groups x scale^2");
        p.dy_groups = k.bounded(off.shape[0] / (2 * s2), 1, tail, "DySample's groups (to_img.offset.weight dim 0 / 2 scale^2)");
        if (tail % p.dy_groups) k.fail("to_img.offset.weight: DySample's groups do not divide its channels");
        const int64_t o = 2 * s2 * p.dy_groups;
        conv(k, "to_img.offset", o, tail, 1, 1);
        conv(k, "to_img.scope", o, tail, 1, 1, false);
        k.shape("to_img.init_pos", {1, o, 1, 1});
        p.dy_end_conv = k.has("to_img.end_conv.weight");
        if (p.dy_end_conv) conv(k, "to_img.end_conv", p.in, tail, 1, 1);
        else if (p.scale != 1) k.need("to_img.end_conv.weight", 4);
    }
    return p;
}

namespace {

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    const bool real = t.count("feats.1.channel_mixer.0.weight") != 0;
    const Params p = params(t, name + (real ? ": RealPLKSR" : ": PLKSR"));
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = d.out_channels = p.in;
    std::string s = std::string(p.real ? "RealPLKSR" : "PLKSR") + " x" + std::to_string(p.scale) + ", " +
                    std::to_string(p.blocks) + " blocks, " + std::to_string(p.dim) + " features, kernel " +
                    std::to_string(p.kernel);
    if (p.lk == LargeKernel::rect) s += "x" + std::to_string(p.rect_n) + " rectangular";
    s += " on " + std::to_string(p.split) + " channels";
    if (!p.real) s += std::string(", ") + mixer_name(p.mixer);
    if (!p.ea) s += ", no attention";
    if (p.norm == Norm::group) s += ", GroupNorm";
    if (p.norm == Norm::layer) s += ", LayerNorm";
    if (p.dysample) s += ", DySample";
    d.summary = s;
    // The receptive field is wide (each block reaches kernel / 2 + 3 px), but its weight falls off
    // fast: 32 px keeps PLKSR and LayerNorm tiles within 0.07/255 of an untiled run (16 px: 17/255).
    d.context = 32;
    d.preferred_tile = 256;
    // GroupNorm normalises over the whole tile, so tiles see other statistics than the whole image
    // (random weights: 94-165/255 apart at 16-48 px overlap). Large tiles keep most images whole
    // (64 features at 1024^2: about 0.5 GB per mixer map).
    if (p.norm == Norm::group) d.preferred_tile = 1024;
    const int64_t D = p.dim, S = p.split, s2 = int64_t(p.scale) * p.scale;
    const int64_t a = p.mixer == Mixer::iccm ? 1 : 9, c = p.mixer == Mixer::ccm ? 1 : 9;
    int64_t block = 2 * D * D * (a + c) + D * D;
    block += p.lk == LargeKernel::plk ? S * S * p.kernel * p.kernel
                                      : S * S * (2 * int64_t(p.kernel) * p.rect_n + int64_t(p.rect_n) * p.rect_n);
    if (p.ea) block += 9 * D * D;
    int64_t macs = 9 * p.in * D + p.blocks * block + 9 * D * p.in * s2;
    if (p.dysample) macs += 2 * (2 * s2 * p.dy_groups) * p.in * s2 + (p.dy_end_conv ? p.in * s2 * p.in * s2 : 0);
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"plksr",
                          "PLKSR / RealPLKSR",
                          {"feats.#.weight", "feats.#.bias", "feats.#.channel_mixer.#.*", "feats.#.channe_mixer.#.*",
                           "feats.#.lk.*", "feats.#.attn.f.0.*", "feats.#.refine.*", "feats.#.norm.*",
                           "feats.#.layer_norm.*", "to_img.*"},
                          nullptr,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::plksr
