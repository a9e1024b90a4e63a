#include <algorithm>
#include <cmath>

#include "nn/arch/hat/hat.hpp"
#include "nn/arch/keys.hpp"
#include "nn/arch/swinir/swinir.hpp"

namespace upres::nn::arch::hat {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The stored index and mask buffers are never read (the network computes them for its input).
formats::TensorMap canonical(formats::TensorMap t) {
    for (auto it = t.begin(); it != t.end();)
        it = it->first == "relative_position_index_SA" || it->first == "relative_position_index_OCA" ||
                     ends_with(it->first, ".relative_position_index") || ends_with(it->first, "attn_mask")
                 ? t.erase(it)
                 : std::next(it);
    return t;
}

// SwinIR's keys plus HAT's channel-attention blocks or overlapping cross-attention (either is
// enough: a file with one and not the other is HAT's, refused naming what is missing).
bool claims(const formats::TensorMap& t) {
    return t.count("conv_first.weight") && t.count("layers.0.residual_group.blocks.0.attn.relative_position_bias_table") &&
           (any_key(t, "layers.#.residual_group.blocks.#.conv_block.*") || any_key(t, "layers.#.residual_group.overlap_attn.*"));
}

void conv(const Keys& k, const std::string& name, int64_t outs, int64_t ins, int64_t kernel) {
    k.shape(name + ".weight", {outs, ins, kernel, kernel});
    k.shape(name + ".bias", {outs});
}

void norm(const Keys& k, const std::string& name, int64_t dim) {
    k.shape(name + ".weight", {dim});
    k.shape(name + ".bias", {dim});
}

std::string num(int64_t i) { return std::to_string(i); }

// One hybrid attention block's channel-attention branch; the widths from block 0's, then checked.
void check_cab(const Keys& k, const std::string& p, Params& s) {
    const int64_t e = s.embed;
    if (s.cab == 0) s.cab = k.bounded(k.need(p + "cab.0.weight", 4).shape[0], 1, e, "CAB's width (" + p + "cab.0.weight dim 0)");
    conv(k, p + "cab.0", s.cab, e, 3);
    conv(k, p + "cab.2", e, s.cab, 3);
    if (s.squeeze == 0)
        s.squeeze = k.bounded(k.need(p + "cab.3.attention.1.weight", 4).shape[0], 1, e,
                              "the channel attention's width (" + p + "cab.3.attention.1.weight dim 0)");
    conv(k, p + "cab.3.attention.1", s.squeeze, e, 1);
    conv(k, p + "cab.3.attention.3", e, s.squeeze, 1);
}

// The group's overlapping cross-attention block; returns its heads (table dim 1) and sets the key
// window (0 on entry = not yet known) or checks it.
int check_ocab(const Keys& k, const std::string& p, Params& s) {
    const int64_t e = s.embed, w = s.window;
    const std::string name = p.substr(0, p.size() - 1);
    const formats::Tensor& table = k.need(p + "relative_position_bias_table", 2);
    const int heads = k.bounded(table.shape[1], 1, e, "the heads of " + name + " (relative_position_bias_table dim 1)");
    // (w + ow - 1)^2 rows: ow from the exact square root.
    const int64_t rows = table.shape[0];
    const int64_t side = int64_t(std::llround(std::sqrt(double(rows))));
    if (side * side != rows || side < 2 * w - 1)
        k.fail("tensor '" + p + "relative_position_bias_table' has " + num(rows) + " rows, not (w + ow - 1)^2 for window w " +
               num(w) + " and an overlapping window ow >= w");
    const int ow = k.bounded(side - w + 1, w, 4 * w, "the overlapping window (from " + p + "relative_position_bias_table)");
    // The authors' unfold pads (ow - w) / 2 on each side; with an odd difference its windows do not
    // line up with the queries' (their code fails on it).
    if ((ow - w) % 2)
        k.fail("the overlapping window " + num(ow) + " (from " + p + "relative_position_bias_table) exceeds the window " + num(w) +
               " by an odd amount, which HAT's overlapping cross-attention cannot centre");
    if (s.overlap == 0) s.overlap = ow;
    if (ow != s.overlap) k.fail(name + " has overlapping window " + num(ow) + " where the first group has " + num(s.overlap));
    norm(k, p + "norm1", e);
    norm(k, p + "norm2", e);
    k.shape(p + "qkv.weight", {3 * e, e});
    if (s.qkv_bias) k.shape(p + "qkv.bias", {3 * e});
    else if (k.has(p + "qkv.bias")) k.fail("tensor '" + p + "qkv.bias' where the blocks have no qkv bias");
    k.shape(p + "proj.weight", {e, e});
    k.shape(p + "proj.bias", {e});
    k.shape(p + "mlp.fc1.weight", {s.hidden, e});
    k.shape(p + "mlp.fc1.bias", {s.hidden});
    k.shape(p + "mlp.fc2.weight", {e, s.hidden});
    k.shape(p + "mlp.fc2.bias", {e});
    return heads;
}

void refuse_variants(const Keys& k) {
    if (k.has("absolute_pos_embed"))
        k.fail("HAT with an absolute position embedding ('absolute_pos_embed', ape=True) is not supported: the embedding "
               "fixes the input size");
    for (const char* key : {"conv_up1.weight", "conv_hr.weight"})
        if (k.has(key))
            k.fail(std::string("HAT with a nearest+conv reconstruction ('") + key +
                   "') is not supported: the authors' HAT has the pixel-shuffle one only");
    if (k.has("upsample.0.weight") && !k.has("conv_before_upsample.0.weight"))
        k.fail("HAT with a one-step pixel-shuffle reconstruction ('upsample.0.weight' without 'conv_before_upsample.0.weight') "
               "is not supported: the authors' HAT has the pixel-shuffle one only");
}

}  // namespace

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    refuse_variants(k);
    Params p;
    const formats::Tensor& first = k.need("conv_first.weight", 4);
    p.embed = k.bounded(first.shape[0], 1, kMaxChannels, "embed_dim (conv_first.weight dim 0)");
    p.in = k.bounded(first.shape[1], 1, 4, "the input channels (conv_first.weight dim 1)");
    conv(k, "conv_first", p.embed, p.in, 3);
    const int64_t e = p.embed;
    p.patch_norm = k.has("patch_embed.norm.weight");
    if (p.patch_norm) norm(k, "patch_embed.norm", e);
    const int layers = k.bounded(k.count("layers.", ".residual_group.blocks.0.norm1.weight"), 1, kMaxBlocks, "the number of RHAGs");
    p.window = 0;
    p.overlap = 0;
    p.conv_tail = k.has("conv_after_body.weight");  // resi_connection 1conv; identity has neither conv
    for (int l = 0; l < layers; ++l) {
        const std::string lp = "layers." + num(l) + ".";
        const std::string gp = lp + "residual_group.";
        const int depth = k.bounded(k.count(gp + "blocks.", ".norm1.weight"), 1, kMaxBlocks, "the depth of " + gp.substr(0, gp.size() - 1));
        int heads = 0;
        for (int b = 0; b < depth; ++b) {
            const std::string bp = gp + "blocks." + num(b) + ".";
            const int h = swinir::check_swin_block(k, bp, p.embed, p.window, p.hidden, p.qkv_bias, l == 0 && b == 0);
            if (b == 0) heads = h;
            else if (h != heads) k.fail(gp + "blocks." + num(b) + " has " + num(h) + " heads where block 0 has " + num(heads));
            check_cab(k, bp + "conv_block.", p);
        }
        const int oh = check_ocab(k, gp + "overlap_attn.", p);
        if (oh != heads) k.fail(gp + "overlap_attn has " + num(oh) + " heads where the group's blocks have " + num(heads));
        p.depths.push_back(depth);
        p.heads.push_back(heads);
        if (p.conv_tail) conv(k, lp + "conv", e, e, 3);
        else if (k.has(lp + "conv.weight")) k.fail("tensor '" + lp + "conv.weight' but no conv_after_body (resi_connection identity)");
    }
    if (k.has("layers." + num(layers) + ".conv.weight") || k.has("layers." + num(layers) + ".residual_group.overlap_attn.qkv.weight"))
        k.fail("layers." + num(layers) + " has a conv or overlap_attn but no residual_group.blocks.0");
    norm(k, "norm", e);
    if (p.conv_tail) conv(k, "conv_after_body", e, e, 3);
    // The pixel-shuffle reconstruction (x1: no upsample convs).
    const formats::Tensor& before = k.need("conv_before_upsample.0.weight", 4);
    p.feat = k.bounded(before.shape[0], 1, kMaxChannels, "num_feat (conv_before_upsample.0.weight dim 0)");
    conv(k, "conv_before_upsample.0", p.feat, e, 3);
    const int64_t f = p.feat;
    while (p.ups < 4 && k.has("upsample." + num(2 * p.ups) + ".weight")) ++p.ups;
    if (p.ups == 0) {
        p.scale = 1;
    } else {
        const int64_t up = k.need("upsample.0.weight", 4).shape[0];
        if (p.ups == 1 && up == 9 * f) p.scale = 3;
        else if (up == 4 * f) p.scale = 1 << p.ups;
        else k.fail("tensor 'upsample.0.weight' has " + num(up) + " outputs, not 4 or 9 x num_feat " + num(f));
        for (int i = 0; i < p.ups; ++i) conv(k, "upsample." + num(2 * i), (p.scale == 3 ? 9 : 4) * f, f, 3);
    }
    conv(k, "conv_last", p.in, f, 3);
    return p;
}

namespace {

// The published sizes by name (HAT-S / HAT / HAT-L: embed 144 / 180 / 180, 6 / 6 / 12 groups of 6
// blocks, 6 heads, window 16, overlap 24, mlp ratio 2, compress_ratio 24 / 3 / 3, squeeze_factor
// 24 / 30 / 30), else "HAT".
std::string variant(const Params& p) {
    const bool common = std::all_of(p.depths.begin(), p.depths.end(), [](int d) { return d == 6; }) &&
                        std::all_of(p.heads.begin(), p.heads.end(), [](int h) { return h == 6; }) && p.window == 16 &&
                        p.overlap == 24 && p.hidden == 2 * p.embed && p.conv_tail && p.patch_norm && p.qkv_bias && p.feat == 64;
    if (!common) return "HAT";
    if (p.embed == 144 && p.depths.size() == 6 && p.cab == 6 && p.squeeze == 6) return "HAT-S";
    if (p.embed == 180 && p.cab == 60 && p.squeeze == 6) {
        if (p.depths.size() == 6) return "HAT";
        if (p.depths.size() == 12) return "HAT-L";
    }
    return "HAT";
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& name) {
    (void)metadata;
    const Params p = params(t, name + ": HAT");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = p.in;
    d.out_channels = p.in;
    // x - mean (img_range 1); the runner maps the output back by the inverse.
    if (p.in == 3) {
        d.gain.assign(3, 1.0f);
        d.offset.assign(3, 0.0f);
        for (int c = 0; c < 3; ++c) d.offset[size_t(c)] = -swinir::kMean[c];
    }
    std::string depths, heads;
    for (size_t i = 0; i < p.depths.size(); ++i) {
        depths += (i ? "," : "") + num(p.depths[i]);
        heads += (i ? "," : "") + num(p.heads[i]);
    }
    const bool same_heads = std::all_of(p.heads.begin(), p.heads.end(), [&](int h) { return h == p.heads[0]; });
    d.summary = variant(p) + " x" + num(p.scale) + ", embed " + num(p.embed) + ", depths [" + depths + "], heads " +
                (same_heads ? num(p.heads[0]) : "[" + heads + "]") + ", window " + num(p.window) + ", overlap window " +
                num(p.overlap) + ", mlp " + num(p.hidden) + ", CAB " + num(p.cab) + " / squeeze " + num(p.squeeze) +
                (p.conv_tail ? ", 1conv" : ", identity");
    d.size_multiple = p.window;
    d.multiple_pad = EdgePad::reflect;  // hat_model.py's test(): F.pad(..., 'reflect')
    // Tiling (docs/models.md): on HAT-S-size random weights, 300x80 in two 256-pixel tiles, an
    // overlap of 1 / 2 / 3 / 4 windows left 4.2/255, 0.18/255, 0.01/255, 1.2e-6.
    d.context = 3 * p.window;
    d.preferred_tile = 16 * p.window;
    // Multiply-adds per input pixel: convs, per token and block qkv, proj, q k^T, attn v, mlp, CAB;
    // per token and group the OCAB (qkv, proj, attention over ow^2 keys, mlp) and the group's conv.
    const int64_t e = p.embed, n = int64_t(p.window) * p.window, no = int64_t(p.overlap) * p.overlap;
    int64_t macs = 9 * p.in * e;
    int64_t blocks = 0;
    for (int dpt : p.depths) blocks += dpt;
    macs += blocks * (4 * e * e + 2 * n * e + 2 * e * p.hidden + 18 * e * p.cab);
    const int64_t groups = int64_t(p.depths.size());
    macs += groups * (4 * e * e + 2 * no * e + 2 * e * p.hidden + (p.conv_tail ? 9 * e * e : 0));
    if (p.conv_tail) macs += 9 * e * e;
    const int64_t f = p.feat;
    macs += 9 * e * f;
    int64_t area = 1;
    for (int i = 0; i < p.ups; ++i) {
        macs += 9 * f * (p.scale == 3 ? 9 : 4) * f * area;
        area *= p.scale == 3 ? 9 : 4;
    }
    macs += 9 * f * p.in * area;
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"hat",
                          "HAT (hybrid attention transformer: HAT-S, HAT, HAT-L)",
                          {"conv_first.*", "patch_embed.norm.*", "layers.#.residual_group.blocks.#.*",
                           "layers.#.residual_group.overlap_attn.*", "layers.#.conv.*", "norm.*", "conv_after_body.*",
                           "conv_before_upsample.0.*", "upsample.#.*", "conv_last.*", "relative_position_index_SA",
                           "relative_position_index_OCA"},
                          canonical,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::hat
