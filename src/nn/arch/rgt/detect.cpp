#include <algorithm>
#include <cmath>
#include <cstdio>

#include "nn/arch/keys.hpp"
#include "nn/arch/rgt/rgt.hpp"

namespace upres::nn::arch::rgt {

namespace {

std::string num(int64_t i) { return std::to_string(i); }

bool claims(const formats::TensorMap& t) {
    return t.count("conv_first.weight") && t.count("before_RG.1.weight") && t.count("layers.0.blocks.0.gamma") &&
           t.count("layers.0.blocks.0.attn.attns.0.pos.pos_proj.weight");
}

void conv(const Keys& k, const std::string& name, int64_t outs, int64_t ins, int64_t kernel) {
    k.shape(name + ".weight", {outs, ins, kernel, kernel});
    k.shape(name + ".bias", {outs});
}

void norm(const Keys& k, const std::string& name, int64_t dim) {
    k.shape(name + ".weight", {dim});
    k.shape(name + ".bias", {dim});
}

void linear(const Keys& k, const std::string& name, int64_t outs, int64_t ins, bool bias = true) {
    k.shape(name + ".weight", {outs, ins});
    if (bias) k.shape(name + ".bias", {outs});
    else if (k.has(name + ".bias")) k.fail("tensor '" + name + ".bias' where the first block has no qkv bias");
}

// The split size from metadata "a,b", or from the first L-SA branch's buffer shapes: sh * sw
// index rows and (2sh - 1)(2sw - 1) offset rows give sh + sw and sh * sw, so {sh, sw} (sh <= sw).
void split_size(const Keys& k, const std::map<std::string, std::string>& metadata, Params& p) {
    auto it = metadata.find("split_size");
    if (it != metadata.end()) {
        int a = 0, b = 0;
        char comma = 0, extra = 0;
        if (std::sscanf(it->second.c_str(), "%d %c %d %c", &a, &comma, &b, &extra) != 3 || comma != ',' || a < 1 || b < 1 ||
            a > 64 || b > 64)
            k.fail("metadata split_size '" + it->second + "' is not two window sides 'h,w' of 1 to 64");
        p.split_h = a, p.split_w = b;
        return;
    }
    const std::string b = "layers.0.blocks.0.attn.attns.0.";
    if (!k.has(b + "rpe_biases") && !k.has(b + "relative_position_index")) return;  // the published [8, 32]
    const formats::Tensor& off = k.need(b + "rpe_biases", 2);
    const formats::Tensor& index = k.need(b + "relative_position_index", 2);
    if (off.shape[1] != 2) k.fail("tensor '" + b + "rpe_biases' has " + num(off.shape[1]) + " columns, not 2 (dy, dx)");
    const int64_t area = index.shape[0], rows = off.shape[0];
    if (index.shape[1] != area) k.fail("tensor '" + b + "relative_position_index' is not square");
    for (int64_t sh = 1; sh <= 64 && sh * sh <= area; ++sh)
        if (area % sh == 0 && area / sh <= 64 && (2 * sh - 1) * (2 * (area / sh) - 1) == rows) {
            p.split_h = int(sh), p.split_w = int(area / sh);
            return;
        }
    k.fail("tensors '" + b + "rpe_biases' (" + num(rows) + " rows) and '" + b + "relative_position_index' (" + num(area) +
           " rows) fit no window sh x sw of sides 1 to 64 ((2sh - 1)(2sw - 1) and sh sw rows)");
}

// A 3x3 (or k x k) depthwise conv of `dim` channels.
void depthwise(const Keys& k, const std::string& name, int64_t dim, int64_t kernel = 3) { conv(k, name, dim, 1, kernel); }

// The position-bias MLP of one L-SA branch; returns its heads.
int position_mlp(const Keys& k, const std::string& p, int& width) {
    const formats::Tensor& proj = k.need(p + "pos_proj.weight", 2);
    if (width == 0) width = k.bounded(proj.shape[0], 1, kMaxChannels, "the position MLP width (" + p + "pos_proj.weight dim 0)");
    linear(k, p + "pos_proj", width, 2);
    for (const char* s : {"pos1", "pos2"}) {
        norm(k, p + s + ".0", width);
        linear(k, p + s + ".2", width, width);
    }
    norm(k, p + "pos3.0", width);
    const formats::Tensor& out = k.need(p + "pos3.2.weight", 2);
    const int heads = k.bounded(out.shape[0], 1, kMaxChannels, "the heads of " + p + " (pos3.2.weight dim 0)");
    linear(k, p + "pos3.2", heads, width);
    return heads;
}

}  // namespace

int recursions(int64_t h, int64_t w) {
    auto log4 = [](int64_t n) { return n >= 1 ? int(std::log(double(n)) / std::log(4.0)) : 0; };
    int t = std::max({2, log4(h / 16), log4(w / 16)});
    while (t > 0 && (h >> (2 * t) == 0 || w >> (2 * t) == 0)) --t;
    return t;
}

Params params(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& where) {
    const Keys k{t, where};
    Params p;
    const formats::Tensor& first = k.need("conv_first.weight", 4);
    p.embed = k.bounded(first.shape[0], 2, kMaxChannels, "embed_dim (conv_first.weight dim 0)");
    p.in = k.bounded(first.shape[1], 1, 4, "the input channels (conv_first.weight dim 1)");
    conv(k, "conv_first", p.embed, p.in, 3);
    const int64_t c = p.embed;
    if (c % 2) k.fail("embed_dim " + num(c) + " is odd: L-SA splits the channels into two halves");
    norm(k, "before_RG.1", c);
    split_size(k, metadata, p);
    const int groups = k.bounded(k.count("layers.", ".blocks.0.norm1.weight"), 1, kMaxBlocks, "the number of residual groups");
    p.three_conv = k.has("conv_after_body.0.weight");
    for (int g = 0; g < groups; ++g) {
        const std::string gp = "layers." + num(g) + ".";
        const int depth = k.bounded(k.count(gp + "blocks.", ".norm1.weight"), 1, kMaxBlocks, "the depth of " + gp + "blocks");
        int heads = 0;
        for (int b = 0; b < depth; ++b) {
            const std::string bp = gp + "blocks." + num(b) + ".";
            norm(k, bp + "norm1", c);
            norm(k, bp + "norm2", c);
            k.shape(bp + "gamma", {c});
            const formats::Tensor& fc1 = k.need(bp + "mlp.fc1.weight", 2);
            if (p.hidden == 0) p.hidden = k.bounded(fc1.shape[0], 2, 16 * kMaxChannels, "the mlp width (" + bp + "mlp.fc1.weight dim 0)");
            if (p.hidden % 2) k.fail("the mlp width " + num(p.hidden) + " is odd: its gate halves it");
            linear(k, bp + "mlp.fc1", p.hidden, c);
            norm(k, bp + "mlp.sg.norm", p.hidden / 2);
            depthwise(k, bp + "mlp.sg.conv", p.hidden / 2);
            linear(k, bp + "mlp.fc2", c, p.hidden / 2);
            const std::string ap = bp + "attn.";
            if (g == 0 && b == 0) p.qkv_bias = k.has(ap + "qkv.bias");
            if (b % 2 == 0) {
                if (k.has(ap + "reduction1.weight")) k.fail("block " + bp + " has RG-SA keys ('" + ap + "reduction1.weight') where L-SA belongs (even blocks)");
                linear(k, ap + "qkv", 3 * c, c, p.qkv_bias);
                linear(k, ap + "proj", c, c);
                depthwise(k, ap + "get_v", c);
                const int h0 = position_mlp(k, ap + "attns.0.pos.", p.pos), h1 = position_mlp(k, ap + "attns.1.pos.", p.pos);
                if (h0 != h1) k.fail(ap + "attns.0 has " + num(h0) + " heads and attns.1 " + num(h1));
                const int h = 2 * h0;
                if (c % h) k.fail(ap + " has " + num(h) + " heads (2 x " + num(h0) + " per branch), which do not divide the width " + num(c));
                if (b == 0) heads = h;
                else if (h != heads) k.fail(ap + " has " + num(h) + " heads where block 0 has " + num(heads));
            } else {
                if (k.has(ap + "qkv.weight")) k.fail("block " + bp + " has L-SA keys ('" + ap + "qkv.weight') where RG-SA belongs (odd blocks)");
                depthwise(k, ap + "reduction1", c, 4);
                depthwise(k, ap + "dwconv", c);
                const formats::Tensor& cw = k.need(ap + "conv.weight", 4);
                if (p.cr == 0) p.cr = k.bounded(cw.shape[0], 1, c, "c_ratio x embed_dim (" + ap + "conv.weight dim 0)");
                conv(k, ap + "conv", p.cr, c, 1);
                norm(k, ap + "norm_act.0", p.cr);
                linear(k, ap + "q", p.cr, c, p.qkv_bias);
                linear(k, ap + "k", p.cr, p.cr, p.qkv_bias);
                linear(k, ap + "v", c, p.cr, p.qkv_bias);
                depthwise(k, ap + "cpe", c);
                linear(k, ap + "proj", c, c);
            }
        }
        if (p.cr && (p.cr % heads)) k.fail("RG-SA's width " + num(p.cr) + " (" + gp + "blocks.1.attn.conv) is not a multiple of the " + num(heads) + " heads");
        p.depths.push_back(depth);
        p.heads.push_back(heads);
        if (p.three_conv) {
            conv(k, gp + "conv.0", c / 4, c, 3);
            conv(k, gp + "conv.2", c / 4, c / 4, 1);
            conv(k, gp + "conv.4", c, c / 4, 3);
        } else {
            conv(k, gp + "conv", c, c, 3);
        }
    }
    for (size_t g = 0; g < p.heads.size(); ++g)  // c_ratio is one for the network; heads per group
        if (p.cr && p.cr % p.heads[g]) k.fail("RG-SA's width " + num(p.cr) + " is not a multiple of layers." + num(int64_t(g)) + "'s " + num(p.heads[g]) + " heads");
    norm(k, "norm", c);
    if (p.three_conv) {
        if (c % 4) k.fail("the 3conv tail needs embed_dim a multiple of 4, not " + num(c));
        conv(k, "conv_after_body.0", c / 4, c, 3);
        conv(k, "conv_after_body.2", c / 4, c / 4, 1);
        conv(k, "conv_after_body.4", c, c / 4, 3);
    } else {
        conv(k, "conv_after_body", c, c, 3);
    }
    const formats::Tensor& before = k.need("conv_before_upsample.0.weight", 4);
    p.feat = k.bounded(before.shape[0], 1, kMaxChannels, "num_feat (conv_before_upsample.0.weight dim 0)");
    conv(k, "conv_before_upsample.0", p.feat, c, 3);
    const int64_t f = p.feat;
    while (p.ups < 4 && k.has("upsample." + num(2 * p.ups) + ".weight")) ++p.ups;
    const int64_t up = k.need("upsample.0.weight", 4).shape[0];
    if (p.ups == 1 && up == 9 * f) p.scale = 3;
    else if (up == 4 * f) p.scale = 1 << p.ups;
    else k.fail("tensor 'upsample.0.weight' has " + num(up) + " outputs, not 4 or 9 x num_feat " + num(f));
    for (int i = 0; i < p.ups; ++i) conv(k, "upsample." + num(2 * i), (p.scale == 3 ? 9 : 4) * f, f, 3);
    conv(k, "conv_last", p.in, f, 3);
    auto range = metadata.find("img_range");
    if (range != metadata.end()) {
        if (range->second == "1" || range->second == "1.0") p.img_range = 1.0f;
        else if (range->second == "255" || range->second == "255.0") p.img_range = 255.0f;
        else k.fail("metadata img_range '" + range->second + "' is neither 1 nor 255");
    }
    return p;
}

namespace {

std::string list(const std::vector<int>& v) {
    bool same = true;
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + num(v[i]), same = same && v[i] == v[0];
    return "[" + s + "]";
}

std::string ratio(int cr, int c) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", double(cr) / c);
    return buf;
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& name) {
    const Params p = params(t, metadata, name + ": RGT");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = d.out_channels = p.in;
    d.gain.assign(size_t(p.in), p.img_range);
    d.offset.assign(size_t(p.in), 0.0f);
    if (p.in == 3)
        for (int c = 0; c < 3; ++c) d.offset[size_t(c)] = -std::vector<float>{0.4488f, 0.4371f, 0.4040f}[size_t(c)] * p.img_range;
    const bool same_heads = std::all_of(p.heads.begin(), p.heads.end(), [&](int h) { return h == p.heads[0]; });
    d.summary = "RGT x" + num(p.scale) + ", embed " + num(p.embed) + ", depths " + list(p.depths) + ", heads " +
                (same_heads ? num(p.heads[0]) : list(p.heads)) + ", split [" + num(p.split_h) + "," + num(p.split_w) + "], mlp " +
                num(p.hidden) + (p.cr ? ", c_ratio " + ratio(p.cr, p.embed) : "") + (p.three_conv ? ", 3conv" : ", 1conv") +
                (p.img_range == 1.0f ? "" : ", img_range 255");
    // No input padding (L-SA pads its q, k, v itself). Tiling: RG-SA sees the whole tile's
    // reduced map, so tiles never equal the untiled run; docs/models.md has the figures.
    d.size_multiple = 1;
    d.context = 32;
    d.preferred_tile = 256;
    // Multiply-adds per input pixel: the convs, and per token and block: L-SA qkv, proj, q k^T and
    // attn v in windows of sh sw tokens, get_v; RG-SA q, proj, attention over the reduced map
    // (about 1/256 of the tokens at T = 2) and its reduction; the MLP.
    const int64_t c = p.embed, n = int64_t(p.split_h) * p.split_w, hd = p.hidden;
    int64_t macs = 9 * p.in * c;
    for (size_t g = 0; g < p.depths.size(); ++g)
        for (int b = 0; b < p.depths[g]; ++b) {
            macs += c * hd + 9 * hd / 2 + hd / 2 * c;
            if (b % 2 == 0) macs += 3 * c * c + 2 * n * c + 9 * c + c * c;
            else macs += c * p.cr + c * c + 16 * c / 4 + c * p.cr / 16;  // q, proj, reductions (~1/4 of the pixels), 1x1 on 1/16
        }
    const int64_t tail = p.three_conv ? 9 * c * (c / 4) * 2 + (c / 4) * (c / 4) : 9 * c * c;
    macs += int64_t(p.depths.size() + 1) * tail + 9 * c * p.feat;
    int64_t area = 1;
    for (int i = 0; i < p.ups; ++i) {
        macs += 9 * p.feat * (p.scale == 3 ? 9 : 4) * p.feat * area;
        area *= p.scale == 3 ? 9 : 4;
    }
    d.macs_per_pixel = macs + 9 * p.feat * p.in * area;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"rgt",
                          "RGT (recursive generalization transformer)",
                          {"conv_first.*", "before_RG.1.*", "layers.#.blocks.#.gamma", "layers.#.blocks.#.attn.attns.#.pos.*",
                           "layers.#.blocks.#.attn.reduction1.*", "layers.#.blocks.#.attn.get_v.*", "layers.#.blocks.#.mlp.sg.*",
                           "layers.#.conv.*", "norm.*", "conv_after_body.*", "conv_before_upsample.0.*", "upsample.#.*",
                           "conv_last.*"},
                          nullptr,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::rgt
