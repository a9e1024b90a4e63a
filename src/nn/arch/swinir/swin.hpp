// The pieces of a Swin transformer (Liu et al. 2021) that the Swin-based restoration networks share
// (SwinIR here; HAT and DRCT reuse them): tokens to and from images (patch embed / unembed with
// patch size 1), window partition and its reverse, the shifted-window attention mask and the
// relative position bias, both computed for the actual (padded) input size and window, never read
// from the stored buffers `relative_position_index` / `attn_mask` (whose sizes are the training
// patch's), and window multi-head self-attention.
//
// libtorch only (header-only, inline): include it from a family's network.cpp.
// Layouts: images [B, C, H, W] (channels-last in memory, as the runner gives them), tokens
// [B, H*W, C] in row-major pixel order, windows [B*nW, w*w, C] with the windows in row-major order.
// Under reduced precision the softmax and the layer norms run in fp32.
#pragma once
#include <ATen/ATen.h>
#include <torch/version.h>

#include <cmath>
#include <vector>

namespace upres::nn::arch::swin {

// [B, C, H, W] -> [B, H*W, C] (PatchEmbed; a view when the image is channels-last).
inline at::Tensor tokens(const at::Tensor& image) {
    return image.permute({0, 2, 3, 1}).reshape({image.size(0), image.size(2) * image.size(3), image.size(1)});
}

// [B, H*W, C] -> [B, C, H, W] (PatchUnEmbed; a view, channels-last in memory).
inline at::Tensor image(const at::Tensor& tokens, int64_t h, int64_t w) {
    return tokens.view({tokens.size(0), h, w, tokens.size(2)}).permute({0, 3, 1, 2});
}

// [B, H, W, C] -> [B * (H/w) * (W/w), w*w, C].
inline at::Tensor window_partition(const at::Tensor& x, int64_t w) {
    const int64_t b = x.size(0), h = x.size(1), wd = x.size(2), c = x.size(3);
    return x.view({b, h / w, w, wd / w, w, c}).permute({0, 1, 3, 2, 4, 5}).reshape({-1, w * w, c});
}

// [B * nW, w*w, C] -> [B, H, W, C].
inline at::Tensor window_reverse(const at::Tensor& windows, int64_t w, int64_t h, int64_t wd) {
    const int64_t c = windows.size(-1), b = windows.size(0) / ((h / w) * (wd / w));
    return windows.reshape({b, h / w, wd / w, w, w, c}).permute({0, 1, 3, 2, 4, 5}).reshape({b, h, wd, c});
}

// For tokens i = (yi, xi) and j = (yj, xj) of a w x w window, the row of the relative position
// bias table: (yi - yj + w - 1) * (2w - 1) + (xi - xj + w - 1). [w^4] int64 (Swin's
// relative_position_index, flattened).
inline at::Tensor relative_position_index(int64_t w) {
    std::vector<int64_t> idx(size_t(w * w * w * w));
    size_t n = 0;
    for (int64_t i = 0; i < w * w; ++i)
        for (int64_t j = 0; j < w * w; ++j) idx[n++] = (i / w - j / w + w - 1) * (2 * w - 1) + (i % w - j % w + w - 1);
    return at::tensor(idx, at::kLong);
}

// The table [(2w - 1)^2, heads] gathered into the bias each head adds to its attention logits:
// [1, heads, w*w, w*w], contiguous, on the table's device and dtype.
inline at::Tensor relative_position_bias(const at::Tensor& table, int64_t w) {
    const int64_t n = w * w;
    return table.index_select(0, relative_position_index(w).to(table.device())).view({n, n, -1}).permute({2, 0, 1})
        .contiguous()
        .unsqueeze(0);
}

// The attention mask of shifted windows (cyclic shift by `shift` up and left) on an h x wd map:
// tokens of one window that came from different regions of the unshifted map (the last w - shift
// and the last shift rows / columns wrap around) must not attend to each other. [nW, w*w, w*w],
// 0 or -1e4, fp32. Swin adds -100, whose exp (3.7e-44 of the row's largest weight) is a denormal
// that slows the CPU's arithmetic; -1e4 underflows to 0 instead, a change far below fp32's resolution.
inline at::Tensor shifted_window_mask(int64_t h, int64_t wd, int64_t w, int64_t shift, const at::Device& device) {
    std::vector<int64_t> label(size_t(h * wd));
    auto region = [&](int64_t i, int64_t extent) { return int64_t(i >= extent - w) + int64_t(i >= extent - shift); };
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < wd; ++x) label[size_t(y * wd + x)] = 3 * region(y, h) + region(x, wd);
    const at::Tensor windows = window_partition(at::tensor(label, at::kLong).view({1, h, wd, 1}), w).view({-1, w * w});
    const at::Tensor differ = windows.unsqueeze(1).ne(windows.unsqueeze(2));
    return at::zeros(differ.sizes(), at::kFloat).masked_fill_(differ, -1e4).to(device);
}

// Layer norm over the last dimension, in fp32 whatever the activations' dtype (the weights are
// fp32). eps 1e-5 (nn.LayerNorm's default).
inline at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps = 1e-5) {
    const std::vector<int64_t> shape{x.size(-1)};
    if (x.scalar_type() == at::kFloat) return at::layer_norm(x, at::IntArrayRef(shape), weight, bias, eps);
    return at::layer_norm(x.to(at::kFloat), at::IntArrayRef(shape), weight, bias, eps).to(x.scalar_type());
}

// One window attention's weights, prepared at build time.
struct Attention {
    at::Tensor qkv_w, qkv_b, proj_w, proj_b;  // qkv_b may be undefined (qkv_bias=False)
    at::Tensor bias;                          // [1, heads, N, N]: fp32 (explicit path) or the dtype (fused)
    int64_t heads = 1;
    // Explicit path: the query rows of qkv_w / qkv_b already carry head_dim^-0.5 (see prepare).
    // Fused path (libtorch 2.x): scaled_dot_product_attention's default scale, which is the same.
    bool fused = false;
};

// Whether window attention runs through at::scaled_dot_product_attention: libtorch 2.x, in fp32,
// or on CUDA (whose fused kernels keep the softmax in fp32). Reduced precision on the CPU keeps
// the explicit path, whose softmax is fp32.
inline bool use_fused_attention(at::ScalarType dtype, const at::Device& device) {
#if TORCH_VERSION_MAJOR >= 2
    return dtype == at::kFloat || device.is_cuda();
#else
    (void)dtype;
    (void)device;
    return false;
#endif
}

// Builds an Attention from fp32 CPU weights [3C, C] / [3C] / [C, C] / [C] and the table
// [(2w - 1)^2, heads], placed on the device in `dtype`.
inline Attention prepare_attention(at::Tensor qkv_w, at::Tensor qkv_b, const at::Tensor& proj_w, const at::Tensor& proj_b,
                                   const at::Tensor& table, int64_t w, const at::Device& device, at::ScalarType dtype) {
    Attention a;
    a.heads = table.size(1);
    a.fused = use_fused_attention(dtype, device);
    const int64_t c = qkv_w.size(1);
    if (!a.fused) {
        const double scale = 1.0 / std::sqrt(double(c / a.heads));
        qkv_w = qkv_w.clone();
        qkv_w.narrow(0, 0, c).mul_(scale);
        if (qkv_b.defined()) {
            qkv_b = qkv_b.clone();
            qkv_b.narrow(0, 0, c).mul_(scale);
        }
    }
    a.qkv_w = qkv_w.to(device, dtype).contiguous();
    if (qkv_b.defined()) a.qkv_b = qkv_b.to(device, dtype).contiguous();
    a.proj_w = proj_w.to(device, dtype).contiguous();
    a.proj_b = proj_b.to(device, dtype).contiguous();
    a.bias = relative_position_bias(table.to(at::kFloat), w).to(device, a.fused ? dtype : at::kFloat);
    return a;
}

// Multi-head self-attention within each window: x [B*nW, N, C] -> [B*nW, N, C]. `mask`
// [nW, N, N] (fp32) or undefined.
inline at::Tensor window_attention(const at::Tensor& x, const Attention& a, const at::Tensor& mask) {
    const int64_t bw = x.size(0), n = x.size(1), c = x.size(2), h = a.heads, d = c / h;
    const at::Tensor qkv = at::linear(x, a.qkv_w, a.qkv_b).view({bw, n, 3, h, d}).permute({2, 0, 3, 1, 4});
    const at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];  // [B*nW, heads, N, d]
    at::Tensor out;
#if TORCH_VERSION_MAJOR >= 2
    if (a.fused) {
        at::Tensor m;
        if (mask.defined()) {
            const int64_t nw = mask.size(0);
            m = (a.bias + mask.to(a.bias.scalar_type()).unsqueeze(1)).unsqueeze(0).expand({bw / nw, nw, h, n, n}).reshape({bw, h, n, n});
        } else {
            m = a.bias.expand({bw, h, n, n});
        }
        out = at::scaled_dot_product_attention(q, k, v, m);
    }
#endif
    if (!out.defined()) {
        at::Tensor attn = at::matmul(q, k.transpose(-2, -1));  // the queries carry the scale
        const at::ScalarType dtype = attn.scalar_type();
        if (dtype != at::kFloat) attn = attn.to(at::kFloat);
        attn.add_(a.bias);
        if (mask.defined()) {
            const int64_t nw = mask.size(0);
            attn.view({bw / nw, nw, h, n, n}).add_(mask.view({1, nw, 1, n, n}));
        }
        attn = at::softmax(attn, -1);
        if (dtype != at::kFloat) attn = attn.to(dtype);
        out = at::matmul(attn, v);
    }
    return at::linear(out.transpose(1, 2).reshape({bw, n, c}), a.proj_w, a.proj_b);
}

// (Shifted) window attention over tokens [B, H*W, C] of an h x wd map, already normalised: cyclic
// shift by `shift` (0 = none), partition into w x w windows, attention (with `mask` when shifted),
// windows merged and the shift undone. Returns [B, H*W, C].
inline at::Tensor shifted_window_attention(const at::Tensor& t, int64_t h, int64_t wd, int64_t w, int64_t shift,
                                           const Attention& a, const at::Tensor& mask) {
    const int64_t b = t.size(0), c = t.size(2);
    at::Tensor x = t.view({b, h, wd, c});
    if (shift) x = at::roll(x, {-shift, -shift}, {1, 2});
    at::Tensor y = window_reverse(window_attention(window_partition(x, w), a, shift ? mask : at::Tensor()), w, h, wd);
    if (shift) y = at::roll(y, {shift, shift}, {1, 2});
    return y.reshape({b, h * wd, c});
}

// Swin's Mlp: fc1, exact GELU, fc2.
inline at::Tensor mlp(const at::Tensor& x, const at::Tensor& fc1_w, const at::Tensor& fc1_b, const at::Tensor& fc2_w,
                      const at::Tensor& fc2_b) {
    return at::linear(at::gelu(at::linear(x, fc1_w, fc1_b)), fc2_w, fc2_b);
}

}  // namespace upres::nn::arch::swin
