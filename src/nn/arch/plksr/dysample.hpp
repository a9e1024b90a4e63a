// DySample (Liu et al. 2023, "Learning to Upsample by Learning to Sample"), the upsampler of
// RealPLKSR (plksr/) and SPANPlus (spanplus/), for their networks (libtorch). Each output pixel
// samples its group's channels bilinearly (border-clamped) at its input position plus a learnt
// offset: offset = offset_conv(x) * sigmoid(scope_conv(x)) * 0.5 + init_pos (1x1 convolutions;
// init_pos, from the file, puts the s x s outputs of a pixel at their sub-pixel centres); then an
// optional 1x1 end_conv at the output size (run before the sampling, below: the same result).
//
// Positions and the sampling are computed in f32 whatever the network's precision: bf16 cannot
// hold pixel coordinates past 256, and ATen's CPU sampler has no bf16 kernel.
#pragma once
#include <ATen/ATen.h>

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

inline at::Tensor dysample(const Weights& w, const DySample& d, const at::Tensor& x) {
    const int64_t s = d.scale, G = d.groups, C = x.size(1), H = x.size(2), W = x.size(3);
    at::Tensor scope = conv(w, d.prefix + "scope", x).sigmoid_();
    const at::Tensor prod = conv(w, d.prefix + "offset", x).mul_(scope);
    // grid_sample's coordinates of output pixel (h s + i, w s + j) of group g, laid out as the
    // sampler reads them: [g, h, i, w, j, (x, y)]. Channel (xy, g, i, j) of the offsets belongs to
    // it (the order pixel shuffle gives). With n = (W, H), the coordinate is
    // 2 (centre + prod / 2 + init_pos) / n - 1: one pass over the offsets, the per-pixel and
    // per-channel terms broadcast.
    const auto f32 = x.options().dtype(at::kFloat);
    const at::Tensor o = prod.to(at::kFloat).view({2, G, s, s, H, W}).permute({1, 4, 2, 5, 3, 0});
    const at::Tensor bx = (at::arange(W, f32) + 0.5).mul_(2.0 / double(W)).sub_(1.0);
    const at::Tensor by = (at::arange(H, f32) + 0.5).mul_(2.0 / double(H)).sub_(1.0);
    const at::Tensor centre = at::stack({bx.view({1, W}).expand({H, W}), by.view({H, 1}).expand({H, W})}, 2).view({1, H, 1, W, 1, 2});
    const at::Tensor inv = at::tensor({1.0 / double(W), 1.0 / double(H)}, f32).view({1, 1, 1, 1, 1, 2});
    const at::Tensor pos = get(w, d.prefix + "init_pos").to(at::kFloat).view({2, G, s, s}).permute({1, 2, 3, 0}).mul(inv.view({2}) * 2.0);
    at::Tensor coords = at::empty({G, H, s, W, s, 2}, f32);
    at::addcmul_out(coords, centre, o, inv);
    coords.add_(pos.view({G, 1, s, 1, s, 2}));
    coords = coords.view({G, s * H, s * W, 2});
    if (!d.end_conv) {
        const at::Tensor in = x.to(at::kFloat).contiguous().view({G, C / G, H, W});
        return at::grid_sampler_2d(in, coords, /*bilinear*/ 0, /*border*/ 1, d.align_corners)
            .view({1, C, s * H, s * W})
            .to(x.scalar_type());
    }
    // end_conv is linear, and so is the sampling of each group (the same positions for all its
    // channels, weights summing to 1): each group's share of end_conv runs first, at the input size
    // (a grouped 1x1 convolution to groups x out channels), and only those are sampled and summed:
    // for RealPLKSR and SPANPlus x4, 12 sampled channels instead of 48.
    const at::Tensor& ew = get(w, d.prefix + "end_conv.weight");  // [O, C, 1, 1]
    const int64_t O = ew.size(0);
    const at::Tensor wg = ew.reshape({O, G, C / G}).permute({1, 0, 2}).reshape({G * O, C / G, 1, 1});
    const std::vector<int64_t> one{1, 1}, zero{0, 0};
    const at::Tensor z = at::conv2d(x, wg.contiguous(), {}, one, zero, one, G);  // [1, G O, H, W]
    const at::Tensor in = z.to(at::kFloat).contiguous().view({G, O, H, W});
    at::Tensor y = at::grid_sampler_2d(in, coords, /*bilinear*/ 0, /*border*/ 1, d.align_corners).sum(0, /*keepdim=*/true);
    const at::Tensor eb = maybe(w, d.prefix + "end_conv.bias");
    if (eb.defined()) y.add_(eb.to(at::kFloat).view({1, O, 1, 1}));
    return y.to(x.scalar_type());
}

}  // namespace upres::nn::arch
