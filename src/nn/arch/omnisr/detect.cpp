#include <cmath>
#include <set>

#include "nn/arch/keys.hpp"
#include "nn/arch/omnisr/omnisr.hpp"

namespace upres::nn::arch::omnisr {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The profiler's counters (thop's total_ops / total_params on every module of the released files)
// and any stored index buffer are not weights: dropped, the indices recomputed.
formats::TensorMap canonical(formats::TensorMap t) {
    for (auto it = t.begin(); it != t.end();)
        it = ends_with(it->first, "total_ops") || ends_with(it->first, "total_params") || ends_with(it->first, ".rel_pos_indices")
                 ? t.erase(it)
                 : std::next(it);
    return t;
}

bool claims(const formats::TensorMap& t) {
    return t.count("input.weight") && t.count("up.0.weight") && t.count("residual_layer.0.residual_layer.0.layer.0.fn.0.weight");
}

std::string num(int64_t i) { return std::to_string(i); }

// Keys with a record of every tensor checked: the network reads exactly these, so a tensor
// outside them is a variant (biases where OmniSR has none, other blocks) and is refused.
struct Checker {
    const Keys& k;
    std::set<std::string> seen;

    const formats::Tensor& shape(const std::string& key, const std::vector<int64_t>& expected) {
        seen.insert(key);
        return k.shape(key, expected);
    }
    void conv(const std::string& name, int64_t outs, int64_t ins, int64_t kernel, bool bias) {
        shape(name + ".weight", {outs, ins, kernel, kernel});
        if (bias) shape(name + ".bias", {outs});
    }
    void norm(const std::string& name, int64_t dim) {
        shape(name + ".weight", {dim});
        shape(name + ".bias", {dim});
    }
};

// One OSA block `p` ("residual_layer.G.residual_layer.B.layer.") of width f.
void check_block(Checker& c, const std::string& p, Params& params, bool first) {
    const Keys& k = c.k;
    const int64_t f = params.feat;
    c.conv(p + "0.fn.0", f, f, 1, true);
    c.conv(p + "0.fn.2", f, 1, 3, true);
    c.shape(p + "0.fn.4.gate.1.weight", {f / 4, f});
    c.shape(p + "0.fn.4.gate.3.weight", {f, f / 4});
    c.conv(p + "0.fn.5", f, f, 1, true);
    for (const int a : {2, 8}) {
        const std::string q = p + num(a) + ".";
        c.norm(q + "norm", f);
        c.shape(q + "fn.to_qkv.weight", {3 * f, f});
        c.shape(q + "fn.to_out.0.weight", {f, f});
        const std::string table = q + "fn.rel_pos_bias.weight";
        if (first && a == 2) params.pe = k.has(table);
        if (!params.pe) {
            if (k.has(table)) k.fail("tensor '" + table + "' where the first block has no position bias (pe off)");
            continue;
        }
        const formats::Tensor& t = c.shape(table, {-1, kHeads});
        // (2w - 1)^2 rows: w from the square root, which must be exact and odd.
        const int64_t rows = t.shape[0];
        const int64_t side = int64_t(std::llround(std::sqrt(double(rows))));
        if (side * side != rows || side % 2 == 0)
            k.fail("tensor '" + table + "' has " + num(rows) + " rows, not (2w - 1)^2 for a window w");
        const int w = k.bounded((side + 1) / 2, 1, 64, "the window size (from " + table + ")");
        if (first && a == 2) params.window = w;
        else if (w != params.window)
            k.fail(q + "fn has window " + num(w) + " where the first block has window " + num(params.window));
    }
    for (const int g : {4, 6, 10, 12}) {
        const std::string q = p + num(g) + ".";
        c.norm(q + "norm", f);
        c.conv(q + "fn.project_in", 2 * f, f, 1, false);
        c.conv(q + "fn.dwconv", 2 * f, 1, 3, false);
        c.conv(q + "fn.project_out", f, f, 1, false);
    }
    for (const int a : {5, 11}) {
        const std::string q = p + num(a) + ".";
        c.norm(q + "norm", f);
        c.shape(q + "fn.temperature", {kHeads, 1, 1});
        c.conv(q + "fn.qkv", 3 * f, f, 1, false);
        c.conv(q + "fn.qkv_dwconv", 3 * f, 1, 3, false);
        c.conv(q + "fn.project_out", f, f, 1, false);
    }
}

int window_from(const Keys& k, const std::map<std::string, std::string>& metadata) {
    auto it = metadata.find("window_size");
    if (it == metadata.end()) return 8;  // the published window; spandrel assumes it too
    int v = 0;
    try {
        v = std::stoi(it->second);
    } catch (...) {
        v = 0;
    }
    return k.bounded(v, 1, 64, "metadata window_size");
}

}  // namespace

Params params(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& where) {
    const Keys k{t, where};
    Checker c{k, {}};
    Params p;
    const formats::Tensor& input = k.need("input.weight", 4);
    p.feat = k.bounded(input.shape[0], 4, kMaxChannels, "num_feat (input.weight dim 0)");
    if (p.feat % kHeads)
        k.fail("num_feat " + num(p.feat) + " (input.weight dim 0) is not a multiple of 4 (OSA blocks split it into 4 heads)");
    p.in = k.bounded(input.shape[1], 1, 4, "the input channels (input.weight dim 1)");
    p.bias = k.has("input.bias");
    const int64_t f = p.feat;
    c.conv("input", f, p.in, 3, p.bias);
    p.groups = k.bounded(k.count("residual_layer.", ".residual_layer.0.layer.0.fn.0.weight"), 1, kMaxBlocks, "the number of OSAGs (res_num)");
    p.esa = int(std::max<int64_t>(f / 4, 16));
    const int64_t e = p.esa;
    for (int g = 0; g < p.groups; ++g) {
        const std::string gp = "residual_layer." + num(g) + ".";
        const int blocks = k.bounded(k.count(gp + "residual_layer.", ".layer.0.fn.0.weight"), 1, kMaxBlocks, "the OSA blocks of " + gp + "residual_layer");
        if (g == 0) p.blocks = blocks;
        else if (blocks != p.blocks) k.fail(gp + "residual_layer has " + num(blocks) + " OSA blocks where the first group has " + num(p.blocks));
        for (int b = 0; b < blocks; ++b) check_block(c, gp + "residual_layer." + num(b) + ".layer.", p, g == 0 && b == 0);
        c.conv(gp + "residual_layer." + num(blocks), f, f, 1, p.bias);  // the group's 1x1 conv after its blocks
        if (k.has(gp + "esa.vec_conv.weight"))  // ops/esa.py's other attention, no published model uses it
            k.fail("this OmniSR has a large-kernel ESA ('" + gp + "esa.vec_conv.weight': Omni-SR's LK_ESA" +
                   (k.has(gp + "esa.norm.weight") ? "_LN" : "") + "), which upres does not support");
        c.conv(gp + "esa.conv1", e, f, 1, true);
        c.conv(gp + "esa.conv_f", e, e, 1, true);
        c.conv(gp + "esa.conv2", e, e, 3, true);
        c.conv(gp + "esa.conv3", e, e, 3, true);
        c.conv(gp + "esa.conv4", f, e, 1, true);
    }
    if (!p.pe) p.window = window_from(k, metadata);
    c.conv("output", f, f, 3, p.bias);
    // up.0: out x s^2 outputs, out the input's channels (else 3 or 1, as spandrel reads them).
    const int64_t up = k.need("up.0.weight", 4).shape[0];
    int64_t s = 0;
    for (const int64_t o : {int64_t(p.in), int64_t(3), int64_t(1)}) {
        const int64_t r = int64_t(std::llround(std::sqrt(double(up) / double(o))));
        if (up % o == 0 && r >= 1 && r * r * o == up) {
            s = r, p.out = int(o);
            break;
        }
    }
    if (s == 0)
        k.fail("tensor 'up.0.weight' has " + num(up) + " outputs, not the channels (" + (p.in == 3 || p.in == 1 ? "3 or 1" : num(p.in) + ", 3 or 1") +
               ") x scale^2");
    p.scale = k.bounded(s, 1, 16, "the scale (from up.0.weight)");
    c.conv("up.0", up, f, 3, p.bias);
    for (const auto& kv : t)
        if (!c.seen.count(kv.first))
            k.fail("unexpected tensor '" + kv.first + "' (not part of OmniSR with " + num(p.groups) + " groups of " + num(p.blocks) +
                   " OSA blocks" + (p.bias ? "" : " and no bias") + ")");
    return p;
}

namespace {

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& name) {
    const Params p = params(t, metadata, name + ": OmniSR");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = p.in;
    d.out_channels = p.out;
    d.summary = "OmniSR x" + num(p.scale) + ", " + num(p.feat) + " features, " + num(p.groups) + " groups of " + num(p.blocks) +
                (p.blocks == 1 ? " block" : " blocks") + ", window " + num(p.window) + (p.pe ? "" : ", no position bias") +
                (p.bias ? "" : ", no bias");
    d.size_multiple = p.window;
    d.multiple_pad = EdgePad::zero;  // OmniSR.py's check_image_size: F.pad(..., 'constant', 0)
    // Tiling (docs/models.md): grid attention spans the image, and ESA's pooling lattice and
    // bilinear upsampling depend on the map's size, so no overlap makes a split equal one run
    // (random weights of the published size, Set14 x4 split at tile 64 or 128: 20-29 dB). Tiles
    // of 64 windows (512) keep images up to 512x512 whole (x4 at 512x512: peak RSS 601 MB, 343 MB
    // above the loaded model); 8 windows (64 px) of context did best on the splits measured.
    d.context = 8 * p.window;
    d.preferred_tile = 64 * p.window;
    // Multiply-adds per input pixel: the convs, linear layers and attention products.
    const int64_t f = p.feat, e = p.esa, n = int64_t(p.window) * p.window, hd = f / kHeads;
    const int64_t mbconv = 2 * f * f + 9 * f;
    const int64_t spatial = 4 * f * f + 2 * n * f;
    const int64_t ffn = 2 * f * f + 18 * f + f * f;
    const int64_t channel = 3 * f * f + 27 * f + 2 * f * hd + f * f;
    const int64_t block = mbconv + 2 * spatial + 4 * ffn + 2 * channel;
    const int64_t esa = f * e + e * e + e * f + 9 * e * e / 4 + 9 * e * e / 36;
    d.macs_per_pixel = 9 * p.in * f + p.groups * (p.blocks * block + f * f + esa) + 9 * f * f + 9 * f * p.out * p.scale * p.scale;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"omnisr",
                          "OmniSR (omni aggregation network)",
                          {"input.*", "residual_layer.#.residual_layer.#.layer.#.*", "residual_layer.#.residual_layer.#.*",
                           "residual_layer.#.esa.*", "output.*", "up.0.*"},
                          canonical,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::omnisr
