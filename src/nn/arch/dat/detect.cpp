#include <algorithm>
#include <cmath>

#include "nn/arch/dat/dat.hpp"
#include "nn/arch/keys.hpp"

namespace upres::nn::arch::dat {

namespace {

std::string num(int64_t i) { return std::to_string(i); }

bool claims(const formats::TensorMap& t) {
    return t.count("conv_first.weight") && t.count("before_RG.1.weight") && any_key(t, "layers.#.blocks.#.*");
}

void conv(const Keys& k, const std::string& name, int64_t outs, int64_t ins, int64_t kernel) {
    k.shape(name + ".weight", {outs, ins, kernel, kernel});
    k.shape(name + ".bias", {outs});
}

void norm(const Keys& k, const std::string& name, int64_t dim) {
    k.shape(name + ".weight", {dim});
    k.shape(name + ".bias", {dim});
}

void linear(const Keys& k, const std::string& name, int64_t outs, int64_t ins) {
    k.shape(name + ".weight", {outs, ins});
    k.shape(name + ".bias", {outs});
}

// An eval-mode BatchNorm2d (folded into the conv before it: its variance must not be negative).
void batch_norm(const Keys& k, const std::string& name, int64_t c) {
    for (const char* part : {".weight", ".bias", ".running_mean", ".running_var"}) k.shape(name + part, {c});
    const formats::Tensor& var = k.t.at(name + ".running_var");
    if (!var.data.empty())
        for (float v : var.to_float())
            if (!(v >= 0)) k.fail("tensor '" + name + ".running_var' holds a negative variance (" + std::to_string(v) + ")");
}

// The split size (rows x columns of attns.0's window) from the shapes of one branch's buffers:
// rpe_biases [(2h - 1)(2w - 1), 2] and relative_position_index [hw, hw]. 0 x 0 without them.
std::pair<int, int> split_from_buffers(const Keys& k, const std::string& a) {
    const bool has_b = k.has(a + "rpe_biases"), has_i = k.has(a + "relative_position_index");
    if (!has_b && !has_i) return {0, 0};
    if (has_b != has_i)
        k.fail("'" + a + (has_b ? "rpe_biases" : "relative_position_index") + "' without '" + a +
               (has_b ? "relative_position_index" : "rpe_biases") + "'");
    const formats::Tensor& b = k.need(a + "rpe_biases", 2);
    const formats::Tensor& i = k.need(a + "relative_position_index", 2);
    const int64_t rows = b.shape[0], n = i.shape[0];
    if (b.shape[1] != 2 || i.shape[1] != n || n < 1 || n > 256 * 256)
        k.fail("the buffers '" + a + "rpe_biases' / 'relative_position_index' have shapes that fit no window");
    // rows = 4hw - 2(h + w) + 1, n = hw: h + w and hw give h <= w.
    const int64_t sum2 = 4 * n + 1 - rows;
    const int64_t sum = sum2 / 2;
    const int64_t disc = sum * sum - 4 * n;
    const int64_t root = disc >= 0 ? int64_t(std::llround(std::sqrt(double(disc)))) : -1;
    const int64_t h = (sum - root) / 2, w = (sum + root) / 2;
    if (sum2 % 2 || root < 0 || root * root != disc || h < 1 || h * w != n || (2 * h - 1) * (2 * w - 1) != rows)
        k.fail("the buffers '" + a + "rpe_biases' (" + num(rows) + " rows) and 'relative_position_index' (" + num(n) +
               " rows) fit no split_h x split_w window");
    return {int(h), int(w)};
}

std::pair<int, int> split_from_metadata(const Keys& k, const std::map<std::string, std::string>& metadata) {
    auto it = metadata.find("split_size");
    if (it == metadata.end()) return {0, 0};
    std::vector<int64_t> v;
    int64_t cur = -1;
    for (char ch : it->second + ",") {
        if (ch >= '0' && ch <= '9') {
            cur = (cur < 0 ? 0 : cur) * 10 + (ch - '0');
            if (cur > 100000) break;
        } else if (ch == ',' || ch == 'x' || ch == ' ' || ch == '[' || ch == ']') {
            if (cur >= 0) v.push_back(cur), cur = -1;
        } else {
            v.clear();
            break;
        }
    }
    if (v.size() != 2 || v[0] < 1 || v[1] < 1 || v[0] > 256 || v[1] > 256)
        k.fail("metadata split_size '" + it->second + "' is not two window sides such as \"8,32\"");
    return {int(v[0]), int(v[1])};
}

float img_range_from(const Keys& k, const std::map<std::string, std::string>& metadata) {
    auto it = metadata.find("img_range");
    if (it == metadata.end()) return 1.0f;
    double v = 0;
    try {
        v = std::stod(it->second);
    } catch (...) {
        v = 0;
    }
    if (!(v == 1.0 || v == 255.0)) k.fail("metadata img_range '" + it->second + "' is neither 1 nor 255");
    return float(v);
}

// The families that share DAT's names, refused by name.
void refuse_variants(const Keys& k) {
    if (k.has("conv_up1.weight") || k.has("conv_hr.weight"))
        k.fail("DAT with a nearest+conv upsampler ('conv_up1' / 'conv_hr') is not supported: dat_arch.py has only "
               "pixelshuffle and pixelshuffledirect");
    if (!k.has("upsample.0.weight"))
        k.fail(std::string("DAT without an upsampler (") + (k.has("conv_last.weight") ? "'conv_last' but no 'upsample.0'" : "no 'upsample.0'") +
               ") is not supported: dat_arch.py has only pixelshuffle and pixelshuffledirect");
}

}  // namespace

Params params(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& where) {
    const Keys k{t, where};
    refuse_variants(k);
    Params p;
    const formats::Tensor& first = k.need("conv_first.weight", 4);
    p.embed = k.bounded(first.shape[0], 2, kMaxChannels, "embed_dim (conv_first.weight dim 0)");
    p.in = k.bounded(first.shape[1], 1, 4, "the input channels (conv_first.weight dim 1)");
    if (p.embed % 2) k.fail("embed_dim " + num(p.embed) + " is odd: the spatial attention splits the channels in halves");
    conv(k, "conv_first", p.embed, p.in, 3);
    const int64_t e = p.embed, half = e / 2;
    norm(k, "before_RG.1", e);
    const int groups = k.bounded(k.count("layers.", ".blocks.0.norm1.weight"), 1, kMaxBlocks, "the number of residual groups");
    if (k.has("layers." + num(groups) + ".conv.weight") || k.has("layers." + num(groups) + ".conv.0.weight"))
        k.fail("layers." + num(groups) + " has a conv but no blocks.0");
    p.three_conv = k.has("conv_after_body.0.weight");
    // The split size: the buffers' shapes, which every block's must share, and the metadata.
    std::pair<int, int> split{0, 0};
    std::string split_key;
    bool first_block = true;
    for (int g = 0; g < groups; ++g) {
        const std::string gp = "layers." + num(g) + ".";
        const int depth = k.bounded(k.count(gp + "blocks.", ".norm1.weight"), 1, kMaxBlocks, "the depth of " + gp + "blocks");
        int heads = 0, branch = 0;
        for (int b = 0; b < depth; ++b) {
            const std::string q = gp + "blocks." + num(b) + ".", a = q + "attn.";
            norm(k, q + "norm1", e);
            norm(k, q + "norm2", e);
            if (first_block) p.qkv_bias = k.has(a + "qkv.bias");
            k.shape(a + "qkv.weight", {3 * e, e});
            if (p.qkv_bias) k.shape(a + "qkv.bias", {3 * e});
            else if (k.has(a + "qkv.bias")) k.fail("tensor '" + a + "qkv.bias' where the first block has no qkv bias");
            linear(k, a + "proj", e, e);
            // The adaptive interaction module, the same in both kinds of block.
            conv(k, a + "dwconv.0", e, 1, 3);
            batch_norm(k, a + "dwconv.1", e);
            if (first_block) {
                p.channel_gate = k.bounded(k.need(a + "channel_interaction.1.weight", 4).shape[0], 1, e,
                                           "the channel gate's width (" + a + "channel_interaction.1.weight dim 0)");
                p.spatial_gate = k.bounded(k.need(a + "spatial_interaction.0.weight", 4).shape[0], 1, e,
                                           "the spatial gate's width (" + a + "spatial_interaction.0.weight dim 0)");
                p.hidden = k.bounded(k.need(q + "ffn.fc1.weight", 2).shape[0], 2, 16 * kMaxChannels,
                                     "the FFN width (" + q + "ffn.fc1.weight dim 0)");
                if (p.hidden % 2) k.fail("the FFN width " + num(p.hidden) + " (" + q + "ffn.fc1.weight dim 0) is odd: its gate splits it in halves");
            }
            conv(k, a + "channel_interaction.1", p.channel_gate, e, 1);
            batch_norm(k, a + "channel_interaction.2", p.channel_gate);
            conv(k, a + "channel_interaction.4", e, p.channel_gate, 1);
            conv(k, a + "spatial_interaction.0", p.spatial_gate, e, 1);
            batch_norm(k, a + "spatial_interaction.1", p.spatial_gate);
            conv(k, a + "spatial_interaction.3", 1, p.spatial_gate, 1);
            linear(k, q + "ffn.fc1", p.hidden, e);
            norm(k, q + "ffn.sg.norm", p.hidden / 2);
            conv(k, q + "ffn.sg.conv", p.hidden / 2, 1, 3);
            linear(k, q + "ffn.fc2", e, p.hidden / 2);
            const bool spatial = b % 2 == 0;
            const bool has_spatial = any_key(t, a + "attns.*"), has_channel = k.has(a + "temperature");
            if (spatial && has_channel)
                k.fail("block " + q + " has a channel attention's 'attn.temperature' where DAT's even blocks have spatial attention");
            if (!spatial && has_spatial)
                k.fail("block " + q + " has spatial attention keys ('attn.attns.*') where DAT's odd blocks have channel attention");
            if (spatial) {
                for (int br = 0; br < 2; ++br) {
                    const std::string pb = a + "attns." + num(br) + ".pos.";
                    if (first_block && br == 0)
                        p.pos = k.bounded(k.need(pb + "pos_proj.weight", 2).shape[0], 1, kMaxChannels,
                                          "the position-bias width (" + pb + "pos_proj.weight dim 0)");
                    linear(k, pb + "pos_proj", p.pos, 2);
                    for (const char* s : {"pos1", "pos2", "pos3"}) norm(k, pb + s + ".0", p.pos);
                    linear(k, pb + "pos1.2", p.pos, p.pos);
                    linear(k, pb + "pos2.2", p.pos, p.pos);
                    const int hb = k.bounded(k.need(pb + "pos3.2.weight", 2).shape[0], 1, int(half),
                                             "the heads of " + a + "attns." + num(br) + " (pos3.2.weight dim 0)");
                    linear(k, pb + "pos3.2", hb, p.pos);
                    if (branch == 0) branch = hb;
                    if (hb != branch)
                        k.fail(a + "attns." + num(br) + " has " + num(hb) + " heads where the group's first spatial branch has " + num(branch));
                    // attns.1's window is attns.0's transposed, whose buffers have the same shapes.
                    const std::pair<int, int> mine = split_from_buffers(k, a + "attns." + num(br) + ".");
                    if (mine.first) {
                        if (!split.first) split = mine, split_key = a + "attns." + num(br) + ".rpe_biases";
                        else if (mine != split)
                            k.fail("'" + a + "attns." + num(br) + ".rpe_biases' is for a " + num(mine.first) + "x" + num(mine.second) +
                                   " window where '" + split_key + "' is for " + num(split.first) + "x" + num(split.second));
                    }
                }
                if (half % branch) k.fail(a + "attns has " + num(branch) + " heads per branch, which do not divide half the width " + num(half));
            } else {
                const formats::Tensor& temp = k.need(a + "temperature", 3);
                const int h = k.bounded(temp.shape[0], 1, int(e), "the heads of " + a + " (temperature dim 0)");
                k.shape(a + "temperature", {h, 1, 1});
                if (heads == 0) heads = h;
                if (h != heads) k.fail(a + "temperature has " + num(h) + " heads where the group's block 1 has " + num(heads));
                if (e % h) k.fail(a + " has " + num(h) + " heads, which do not divide the width " + num(e));
            }
            first_block = false;
        }
        // dat_arch.py gives each spatial branch num_heads // 2 heads.
        if (heads && heads / 2 != branch)
            k.fail(gp + "blocks.0.attn.attns has " + num(branch) + " heads per branch where the channel attention's " + num(heads) +
                   " heads give " + num(heads / 2));
        p.depths.push_back(depth);
        p.heads.push_back(heads ? heads : 2 * branch);
        p.branch_heads.push_back(branch);
        if (p.three_conv) {
            conv(k, gp + "conv.0", e / 4, e, 3);
            conv(k, gp + "conv.2", e / 4, e / 4, 1);
            conv(k, gp + "conv.4", e, e / 4, 3);
        } else {
            conv(k, gp + "conv", e, e, 3);
        }
    }
    // The buffers' shapes are the same in both branches (attns.1 has the window transposed, whose
    // shapes are the same); split_h <= split_w as every published model has it.
    const std::pair<int, int> meta = split_from_metadata(k, metadata);
    if (meta.first && split.first && meta != split &&
        !(meta.first == split.second && meta.second == split.first))
        k.fail("metadata split_size " + num(meta.first) + "x" + num(meta.second) + " disagrees with '" + split_key + "' (" +
               num(split.first) + "x" + num(split.second) + ")");
    if (meta.first) split = meta;
    if (!split.first) split = {8, 32};
    p.split_h = split.first, p.split_w = split.second;
    // Both sides >= 2 (dat_arch.py's mask misreads a shift of 0), at most 1024 tokens a window (the
    // bias and logits grow with its square; the published ones have 128 and 256), the larger side a
    // multiple of the smaller (qkv is padded to the larger).
    const int lo = std::min(p.split_h, p.split_w), hi = std::max(p.split_h, p.split_w);
    if (lo < 2 || lo * hi > 1024 || hi % lo)
        k.fail("split size " + num(p.split_h) + "x" + num(p.split_w) +
               " is not supported: both sides at least 2, at most 1024 tokens a window, the larger side a multiple of the smaller");
    norm(k, "norm", e);
    if (p.three_conv) {
        if (e % 4) k.fail("the 3conv tail needs embed_dim a multiple of 4, not " + num(e));
        conv(k, "conv_after_body.0", e / 4, e, 3);
        conv(k, "conv_after_body.2", e / 4, e / 4, 1);
        conv(k, "conv_after_body.4", e, e / 4, 3);
    } else {
        conv(k, "conv_after_body", e, e, 3);
    }
    if (k.has("conv_before_upsample.0.weight")) {
        p.upsampler = Upsampler::pixelshuffle;
        p.feat = k.bounded(k.need("conv_before_upsample.0.weight", 4).shape[0], 1, kMaxChannels,
                           "num_feat (conv_before_upsample.0.weight dim 0)");
        conv(k, "conv_before_upsample.0", p.feat, e, 3);
        const int64_t f = p.feat;
        p.ups = 0;
        while (p.ups < 4 && k.has("upsample." + num(2 * p.ups) + ".weight")) ++p.ups;
        const int64_t up = k.need("upsample.0.weight", 4).shape[0];
        if (p.ups == 1 && up == 9 * f) p.scale = 3;
        else if (up == 4 * f) p.scale = 1 << p.ups;
        else k.fail("tensor 'upsample.0.weight' has " + num(up) + " outputs, not 4 or 9 x num_feat " + num(f));
        for (int i = 0; i < p.ups; ++i) conv(k, "upsample." + num(2 * i), (p.scale == 3 ? 9 : 4) * f, f, 3);
        conv(k, "conv_last", p.in, f, 3);
    } else {
        p.upsampler = Upsampler::pixelshuffledirect;
        const int64_t up = k.need("upsample.0.weight", 4).shape[0];
        const int64_t s = int64_t(std::llround(std::sqrt(double(up) / p.in)));
        if (s < 1 || s * s * p.in != up)
            k.fail("tensor 'upsample.0.weight' has " + num(up) + " outputs, not channels " + num(p.in) + " x scale^2");
        p.scale = k.bounded(s, 1, 16, "the scale (from upsample.0.weight)");
        conv(k, "upsample.0", up, e, 3);
        if (k.has("conv_last.weight")) k.fail("tensor 'conv_last.weight' with a pixelshuffledirect upsampler ('upsample.0')");
    }
    p.img_range = img_range_from(k, metadata);
    return p;
}

namespace {

std::string list(const std::vector<int>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + num(v[i]);
    return s;
}

// The published configurations, by name.
std::string variant(const Params& p) {
    const bool six = p.depths == std::vector<int>(6, 6) && p.heads == std::vector<int>(6, 6) && p.embed == 180 && !p.three_conv &&
                     p.upsampler == Upsampler::pixelshuffle;
    const bool s832 = p.split_h == 8 && p.split_w == 32;
    if (six && p.split_h == 8 && p.split_w == 16 && p.hidden == 360) return " (DAT-S)";
    if (six && s832 && p.hidden == 720) return " (DAT)";
    if (six && s832 && p.hidden == 360) return " (DAT-2)";
    if (p.embed == 60 && p.depths == std::vector<int>{18} && p.heads == std::vector<int>{6} && s832 && p.hidden == 120 &&
        p.three_conv && p.upsampler == Upsampler::pixelshuffledirect)
        return " (DAT-light)";
    return "";
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& name) {
    const Params p = params(t, metadata, name + ": DAT");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = d.out_channels = p.in;
    d.gain.assign(size_t(p.in), p.img_range);
    d.offset.assign(size_t(p.in), 0.0f);
    if (p.in == 3)
        for (int c = 0; c < 3; ++c) d.offset[size_t(c)] = -kMean[c] * p.img_range;
    const bool same_heads = std::all_of(p.heads.begin(), p.heads.end(), [&](int h) { return h == p.heads[0]; });
    d.summary = "DAT x" + num(p.scale) + variant(p) + ", embed " + num(p.embed) + ", depths [" + list(p.depths) + "], heads " +
                (same_heads ? num(p.heads[0]) : "[" + list(p.heads) + "]") + ", split " + num(p.split_h) + "x" + num(p.split_w) +
                ", ffn " + num(p.hidden) + ", " + (p.upsampler == Upsampler::pixelshuffle ? "pixelshuffle" : "pixelshuffledirect") +
                (p.three_conv ? ", 3conv" : ", 1conv") + (p.img_range == 1.0f ? "" : ", img_range 255");
    // Any input size: the network zero-pads qkv to its windows itself, as dat_arch.py, and the
    // input is not padded. Tiles start on the windows' lattice, so a tile's windows are the
    // untiled run's; the channel attention and the channel gates take image-wide sums in tiled
    // runs (averages_whole_input). Context and tile measured (docs/models.md).
    d.size_multiple = 1;
    d.tile_multiple = std::max(p.split_h, p.split_w);
    d.context = 2 * d.tile_multiple;
    d.preferred_tile = 8 * d.tile_multiple;
    // Multiply-adds per input pixel: convs, and per token and block qkv, proj, the gates, the
    // spatial attention's q k^T and attn v, or the channel attention's, and the FFN.
    const int64_t e = p.embed, n = int64_t(p.split_h) * p.split_w, hid = p.hidden;
    int64_t macs = 9 * p.in * e;
    for (size_t g = 0; g < p.depths.size(); ++g)
        for (int b = 0; b < p.depths[g]; ++b) {
            macs += 4 * e * e + 9 * e + e * p.spatial_gate + p.spatial_gate + e * hid + 9 * hid / 2 + hid / 2 * e;
            macs += b % 2 == 0 ? 2 * n * e : 2 * e * (e / p.heads[g]);
        }
    const int64_t group_conv = p.three_conv ? 9 * e * (e / 4) * 2 + (e / 4) * (e / 4) : 9 * e * e;
    macs += int64_t(p.depths.size() + 1) * group_conv;
    if (p.upsampler == Upsampler::pixelshuffle) {
        const int64_t f = p.feat;
        macs += 9 * e * f;
        int64_t area = 1;
        for (int i = 0; i < p.ups; ++i) {
            macs += 9 * f * (p.scale == 3 ? 9 : 4) * f * area;
            area *= p.scale == 3 ? 9 : 4;
        }
        macs += 9 * f * p.in * area;
    } else {
        macs += 9 * e * p.in * p.scale * p.scale;
    }
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"dat",
                          "DAT (dual aggregation transformer: DAT, DAT-S, DAT-2, DAT-light)",
                          {"conv_first.*", "before_RG.1.*", "layers.#.blocks.#.*", "layers.#.conv.*", "norm.*", "conv_after_body.*",
                           "conv_before_upsample.0.*", "upsample.#.*", "conv_last.*"},
                          nullptr,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::dat
