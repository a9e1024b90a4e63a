// DySample (Liu et al. 2023, "Learning to Upsample by Learning to Sample"), the upsampler of
// RealPLKSR (plksr/) and SPANPlus (spanplus/), for their networks (libtorch). Each output pixel
// samples its group's channels bilinearly (border-clamped) at its input position plus a learnt
// offset: offset = offset_conv(x) * sigmoid(scope_conv(x)) * 0.5 + init_pos (1x1 convolutions;
// init_pos, from the file, puts the s x s outputs of a pixel at their sub-pixel centres); then an
// optional 1x1 end_conv at the output size.
//
// end_conv is linear, and so is the sampling of each group (the same positions for all its
// channels, weights summing to 1), so each group's share of end_conv runs first, at the input
// size (a grouped 1x1 convolution to groups x out channels), and only those are sampled and
// summed over the groups: for RealPLKSR and SPANPlus x4, 12 sampled channels instead of 48. On
// the CPU in f32 the positions, the sampling and the sum are one pass of our own; elsewhere
// ATen's grid sampler does it. Positions and sampling are f32 whatever the network's precision:
// bf16 cannot hold pixel coordinates past 256, and ATen's CPU sampler has no bf16 kernel.
#pragma once
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/torch_weights.hpp"

namespace upres::nn::arch {

struct DySample {
    std::string prefix;      // "to_img." (RealPLKSR), "upsampler." (SPANPlus)
    int64_t scale = 2, groups = 4;
    bool end_conv = true;
    // grid_sample's convention. False: the sampling position of input pixel i is i + offset, the
    // same on every tile of an image. True (as plksr/ reads RealPLKSR): the positions are also
    // stretched by (size - 1) / size, so they depend on the map's size.
    bool align_corners = false;
};

namespace dysample_detail {

// grid_sample's normalised coordinates of output pixel (h s + i, w s + j) of group g, laid out as
// the sampler reads them: [g, s H, s W, (x, y)]. prod = offset_conv * sigmoid(scope_conv), whose
// channel (xy, g, i, j) belongs to that pixel (the order pixel shuffle gives). With n = (W, H)
// the coordinate is 2 (centre + prod / 2 + init_pos) / n - 1: one pass over the offsets, the
// per-pixel and per-channel terms broadcast.
inline at::Tensor coords(const at::Tensor& prod, const at::Tensor& init_pos, int64_t s, int64_t G) {
    const int64_t H = prod.size(2), W = prod.size(3);
    const auto f32 = prod.options().dtype(at::kFloat);
    const at::Tensor o = prod.to(at::kFloat).view({2, G, s, s, H, W}).permute({1, 4, 2, 5, 3, 0});
    const at::Tensor bx = (at::arange(W, f32) + 0.5).mul_(2.0 / double(W)).sub_(1.0);
    const at::Tensor by = (at::arange(H, f32) + 0.5).mul_(2.0 / double(H)).sub_(1.0);
    const at::Tensor centre = at::stack({bx.view({1, W}).expand({H, W}), by.view({H, 1}).expand({H, W})}, 2).view({1, H, 1, W, 1, 2});
    const at::Tensor inv = at::tensor({1.0 / double(W), 1.0 / double(H)}, f32).view({1, 1, 1, 1, 1, 2});
    const at::Tensor pos = init_pos.to(at::kFloat).view({2, G, s, s}).permute({1, 2, 3, 0}).mul(inv.view({2}) * 2.0);
    at::Tensor c = at::empty({G, H, s, W, s, 2}, f32);
    at::addcmul_out(c, centre, o, inv);
    c.add_(pos.view({G, 1, s, 1, s, 2}));
    return c.view({G, s * H, s * W, 2});
}

// The CPU f32 pass: out[o, y, x] = bias[o] + sum_g bilinear(z_g[o], position of (y, x) in group g).
// prod and z channels-last f32 ([1, 2 G s^2, H, W] and [1, G O, H, W]); the positions in input
// pixels are, with off = prod / 2 + init_pos, w + off (align_corners off) or
// (w + 1/2 + off) (W - 1) / W (on), clamped to the map (border padding), as grid_sample has them.
inline at::Tensor sample_cpu(const at::Tensor& prod, const at::Tensor& init_pos, const at::Tensor& z, const at::Tensor& bias,
                             int64_t s, int64_t G, int64_t O, bool align_corners) {
    const int64_t H = prod.size(2), W = prod.size(3), K = 2 * G * s * s, GO = G * O;
    const at::Tensor pc = prod.to(at::kFloat).contiguous(at::MemoryFormat::ChannelsLast);
    const at::Tensor zc = z.to(at::kFloat).contiguous(at::MemoryFormat::ChannelsLast);
    const at::Tensor ip = init_pos.to(at::kFloat).contiguous();
    at::Tensor out = at::empty({1, O, s * H, s * W}, pc.options().memory_format(at::MemoryFormat::Contiguous));
    std::vector<float> b(size_t(O), 0.0f);
    if (bias.defined()) {
        const at::Tensor bc = bias.to(at::kFloat).contiguous();
        std::copy(bc.data_ptr<float>(), bc.data_ptr<float>() + O, b.begin());
    }
    const float* P = pc.data_ptr<float>();
    const float* Z = zc.data_ptr<float>();
    const float* I = ip.data_ptr<float>();
    float* Y = out.data_ptr<float>();
    const int64_t OW = s * W, plane = s * H * OW;
    const float sx = align_corners ? float(W - 1) / float(W) : 1.0f, sy = align_corners ? float(H - 1) / float(H) : 1.0f;
    const float cx = align_corners ? 0.5f : 0.0f;
    at::parallel_for(0, s * H, 8, [&](int64_t begin, int64_t end) {
        for (int64_t oy = begin; oy < end; ++oy) {
            const int64_t h = oy / s, i = oy % s;
            for (int64_t ox = 0; ox < OW; ++ox) {
                const int64_t w = ox / s, j = ox % s;
                const float* p = P + (h * W + w) * K;
                float acc[4] = {b[0], O > 1 ? b[1] : 0.0f, O > 2 ? b[2] : 0.0f, O > 3 ? b[3] : 0.0f};
                for (int64_t g = 0; g < G; ++g) {
                    const int64_t k = (g * s + i) * s + j;
                    const float offx = p[k] * 0.5f + I[k], offy = p[G * s * s + k] * 0.5f + I[G * s * s + k];
                    float fx = std::clamp((float(w) + cx + offx) * sx, 0.0f, float(W - 1));
                    float fy = std::clamp((float(h) + cx + offy) * sy, 0.0f, float(H - 1));
                    const int64_t x0 = int64_t(fx), y0 = int64_t(fy);
                    fx -= float(x0);
                    fy -= float(y0);
                    const int64_t x1 = std::min(x0 + 1, W - 1), y1 = std::min(y0 + 1, H - 1);
                    const float* z00 = Z + (y0 * W + x0) * GO + g * O;
                    const float* z01 = Z + (y0 * W + x1) * GO + g * O;
                    const float* z10 = Z + (y1 * W + x0) * GO + g * O;
                    const float* z11 = Z + (y1 * W + x1) * GO + g * O;
                    const float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
                    for (int64_t o = 0; o < O; ++o) acc[o] += w00 * z00[o] + w01 * z01[o] + w10 * z10[o] + w11 * z11[o];
                }
                for (int64_t o = 0; o < O; ++o) Y[o * plane + oy * OW + ox] = acc[o];
            }
        }
    });
    return out;
}

}  // namespace dysample_detail

// The sampling (and the sum over the groups) from the 1x1 convolutions' outputs: off = offset_conv
// (bias included), scope = scope_conv, z = the grouped end_conv (no bias; end_conv only). For
// callers that compute them elsewhere (SPANPlus's oneDNN chain); dysample() below computes them.
inline at::Tensor dysample_from(const Weights& w, const DySample& d, const at::Tensor& off, const at::Tensor& scope,
                                const at::Tensor& z, at::ScalarType type) {
    const int64_t s = d.scale, G = d.groups, O = z.size(1) / G, H = z.size(2), W = z.size(3);
    const at::Tensor prod = off * at::sigmoid(scope);
    const at::Tensor& init_pos = get(w, d.prefix + "init_pos");
    const at::Tensor eb = maybe(w, d.prefix + "end_conv.bias");
    if (z.is_cpu() && z.scalar_type() == at::kFloat && O <= 4)
        return dysample_detail::sample_cpu(prod, init_pos, z, eb, s, G, O, d.align_corners).to(type);
    const at::Tensor in = z.to(at::kFloat).contiguous().view({G, O, H, W});
    at::Tensor y = at::grid_sampler_2d(in, dysample_detail::coords(prod, init_pos, s, G), /*bilinear*/ 0, /*border*/ 1, d.align_corners)
                       .sum(0, /*keepdim=*/true);
    if (eb.defined()) y.add_(eb.to(at::kFloat).view({1, O, 1, 1}));
    return y.to(type);
}

// end_conv's weights as the grouped convolution's: [G O, C / G, 1, 1], output g O + o of group g.
inline at::Tensor dysample_grouped_end_conv(const Weights& w, const DySample& d) {
    const at::Tensor& ew = get(w, d.prefix + "end_conv.weight");  // [O, C, 1, 1]
    const int64_t O = ew.size(0), C = ew.size(1), G = d.groups;
    return ew.reshape({O, G, C / G}).permute({1, 0, 2}).reshape({G * O, C / G, 1, 1}).contiguous();
}

inline at::Tensor dysample(const Weights& w, const DySample& d, const at::Tensor& x) {
    const int64_t s = d.scale, G = d.groups, C = x.size(1), H = x.size(2), W = x.size(3);
    const at::Tensor scope = conv(w, d.prefix + "scope", x), off = conv(w, d.prefix + "offset", x);
    if (!d.end_conv) {
        const at::Tensor prod = off * at::sigmoid(scope);
        const at::Tensor in = x.to(at::kFloat).contiguous().view({G, C / G, H, W});
        return at::grid_sampler_2d(in, dysample_detail::coords(prod, get(w, d.prefix + "init_pos"), s, G), /*bilinear*/ 0,
                                   /*border*/ 1, d.align_corners)
            .view({1, C, s * H, s * W})
            .to(x.scalar_type());
    }
    const std::vector<int64_t> one{1, 1}, zero{0, 0};
    const at::Tensor z = at::conv2d(x, dysample_grouped_end_conv(w, d), {}, one, zero, one, G);  // [1, G O, H, W]
    return dysample_from(w, d, off, scope, z, x.scalar_type());
}

}  // namespace upres::nn::arch
