#include <algorithm>
#include <cmath>

#include "nn/arch/drct/drct.hpp"
#include "nn/arch/keys.hpp"
#include "nn/arch/swinir/swinir.hpp"

namespace upres::nn::arch::drct {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The stored index and mask buffers are never read (both depend on sizes the network computes).
formats::TensorMap canonical(formats::TensorMap t) {
    for (auto it = t.begin(); it != t.end();)
        it = ends_with(it->first, ".attn.relative_position_index") || ends_with(it->first, ".attn_mask") ? t.erase(it) : std::next(it);
    return t;
}

// A head conv and the first group's dense blocks: SwinIR's names never include swinK / adjustK.
bool claims(const formats::TensorMap& t) {
    return t.count("conv_first.weight") &&
           (t.count("layers.0.swin1.attn.relative_position_bias_table") || t.count("layers.0.swin1.norm1.weight") ||
            t.count("layers.0.adjust1.weight"));
}

void conv(const Keys& k, const std::string& name, int64_t outs, int64_t ins, int64_t kernel) {
    k.shape(name + ".weight", {outs, ins, kernel, kernel});
    k.shape(name + ".bias", {outs});
}

std::string num(int64_t i) { return std::to_string(i); }

}  // namespace

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    if (k.has("absolute_pos_embed"))
        k.fail("DRCT with an absolute position embedding ('absolute_pos_embed', ape=True) is not supported: the "
               "embedding fixes the input size");
    Params p;
    const formats::Tensor& first = k.need("conv_first.weight", 4);
    p.embed = k.bounded(first.shape[0], 1, kMaxChannels, "embed_dim (conv_first.weight dim 0)");
    p.in = k.bounded(first.shape[1], 1, 4, "the input channels (conv_first.weight dim 1)");
    conv(k, "conv_first", p.embed, p.in, 3);
    const int64_t e = p.embed;
    p.patch_norm = k.has("patch_embed.norm.weight");
    if (p.patch_norm) {
        k.shape("patch_embed.norm.weight", {e});
        k.shape("patch_embed.norm.bias", {e});
    }
    p.gc = k.bounded(k.need("layers.0.adjust1.weight", 4).shape[0], 1, kMaxChannels, "gc (layers.0.adjust1.weight dim 0)");
    const int groups = k.bounded(k.count("layers.", ".swin1.norm1.weight"), 1, kMaxBlocks, "the number of RDGs");
    if (p.width(kBlocks - 1) > kMaxChannels) k.fail("embed_dim " + num(e) + " + 4 gc " + num(4 * p.gc) + " is too wide");
    for (int l = 0; l < groups; ++l) {
        const std::string lp = "layers." + num(l) + ".";
        std::array<int, kBlocks> heads{}, hidden{};
        for (int b = 0; b < kBlocks; ++b) {
            const std::string sp = lp + "swin" + num(b + 1) + ".";
            hidden[size_t(b)] = 0;  // each block has its own mlp width
            heads[size_t(b)] = swinir::check_swin_block(k, sp, p.width(b), p.window, hidden[size_t(b)], p.qkv_bias, l == 0 && b == 0);
            conv(k, lp + "adjust" + num(b + 1), b + 1 < kBlocks ? p.gc : e, p.width(b), 1);
        }
        if (k.has(lp + "swin" + num(kBlocks + 1) + ".norm1.weight") || k.has(lp + "adjust" + num(kBlocks + 1) + ".weight"))
            k.fail("layers." + num(l) + " has more than " + num(kBlocks) + " Swin blocks ('" + lp + "swin" + num(kBlocks + 1) +
                   "'): not the published DRCT group");
        p.heads.push_back(heads);
        p.hidden.push_back(hidden);
    }
    if (k.has("layers." + num(groups) + ".adjust1.weight"))
        k.fail("layers." + num(groups) + " has adjust1 but no swin1");
    k.shape("norm.weight", {e});
    k.shape("norm.bias", {e});
    p.conv_after_body = k.has("conv_after_body.weight");
    if (p.conv_after_body) conv(k, "conv_after_body", e, e, 3);
    if (!k.has("conv_last.weight"))
        k.fail("DRCT without the pixelshuffle reconstruction (no 'conv_last.weight': DRCT_arch.py's other upsamplers "
               "return their input unchanged) is not supported");
    const formats::Tensor& before = k.need("conv_before_upsample.0.weight", 4);
    p.feat = k.bounded(before.shape[0], 1, kMaxChannels, "num_feat (conv_before_upsample.0.weight dim 0)");
    conv(k, "conv_before_upsample.0", p.feat, e, 3);
    const int64_t f = p.feat;
    while (p.ups < 4 && k.has("upsample." + num(2 * p.ups) + ".weight")) ++p.ups;
    const int64_t up = k.need("upsample.0.weight", 4).shape[0];
    if (p.ups == 1 && up == 9 * f) p.scale = 3;
    else if (up == 4 * f) p.scale = 1 << p.ups;
    else k.fail("tensor 'upsample.0.weight' has " + num(up) + " outputs, not 4 or 9 x num_feat " + num(f));
    for (int i = 0; i < p.ups; ++i) conv(k, "upsample." + num(2 * i), (p.scale == 3 ? 9 : 4) * f, f, 3);
    const formats::Tensor& last = k.need("conv_last.weight", 4);
    p.out = k.bounded(last.shape[0], 1, 4, "the output channels (conv_last.weight dim 0)");
    conv(k, "conv_last", p.out, f, 3);
    return p;
}

namespace {

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& name) {
    (void)metadata;
    const Params p = params(t, name + ": DRCT");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = p.in;
    d.out_channels = p.out;
    // (x - mean) * img_range; the runner maps the output back by the inverse.
    d.gain.assign(size_t(p.out), p.img_range);
    d.offset.assign(size_t(p.out), 0.0f);
    if (p.in == 3 && p.out == 3)
        for (int c = 0; c < 3; ++c) d.offset[size_t(c)] = -swinir::kMean[c] * p.img_range;
    // Swin1's heads per group (the other blocks' follow from their widths; the bias tables say).
    std::string heads;
    bool same = true;
    for (size_t i = 0; i < p.heads.size(); ++i) {
        heads += (i ? "," : "") + num(p.heads[i][0]);
        same = same && p.heads[i] == p.heads[0] && p.hidden[i] == p.hidden[0];
    }
    std::string blocks;  // heads / mlp width of swin1..5 in group 0
    for (int b = 0; b < kBlocks; ++b) blocks += (b ? " " : "") + num(p.heads[0][size_t(b)]) + "/" + num(p.hidden[0][size_t(b)]);
    const int groups = int(p.heads.size());
    const bool large = groups == 12 && p.embed == 180 && p.gc == 32 && p.window == 16;
    d.summary = std::string(large ? "DRCT-L" : "DRCT") + " x" + num(p.scale) + ", embed " + num(p.embed) + ", " + num(groups) +
                (groups == 1 ? " group" : " groups") + ", gc " + num(p.gc) + ", heads " + (same ? num(p.heads[0][0]) : "[" + heads + "]") + ", window " +
                num(p.window) + ", mlp " + num(p.hidden[0][0]) + " (swin1..5 heads/mlp " + blocks + ")" +
                (p.conv_after_body ? "" : ", identity resi_connection");
    d.size_multiple = p.window;
    d.multiple_pad = EdgePad::reflect;  // drct_model.py's pre_process: F.pad(..., 'reflect')
    // Tiling (docs/models.md): as SwinIR's, in windows; 2 windows of context (32 px at window 16)
    // kept tiled runs within 2/255 of untiled (measured, random weights).
    d.context = 2 * p.window;
    d.preferred_tile = 16 * p.window;
    // Multiply-adds per input pixel: convs, and per token and block qkv, proj, q k^T, attn v, mlp,
    // adjust.
    const int64_t e = p.embed, n = int64_t(p.window) * p.window, f = p.feat;
    int64_t macs = 9 * p.in * e;
    for (const auto& hidden : p.hidden)
        for (int b = 0; b < kBlocks; ++b) {
            const int64_t c = p.width(b);
            macs += 4 * c * c + 2 * n * c + 2 * c * hidden[size_t(b)] + c * (b + 1 < kBlocks ? p.gc : e);
        }
    if (p.conv_after_body) macs += 9 * e * e;
    macs += 9 * e * f;
    int64_t area = 1;
    for (int i = 0; i < p.ups; ++i) {
        macs += 9 * f * (p.scale == 3 ? 9 : 4) * f * area;
        area *= p.scale == 3 ? 9 : 4;
    }
    macs += 9 * f * p.out * area;
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"drct",
                          "DRCT (dense residual connected transformer: DRCT, DRCT-L, Real-DRCT)",
                          {"conv_first.*", "patch_embed.norm.*", "layers.#.swin#.*", "layers.#.adjust#.*", "norm.*",
                           "conv_after_body.*", "conv_before_upsample.0.*", "upsample.#.*", "conv_last.*"},
                          canonical,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::drct
