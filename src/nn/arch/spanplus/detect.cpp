#include <algorithm>
#include <cctype>
#include <cmath>

#include "nn/arch/keys.hpp"
#include "nn/arch/spanplus/spanplus.hpp"

namespace upres::nn::arch::spanplus {

namespace {

bool claims(const formats::TensorMap& t) {
    return (t.count("feats.0.sk.weight") || t.count("feats.0.eval_conv.weight")) && any_key(t, "feats.#.block_1.c#_r.*");
}

// The largest N of the keys prefix + N + "." (-1: none), as spandrel's get_seq_len reads a
// sequence's length; N is bounded before it is parsed.
int last_index(const Keys& k, const std::string& prefix) {
    int last = -1;
    for (auto it = k.t.lower_bound(prefix); it != k.t.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        const std::string& key = it->first;
        size_t i = prefix.size(), j = i;
        while (j < key.size() && std::isdigit(static_cast<unsigned char>(key[j]))) ++j;
        if (j == i || j >= key.size() || key[j] != '.') continue;
        if (j - i > 5) k.fail("tensor '" + key + "': index out of range");
        last = std::max(last, std::stoi(key.substr(i, j - i)));
    }
    return last;
}

bool any_with_prefix(const formats::TensorMap& t, const std::string& prefix) {
    const auto it = t.lower_bound(prefix);
    return it != t.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

int square_root(int64_t v) {
    const int64_t s = std::llround(std::sqrt(double(v)));
    return s >= 1 && s <= 16 && s * s == v ? int(s) : 0;
}

void conv(const Keys& k, const std::string& p, int64_t out, int64_t in, int64_t kernel, bool bias = true) {
    k.shape(p + ".weight", {out, in, kernel, kernel});
    if (bias) k.shape(p + ".bias", {out});
}

const char* upsampler_name(Upsampler u) {
    return u == Upsampler::dysample ? "DySample" : u == Upsampler::pixel_shuffle ? "pixel shuffle" : "conv";
}

}  // namespace

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    Params p;
    const span::Widths w = span::first_conv3xc_widths(k, "feats.0");
    p.feat = w.feat;
    p.in = w.in;
    p.convs.push_back(span::conv3xc(k, "feats.0", p.in, p.feat));

    const int stages = k.bounded(last_index(k, "feats."), 1, kMaxBlocks, "the number of stages (feats.1 .. feats.N)");
    int64_t spabs = 0;
    for (int s = 1; s <= stages; ++s) {
        const std::string q = "feats." + std::to_string(s) + ".";
        const int m = k.bounded(last_index(k, q + "block_n.") + 1, 0, kMaxBlocks, "the number of " + q + "block_n blocks");
        spabs += m + 2;
        if (spabs > kMaxBlocks) k.fail("more than " + std::to_string(kMaxBlocks) + " blocks in all");
        p.blocks.push_back(m);
        std::vector<std::string> names = {q + "block_1"};
        for (int j = 0; j < m; ++j) names.push_back(q + "block_n." + std::to_string(j));
        names.push_back(q + "block_end");
        for (const std::string& b : names)
            for (int r = 1; r <= 3; ++r) p.convs.push_back(span::conv3xc(k, b + ".c" + std::to_string(r) + "_r", p.feat, p.feat));
        p.convs.push_back(span::conv3xc(k, q + "conv_2", p.feat, p.feat));
        conv(k, q + "conv_cat", p.feat, 4 * int64_t(p.feat), 1);
    }

    if (any_with_prefix(t, "dynamic.") || any_with_prefix(t, "dynamic_prio."))
        k.fail("the dynamic-convolution variant (dynamic.* / dynamic_prio.*) is not supported");
    if (k.has("upsampler.0.weight")) {
        // Pixel shuffle: out_channels = in_channels (the network is built so).
        p.up = Upsampler::pixel_shuffle;
        p.out = p.in;
        const int64_t outs = k.need("upsampler.0.weight", 4).shape[0];
        p.scale = outs % p.in ? 0 : square_root(outs / p.in);
        if (!p.scale)
            k.fail("upsampler.0.weight has " + std::to_string(outs) + " outputs, not " + std::to_string(p.in) + " channels x scale^2 (scale 1..16)");
        conv(k, "upsampler.0", outs, p.feat, 3);
    } else if (k.has("upsampler.offset.weight") || k.has("upsampler.end_conv.weight") || k.has("upsampler.init_pos")) {
        // DySample with 4 groups: 2 x 4 x scale^2 offsets.
        p.up = Upsampler::dysample;
        const int64_t o = k.need("upsampler.offset.weight", 4).shape[0];
        p.scale = o % (2 * kDyGroups) ? 0 : square_root(o / (2 * kDyGroups));
        if (!p.scale)
            k.fail("upsampler.offset.weight has " + std::to_string(o) + " outputs, not 2 x 4 groups x scale^2 (scale 1..16)");
        if (p.feat % kDyGroups)
            k.fail("DySample's 4 groups do not divide the feature width " + std::to_string(p.feat) + " (" + w.key + ")");
        conv(k, "upsampler.offset", o, p.feat, 1);
        conv(k, "upsampler.scope", o, p.feat, 1, false);
        k.shape("upsampler.init_pos", {1, o, 1, 1});
        p.out = k.bounded(k.need("upsampler.end_conv.weight", 4).shape[0], 1, 4, "the output channels (upsampler.end_conv.weight dim 0)");
        conv(k, "upsampler.end_conv", p.out, p.feat, 1);
    } else if (k.has("upsampler.weight")) {
        // traiNNer-redux's 1x "conv" upsampler: one 3x3 convolution.
        p.up = Upsampler::conv;
        p.scale = 1;
        p.out = k.bounded(k.need("upsampler.weight", 4).shape[0], 1, 4, "the output channels (upsampler.weight dim 0)");
        conv(k, "upsampler", p.out, p.feat, 3);
    } else {
        k.fail("no upsampler: neither 'upsampler.offset.weight' (DySample) nor 'upsampler.0.weight' (pixel shuffle) nor "
               "'upsampler.weight' (1x conv)");
    }
    return p;
}

namespace {

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    const Params p = params(t, name + ": SPANPlus");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = p.in;
    d.out_channels = p.out;
    std::string blocks;
    for (int m : p.blocks) blocks += (blocks.empty() ? "" : ", ") + std::to_string(m);
    d.summary = "SPANPlus x" + std::to_string(p.scale) + ", " + std::to_string(p.feat) + " features, blocks [" + blocks + "], " +
                upsampler_name(p.up);
    // Receptive radius: one pixel per 3x3 convolution (every Conv3XC, and the pixel-shuffle or
    // conv upsampler's); DySample's offsets (trained ones are below a pixel) get 4 more.
    d.context = int(p.convs.size()) + (p.up == Upsampler::dysample ? 4 : 1);
    d.preferred_tile = 512;
    const int64_t f = p.feat, s2 = int64_t(p.scale) * p.scale;
    int64_t macs = 0;
    for (const span::Conv3xc& c : p.convs) macs += 9 * int64_t(c.in) * c.out;
    macs += int64_t(p.blocks.size()) * 4 * f * f;
    if (p.up == Upsampler::pixel_shuffle) macs += 9 * f * p.out * s2;
    if (p.up == Upsampler::conv) macs += 9 * f * p.out;
    if (p.up == Upsampler::dysample) macs += 2 * (2 * kDyGroups * s2) * f + f * p.out * s2;
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"spanplus",
                          "SPANPlus",
                          {"feats.0.sk.*", "feats.0.conv.#.*", "feats.0.eval_conv.*", "feats.#.block_1.c#_r.*",
                           "feats.#.block_n.#.c#_r.*", "feats.#.block_end.c#_r.*", "feats.#.conv_2.*", "feats.#.conv_cat.*",
                           "upsampler.0.*", "upsampler.offset.*", "upsampler.scope.*", "upsampler.init_pos",
                           "upsampler.end_conv.*", "upsampler.weight", "upsampler.bias"},
                          nullptr,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::spanplus
