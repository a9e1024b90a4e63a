#include <cmath>
#include <cstring>

#include "nn/arch/keys.hpp"
#include "nn/arch/rcan/rcan.hpp"

namespace upres::nn::arch::rcan {

namespace {

bool claims(const formats::TensorMap& t) {
    return t.count("head.0.weight") && t.count("body.0.body.0.body.0.weight") &&
           t.count("body.0.body.0.body.3.conv_du.0.weight") && t.count("tail.1.weight");
}

void conv(const Keys& k, const std::string& name, int64_t outs, int64_t ins, int64_t kernel) {
    k.shape(name + ".weight", {outs, ins, kernel, kernel});
    if (k.has(name + ".bias")) k.shape(name + ".bias", {outs});
}

std::string num(int i) { return std::to_string(i); }

// A tensor's values as doubles (f32 / f64 / f16 / bf16).
std::vector<double> values(const formats::Tensor& x) {
    std::vector<double> v(size_t(x.numel()));
    for (size_t i = 0; i < v.size(); ++i) {
        if (x.dtype == formats::DType::f32) {
            float f;
            std::memcpy(&f, &x.data[4 * i], 4);
            v[i] = f;
        } else if (x.dtype == formats::DType::f64) {
            std::memcpy(&v[i], &x.data[8 * i], 8);
        } else {
            uint16_t h;
            std::memcpy(&h, &x.data[2 * i], 2);
            uint32_t bits;
            if (x.dtype == formats::DType::bf16) {
                bits = uint32_t(h) << 16;
            } else {  // f16 -> f32 bits
                const uint32_t s = uint32_t(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
                if (e == 0) {
                    const float f = std::ldexp(float(m), -24);
                    std::memcpy(&bits, &f, 4);
                    bits |= s;
                } else {
                    bits = s | ((e + 112) << 23) | (m << 13);
                }
            }
            float f;
            std::memcpy(&f, &bits, 4);
            v[i] = f;
        }
    }
    return v;
}

}  // namespace

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    Params p;
    const formats::Tensor& head = k.need("head.0.weight", 4);
    p.feat = k.bounded(head.shape[0], 1, kMaxChannels, "the feature width (head.0.weight dim 0)");
    p.colors = k.bounded(head.shape[1], 1, 4, "the input channels (head.0.weight dim 1)");
    p.kernel = k.bounded(head.shape[2], 1, kMaxKernel, "the kernel size (head.0.weight dim 2)");
    if (p.kernel % 2 == 0) k.fail("head.0.weight has an even kernel size " + num(p.kernel));
    conv(k, "head.0", p.feat, p.colors, p.kernel);
    p.groups = k.bounded(k.count("body.", ".body.0.body.0.weight"), 1, kMaxBlocks, "the number of residual groups");
    p.blocks = k.bounded(k.count("body.0.body.", ".body.0.weight"), 1, kMaxBlocks, "the number of blocks per group");
    p.squeeze = k.bounded(k.need("body.0.body.0.body.3.conv_du.0.weight", 4).shape[0], 1, kMaxChannels,
                          "the attention width (body.0.body.0.body.3.conv_du.0.weight dim 0)");
    for (int g = 0; g < p.groups; ++g) {
        const std::string gp = "body." + num(g) + ".body.";
        for (int b = 0; b < p.blocks; ++b) {
            const std::string bp = gp + num(b) + ".body.";
            conv(k, bp + "0", p.feat, p.feat, p.kernel);
            conv(k, bp + "2", p.feat, p.feat, p.kernel);
            conv(k, bp + "3.conv_du.0", p.squeeze, p.feat, 1);
            conv(k, bp + "3.conv_du.2", p.feat, p.squeeze, 1);
        }
        conv(k, gp + num(p.blocks), p.feat, p.feat, p.kernel);
    }
    conv(k, "body." + num(p.groups), p.feat, p.feat, p.kernel);
    // The upsampler: x2^n is n convolutions to 4 x feat at tail.0.0, tail.0.2, ... (each followed
    // by a pixel shuffle 2); x3 one to 9 x feat.
    p.steps = 0;
    while (p.steps < 4 && k.has("tail.0." + num(2 * p.steps) + ".weight")) ++p.steps;
    if (p.steps == 0) k.need("tail.0.0.weight", 4);
    const int64_t up = k.need("tail.0.0.weight", 4).shape[0];
    if (p.steps == 1 && up == int64_t(9) * p.feat) {
        p.scale = 3;
    } else if (up == int64_t(4) * p.feat) {
        p.scale = 1 << p.steps;
    } else {
        k.fail("tail.0.0.weight has " + num(int(up)) + " outputs, not 4 or 9 x the feature width " + num(p.feat));
    }
    for (int s = 0; s < p.steps; ++s) conv(k, "tail.0." + num(2 * s), p.scale == 3 ? int64_t(9) * p.feat : int64_t(4) * p.feat, p.feat, p.kernel);
    conv(k, "tail.1", p.colors, p.feat, p.kernel);
    return p;
}

namespace {

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    const std::string where = name + ": RCAN";
    const Params p = params(t, where);
    const Keys k{t, where};
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = d.out_channels = p.colors;
    // The network works on 0..255 (rgb_range) minus the mean: sub_mean is x * w + b per channel on
    // 255 x, add_mean must undo it (the runner applies the inverse map to the output).
    d.gain.assign(size_t(p.colors), 255.0f);
    d.offset.assign(size_t(p.colors), 0.0f);
    if (k.has("sub_mean.weight") || k.has("add_mean.weight")) {
        const int64_t c = p.colors;
        for (const char* m : {"sub_mean", "add_mean"}) {
            k.shape(std::string(m) + ".weight", {c, c, 1, 1});
            k.shape(std::string(m) + ".bias", {c});
        }
        const std::vector<double> sw = values(t.at("sub_mean.weight")), sb = values(t.at("sub_mean.bias"));
        const std::vector<double> aw = values(t.at("add_mean.weight")), ab = values(t.at("add_mean.bias"));
        for (int64_t i = 0; i < c; ++i)
            for (int64_t j = 0; j < c; ++j) {
                const double s = sw[size_t(i * c + j)], a = aw[size_t(i * c + j)];
                if (i != j && (s != 0 || a != 0)) k.fail("sub_mean.weight / add_mean.weight are not diagonal");
            }
        for (int64_t i = 0; i < c; ++i) {
            const double s = sw[size_t(i * c + i)], b = sb[size_t(i)], a = aw[size_t(i * c + i)], ab_i = ab[size_t(i)];
            if (!(std::fabs(s) > 1e-6) || std::fabs(a * s - 1) > 1e-4 || std::fabs(ab_i + b / s) > 1e-3 * (1 + std::fabs(ab_i)))
                k.fail("add_mean (weight " + std::to_string(a) + ", bias " + std::to_string(ab_i) +
                       ") is not the inverse of sub_mean (weight " + std::to_string(s) + ", bias " + std::to_string(b) + ")");
            d.gain[size_t(i)] = float(255.0 * s);
            d.offset[size_t(i)] = float(b);
        }
    }
    d.summary = "RCAN x" + num(p.scale) + ", " + num(p.groups) + " groups x " + num(p.blocks) + " blocks, " +
                num(p.feat) + " features, reduction " + num(p.feat / p.squeeze);
    // Channel attention pools over the whole tile, so tiles are never exact; large tiles with a
    // wide overlap keep the difference small.
    d.context = 32;
    d.preferred_tile = 384;
    const int64_t f = p.feat, kk = int64_t(p.kernel) * p.kernel;
    int64_t macs = kk * p.colors * f;
    macs += int64_t(p.groups) * (int64_t(p.blocks) * (2 * kk * f * f + 2 * f * p.squeeze) + kk * f * f) + kk * f * f;
    int64_t area = 1;
    for (int s = 0; s < p.steps; ++s) {
        macs += kk * f * (p.scale == 3 ? 9 : 4) * f * area;
        area *= p.scale == 3 ? 9 : 4;
    }
    macs += kk * f * p.colors * area;
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"rcan",
                          "RCAN (residual channel attention networks)",
                          {"sub_mean.*", "add_mean.*", "head.0.*", "body.#.body.#.body.#.*", "body.#.body.#.body.3.conv_du.#.*",
                           "body.#.body.#.*", "body.#.*", "tail.0.#.*", "tail.1.*"},
                          nullptr,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::rcan
