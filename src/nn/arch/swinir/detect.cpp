#include <algorithm>
#include <cmath>

#include "nn/arch/keys.hpp"
#include "nn/arch/swinir/swinir.hpp"

namespace upres::nn::arch::swinir {

namespace {

const char* kBlock0 = "layers.0.residual_group.blocks.0.";

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The stored index and mask buffers are never read (both depend on sizes the network computes).
formats::TensorMap canonical(formats::TensorMap t) {
    for (auto it = t.begin(); it != t.end();)
        it = ends_with(it->first, ".attn.relative_position_index") || ends_with(it->first, ".attn_mask") ? t.erase(it) : std::next(it);
    return t;
}

// SwinIR's keys, and those of the look-alikes that share them (refused by describe, naming them).
bool claims(const formats::TensorMap& t) {
    const bool first = t.count("conv_first.weight") || t.count("conv_first.1.weight");
    const std::string b = kBlock0;
    return first && (t.count(b + "attn.relative_position_bias_table") || t.count(b + "attn.cpb_mlp.0.weight"));
}

// A convolution weight [outs, ins, k, k] and its bias.
void conv(const Keys& k, const std::string& name, int64_t outs, int64_t ins, int64_t kernel) {
    k.shape(name + ".weight", {outs, ins, kernel, kernel});
    k.shape(name + ".bias", {outs});
}

void norm(const Keys& k, const std::string& name, int64_t dim) {
    k.shape(name + ".weight", {dim});
    k.shape(name + ".bias", {dim});
}

std::string num(int64_t i) { return std::to_string(i); }

// The first key matching a pattern, for the messages that name a look-alike's keys.
std::string first_key(const formats::TensorMap& t, const std::string& pattern) {
    for (const auto& kv : t)
        if (key_matches(pattern, kv.first)) return kv.first;
    return "";
}

// The families that share SwinIR's names in part, refused here by name (until upres has them, or
// where their own family did not claim the file).
void refuse_lookalikes(const Keys& k) {
    const auto& t = k.t;
    const std::string cab = first_key(t, "layers.#.residual_group.blocks.#.conv_block.*");
    const std::string oca = first_key(t, "layers.#.residual_group.overlap_attn.*");
    // The hat family (before this one in the table) claims HAT's files; what reaches here has some
    // of HAT's names but not what the hat family reads them by.
    if (!cab.empty() || !oca.empty() || t.count("relative_position_index_SA"))
        k.fail("this has names of HAT (hybrid attention transformer: '" +
               (!cab.empty() ? cab : !oca.empty() ? oca : std::string("relative_position_index_SA")) +
               "') but not HAT's 'conv_first.weight' with channel-attention blocks "
               "'layers.N.residual_group.blocks.M.conv_block.cab.*' or overlapping cross-attention "
               "'layers.N.residual_group.overlap_attn.*': neither HAT nor SwinIR");
    const std::string v2 = first_key(t, "layers.#.residual_group.blocks.#.attn.cpb_mlp.*");
    const std::string logit = first_key(t, "layers.#.residual_group.blocks.#.attn.logit_scale");
    if (!v2.empty() || !logit.empty())
        k.fail("this is Swin2SR (SwinV2 blocks: scaled cosine attention '" + (logit.empty() ? v2 : logit) +
               "' and a continuous position bias MLP), which upres does not support yet");
    if (k.has("conv_first.1.weight"))
        k.fail("SwinIR with a pixel-unshuffle input ('conv_first.1.weight', conv_first a Sequential after PixelUnshuffle) "
               "is not supported yet: its implementations differ (chaiNNer unshuffles the input; spandrel enlarges it "
               "bicubically first)");
    if (k.has("absolute_pos_embed"))
        k.fail("SwinIR with an absolute position embedding ('absolute_pos_embed', ape=True) is not supported: the "
               "embedding fixes the input size");
}

float img_range_from(const Keys& k, const std::map<std::string, std::string>& metadata, int window) {
    auto it = metadata.find("img_range");
    if (it == metadata.end()) return window == 7 ? 255.0f : 1.0f;
    double v = 0;
    try {
        v = std::stod(it->second);
    } catch (...) {
        v = 0;
    }
    if (!(v == 1.0 || v == 255.0)) k.fail("metadata img_range '" + it->second + "' is neither 1 nor 255");
    return float(v);
}

}  // namespace

int check_swin_block(const Keys& k, const std::string& p, int dim, int& window, int& hidden, bool& qkv_bias, bool first) {
    const formats::Tensor& table = k.need(p + "attn.relative_position_bias_table", 2);
    const int heads = k.bounded(table.shape[1], 1, dim, "the heads of " + p + "attn (relative_position_bias_table dim 1)");
    if (dim % heads) k.fail(p + "attn has " + num(heads) + " heads, which do not divide the width " + num(dim));
    // (2w - 1)^2 rows: w from the square root, which must be exact and odd.
    const int64_t rows = table.shape[0];
    const int64_t side = int64_t(std::llround(std::sqrt(double(rows))));
    if (side * side != rows || side % 2 == 0)
        k.fail("tensor '" + p + "attn.relative_position_bias_table' has " + num(rows) + " rows, not (2w - 1)^2 for a window w");
    const int w = k.bounded((side + 1) / 2, 1, 64, "the window size (from " + p + "attn.relative_position_bias_table)");
    if (window == 0) window = w;
    if (w != window) k.fail(p + "attn has window " + num(w) + " where the first block has " + num(window));
    norm(k, p + "norm1", dim);
    norm(k, p + "norm2", dim);
    k.shape(p + "attn.qkv.weight", {3 * int64_t(dim), dim});
    if (first) qkv_bias = k.has(p + "attn.qkv.bias");
    if (qkv_bias) k.shape(p + "attn.qkv.bias", {3 * int64_t(dim)});
    else if (k.has(p + "attn.qkv.bias")) k.fail("tensor '" + p + "attn.qkv.bias' where the first block has no qkv bias");
    k.shape(p + "attn.proj.weight", {dim, dim});
    k.shape(p + "attn.proj.bias", {dim});
    const formats::Tensor& fc1 = k.need(p + "mlp.fc1.weight", 2);
    if (hidden == 0) hidden = k.bounded(fc1.shape[0], 1, 16 * kMaxChannels, "the mlp width (" + p + "mlp.fc1.weight dim 0)");
    k.shape(p + "mlp.fc1.weight", {hidden, dim});
    k.shape(p + "mlp.fc1.bias", {hidden});
    k.shape(p + "mlp.fc2.weight", {dim, hidden});
    k.shape(p + "mlp.fc2.bias", {dim});
    return heads;
}

Params params(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& where) {
    const Keys k{t, where};
    refuse_lookalikes(k);
    Params p;
    const formats::Tensor& first = k.need("conv_first.weight", 4);
    p.embed = k.bounded(first.shape[0], 1, kMaxChannels, "embed_dim (conv_first.weight dim 0)");
    p.in = k.bounded(first.shape[1], 1, 4, "the input channels (conv_first.weight dim 1)");
    conv(k, "conv_first", p.embed, p.in, 3);
    const int64_t e = p.embed;
    p.patch_norm = k.has("patch_embed.norm.weight");
    if (p.patch_norm) norm(k, "patch_embed.norm", e);
    const int layers = k.bounded(k.count("layers.", ".residual_group.blocks.0.norm1.weight"), 1, kMaxBlocks, "the number of RSTBs");
    p.window = 0;
    p.three_conv = k.has("conv_after_body.0.weight");
    for (int l = 0; l < layers; ++l) {
        const std::string lp = "layers." + num(l) + ".";
        const int depth = k.bounded(k.count(lp + "residual_group.blocks.", ".norm1.weight"), 1, kMaxBlocks, "the depth of " + lp + "residual_group");
        int heads = 0;
        for (int b = 0; b < depth; ++b) {
            const int h = check_swin_block(k, lp + "residual_group.blocks." + num(b) + ".", p.embed, p.window, p.hidden, p.qkv_bias, l == 0 && b == 0);
            if (b == 0) heads = h;
            else if (h != heads) k.fail(lp + "residual_group.blocks." + num(b) + " has " + num(h) + " heads where block 0 has " + num(heads));
        }
        p.depths.push_back(depth);
        p.heads.push_back(heads);
        if (p.three_conv) {
            conv(k, lp + "conv.0", e / 4, e, 3);
            conv(k, lp + "conv.2", e / 4, e / 4, 1);
            conv(k, lp + "conv.4", e, e / 4, 3);
        } else {
            conv(k, lp + "conv", e, e, 3);
        }
    }
    if (k.has("layers." + num(layers) + ".conv.weight") || k.has("layers." + num(layers) + ".conv.0.weight"))
        k.fail("layers." + num(layers) + " has a conv but no residual_group.blocks.0");
    norm(k, "norm", e);
    if (p.three_conv) {
        if (e % 4) k.fail("the 3conv tail needs embed_dim a multiple of 4, not " + num(e));
        conv(k, "conv_after_body.0", e / 4, e, 3);
        conv(k, "conv_after_body.2", e / 4, e / 4, 1);
        conv(k, "conv_after_body.4", e, e / 4, 3);
    } else {
        conv(k, "conv_after_body", e, e, 3);
    }
    // The reconstruction.
    if (k.has("conv_before_upsample.0.weight")) {
        const formats::Tensor& before = k.need("conv_before_upsample.0.weight", 4);
        p.feat = k.bounded(before.shape[0], 1, kMaxChannels, "num_feat (conv_before_upsample.0.weight dim 0)");
        conv(k, "conv_before_upsample.0", p.feat, e, 3);
        const int64_t f = p.feat;
        if (k.has("conv_up1.weight")) {
            p.upsampler = Upsampler::nearest_conv;
            while (p.ups < 4 && k.has("conv_up" + num(p.ups + 1) + ".weight")) ++p.ups;
            if (p.ups < 2 || p.ups > 3) k.fail("nearest+conv needs conv_up1, conv_up2 (x4) and optionally conv_up3 (x8); found " + num(p.ups));
            for (int i = 1; i <= p.ups; ++i) conv(k, "conv_up" + num(i), f, f, 3);
            p.scale = 1 << p.ups;
            conv(k, "conv_hr", f, f, 3);
        } else {
            p.upsampler = Upsampler::pixelshuffle;
            while (p.ups < 4 && k.has("upsample." + num(2 * p.ups) + ".weight")) ++p.ups;
            if (p.ups == 0) k.need("upsample.0.weight", 4);
            const int64_t up = k.need("upsample.0.weight", 4).shape[0];
            if (p.ups == 1 && up == 9 * f) p.scale = 3;
            else if (up == 4 * f) p.scale = 1 << p.ups;
            else k.fail("tensor 'upsample.0.weight' has " + num(up) + " outputs, not 4 or 9 x num_feat " + num(f));
            for (int i = 0; i < p.ups; ++i) conv(k, "upsample." + num(2 * i), (p.scale == 3 ? 9 : 4) * f, f, 3);
        }
        const formats::Tensor& last = k.need("conv_last.weight", 4);
        p.out = k.bounded(last.shape[0], 1, 4, "the output channels (conv_last.weight dim 0)");
        conv(k, "conv_last", p.out, f, 3);
    } else if (k.has("upsample.0.weight")) {
        p.upsampler = Upsampler::pixelshuffledirect;
        p.out = p.in;  // UpsampleOneStep maps to in_chans x s^2
        const int64_t up = k.need("upsample.0.weight", 4).shape[0];
        const int64_t s = int64_t(std::llround(std::sqrt(double(up) / p.out)));
        if (s < 1 || s * s * p.out != up)
            k.fail("tensor 'upsample.0.weight' has " + num(up) + " outputs, not channels " + num(p.out) + " x scale^2");
        p.scale = k.bounded(s, 1, 16, "the scale (from upsample.0.weight)");
        conv(k, "upsample.0", up, e, 3);
        p.ups = 1;
    } else {
        p.upsampler = Upsampler::none;
        p.scale = 1;
        p.out = p.in;  // the output is the input plus conv_last's residual
        conv(k, "conv_last", p.out, e, 3);
    }
    p.img_range = img_range_from(k, metadata, p.window);
    return p;
}

namespace {

const char* upsampler_name(Upsampler u) {
    switch (u) {
        case Upsampler::pixelshuffle: return "pixelshuffle";
        case Upsampler::pixelshuffledirect: return "pixelshuffledirect";
        case Upsampler::nearest_conv: return "nearest+conv";
        case Upsampler::none: break;
    }
    return "no upsampler";
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& name) {
    const Params p = params(t, metadata, name + ": SwinIR");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = p.in;
    d.out_channels = p.out;
    // (x - mean) * img_range; the runner maps the output back by the inverse.
    d.gain.assign(size_t(p.in), p.img_range);
    d.offset.assign(size_t(p.in), 0.0f);
    if (p.in == 3)
        for (int c = 0; c < 3; ++c) d.offset[size_t(c)] = -kMean[c] * p.img_range;
    if (p.out != p.in) {  // no published model; the inverse map needs one entry per output channel
        d.gain.assign(size_t(p.out), p.img_range);
        d.offset.assign(size_t(p.out), 0.0f);
    }
    std::string depths, heads;
    for (size_t i = 0; i < p.depths.size(); ++i) {
        depths += (i ? "," : "") + num(p.depths[i]);
        heads += (i ? "," : "") + num(p.heads[i]);
    }
    const bool same_heads = std::all_of(p.heads.begin(), p.heads.end(), [&](int h) { return h == p.heads[0]; });
    d.summary = "SwinIR x" + num(p.scale) + ", embed " + num(p.embed) + ", depths [" + depths + "], heads " +
                (same_heads ? num(p.heads[0]) : "[" + heads + "]") + ", window " + num(p.window) + ", mlp " + num(p.hidden) +
                ", " + upsampler_name(p.upsampler) + (p.three_conv ? ", 3conv" : ", 1conv") +
                (p.img_range == 1.0f ? "" : ", img_range 255");
    d.size_multiple = p.window;
    d.multiple_pad = EdgePad::reflect;  // network_swinir.py's check_image_size: F.pad(..., 'reflect')
    // Tiling (docs/models.md): every shifted-window block and every conv widens what a pixel sees;
    // 4 windows of context kept tiled runs within 2/255 of untiled (measured, random weights).
    d.context = 4 * p.window;
    d.preferred_tile = 32 * p.window;
    // Multiply-adds per input pixel: convs, and per token and block qkv, proj, q k^T, attn v, mlp.
    const int64_t e = p.embed, n = int64_t(p.window) * p.window;
    int64_t macs = 9 * p.in * e;
    int64_t blocks = 0;
    for (int dpt : p.depths) blocks += dpt;
    macs += blocks * (3 * e * e + e * e + 2 * n * e + 2 * e * p.hidden);
    const int64_t rstb_conv = p.three_conv ? 9 * e * (e / 4) * 2 + (e / 4) * (e / 4) : 9 * e * e;
    macs += int64_t(p.depths.size() + 1) * rstb_conv;
    const int64_t f = p.feat;
    switch (p.upsampler) {
        case Upsampler::pixelshuffle: {
            macs += 9 * e * f;
            int64_t area = 1;
            for (int i = 0; i < p.ups; ++i) {
                macs += 9 * f * (p.scale == 3 ? 9 : 4) * f * area;
                area *= p.scale == 3 ? 9 : 4;
            }
            macs += 9 * f * p.out * area;
            break;
        }
        case Upsampler::pixelshuffledirect: macs += 9 * e * p.out * p.scale * p.scale; break;
        case Upsampler::nearest_conv: {
            macs += 9 * e * f;
            int64_t area = 1;
            for (int i = 0; i < p.ups; ++i) area *= 4, macs += 9 * f * f * area;
            macs += 9 * f * f * area + 9 * f * p.out * area;
            break;
        }
        case Upsampler::none: macs += 9 * e * p.out; break;
    }
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"swinir",
                          "SwinIR (Swin transformer image restoration)",
                          {"conv_first.*", "patch_embed.norm.*", "layers.#.residual_group.blocks.#.*", "layers.#.conv.*",
                           "norm.*", "conv_after_body.*", "conv_before_upsample.0.*", "upsample.#.*", "conv_up#.*",
                           "conv_hr.*", "conv_last.*"},
                          canonical,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::swinir
