// The pieces of a Swin transformer (Liu et al. 2021) that the Swin-based restoration networks share
// (SwinIR here; HAT, DRCT and DAT reuse them): tokens to and from images (patch embed / unembed
// with patch size 1), window partition and its reverse, the shifted-window attention mask and the
// relative position bias, both computed for the actual (padded) input size and window, never read
// from the stored buffers `relative_position_index` / `attn_mask` (whose sizes are the training
// patch's), window multi-head self-attention in square or rectangular windows (wh rows x ww
// columns, DAT's and RGT's; the square forms take one side w), HAT's overlapping cross-attention
// (queries from w x w windows, keys and values from larger windows around them), and one attention
// core (attend) for all of them.
//
// libtorch only (header-only, inline): include it from a family's network.cpp.
// Layouts: images [B, C, H, W] (channels-last in memory, as the runner gives them), tokens
// [B, H*W, C] in row-major pixel order, windows [B*nW, w*w, C] with the windows in row-major order.
// Under reduced precision the softmax and the layer norms run in fp32.
#pragma once
#include <ATen/ATen.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

#if UPRES_WITH_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#if DNNL_VERSION_MAJOR == 2
#define UPRES_SWIN_DNNL_MATMUL 1
#endif
#endif

namespace upres::nn::arch::swin {

// [B, C, H, W] -> [B, H*W, C] (PatchEmbed; a view when the image is channels-last).
inline at::Tensor tokens(const at::Tensor& image) {
    return image.permute({0, 2, 3, 1}).reshape({image.size(0), image.size(2) * image.size(3), image.size(1)});
}

// [B, H*W, C] -> [B, C, H, W] (PatchUnEmbed; a view, channels-last in memory).
inline at::Tensor image(const at::Tensor& tokens, int64_t h, int64_t w) {
    return tokens.view({tokens.size(0), h, w, tokens.size(2)}).permute({0, 3, 1, 2});
}

// [B, H, W, C] -> [B * (H/wh) * (W/ww), wh*ww, C]: wh x ww windows (rows x columns).
inline at::Tensor window_partition(const at::Tensor& x, int64_t wh, int64_t ww) {
    const int64_t b = x.size(0), h = x.size(1), wd = x.size(2), c = x.size(3);
    return x.view({b, h / wh, wh, wd / ww, ww, c}).permute({0, 1, 3, 2, 4, 5}).reshape({-1, wh * ww, c});
}
inline at::Tensor window_partition(const at::Tensor& x, int64_t w) { return window_partition(x, w, w); }

// [B * nW, wh*ww, C] -> [B, H, W, C].
inline at::Tensor window_reverse(const at::Tensor& windows, int64_t wh, int64_t ww, int64_t h, int64_t wd) {
    const int64_t c = windows.size(-1), b = windows.size(0) / ((h / wh) * (wd / ww));
    return windows.reshape({b, h / wh, wd / ww, wh, ww, c}).permute({0, 1, 3, 2, 4, 5}).reshape({b, h, wd, c});
}
inline at::Tensor window_reverse(const at::Tensor& windows, int64_t w, int64_t h, int64_t wd) {
    return window_reverse(windows, w, w, h, wd);
}

// For tokens i = (yi, xi) and j = (yj, xj) of a wh x ww window, the row of the relative position
// bias table: (yi - yj + wh - 1) * (2ww - 1) + (xi - xj + ww - 1). [(wh*ww)^2] int64 (Swin's
// relative_position_index, flattened).
inline at::Tensor relative_position_index(int64_t wh, int64_t ww) {
    const int64_t n = wh * ww;
    std::vector<int64_t> idx(size_t(n * n));
    size_t k = 0;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) idx[k++] = (i / ww - j / ww + wh - 1) * (2 * ww - 1) + (i % ww - j % ww + ww - 1);
    return at::tensor(idx, at::kLong);
}
inline at::Tensor relative_position_index(int64_t w) { return relative_position_index(w, w); }

// For a query (yi, xi) of a w x w window and a key (yj, xj) of the ow x ow window around it
// (overlapping cross-attention, ow >= w, centred: (ow - w) / 2 more on each side), the row of the
// table [(w + ow - 1)^2, heads], as HAT's calculate_rpi_oca numbers them: per axis
// d = key - query + w - ow + 1 (which runs from 2 - ow to w), row d_y * (w + ow - 1) + d_x, taken
// modulo the rows (PyTorch's negative indices count from the end; the L^2 values of the sum are
// consecutive, so each row is used once). [w^2 * ow^2] int64.
inline at::Tensor overlap_position_index(int64_t w, int64_t ow) {
    const int64_t side = w + ow - 1, rows = side * side;
    std::vector<int64_t> idx(size_t(w * w * ow * ow));
    size_t n = 0;
    for (int64_t i = 0; i < w * w; ++i)
        for (int64_t j = 0; j < ow * ow; ++j) {
            const int64_t r = (j / ow - i / w + w - ow + 1) * side + (j % ow - i % w + w - ow + 1);
            idx[n++] = (r % rows + rows) % rows;
        }
    return at::tensor(idx, at::kLong);
}

// The table [rows, heads] gathered by `index` [nq * nk] into the bias each head adds to its
// attention logits: [1, heads, nq, nk], contiguous, on the table's device and dtype.
inline at::Tensor gathered_bias(const at::Tensor& table, const at::Tensor& index, int64_t nq, int64_t nk) {
    return table.index_select(0, index.to(table.device())).view({nq, nk, -1}).permute({2, 0, 1}).contiguous().unsqueeze(0);
}

// The table [(2wh - 1)(2ww - 1), heads] of a wh x ww window's self-attention: [1, heads, wh*ww, wh*ww].
inline at::Tensor relative_position_bias(const at::Tensor& table, int64_t wh, int64_t ww) {
    return gathered_bias(table, relative_position_index(wh, ww), wh * ww, wh * ww);
}
inline at::Tensor relative_position_bias(const at::Tensor& table, int64_t w) { return relative_position_bias(table, w, w); }

// The attention mask of shifted wh x ww windows (cyclic shift by sh rows up and sw columns left)
// on an h x wd map: tokens of one window that came from different regions of the unshifted map
// (the last wh - sh and the last sh rows wrap around, likewise the columns) must not attend to
// each other. [nW, wh*ww, wh*ww], 0 or -1e4, fp32. Swin adds -100, whose exp (3.7e-44 of the row's
// largest weight) is a denormal that slows the CPU's arithmetic; -1e4 underflows to 0 instead, a
// change far below fp32's resolution.
inline at::Tensor shifted_window_mask(int64_t h, int64_t wd, int64_t wh, int64_t ww, int64_t sh, int64_t sw,
                                      const at::Device& device) {
    std::vector<int64_t> label(size_t(h * wd));
    auto region = [](int64_t i, int64_t extent, int64_t w, int64_t s) { return int64_t(i >= extent - w) + int64_t(i >= extent - s); };
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < wd; ++x) label[size_t(y * wd + x)] = 3 * region(y, h, wh, sh) + region(x, wd, ww, sw);
    const at::Tensor windows = window_partition(at::tensor(label, at::kLong).view({1, h, wd, 1}), wh, ww).view({-1, wh * ww});
    const at::Tensor differ = windows.unsqueeze(1).ne(windows.unsqueeze(2));
    return at::zeros(differ.sizes(), at::kFloat).masked_fill_(differ, -1e4).to(device);
}
inline at::Tensor shifted_window_mask(int64_t h, int64_t wd, int64_t w, int64_t shift, const at::Device& device) {
    return shifted_window_mask(h, wd, w, w, shift, shift, device);
}

// Layer norm over the last dimension, in fp32 whatever the activations' dtype (the weights are
// fp32). eps 1e-5 (nn.LayerNorm's default).
inline at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps = 1e-5) {
    const std::vector<int64_t> shape{x.size(-1)};
    if (x.scalar_type() == at::kFloat) return at::layer_norm(x, at::IntArrayRef(shape), weight, bias, eps);
    return at::layer_norm(x.to(at::kFloat), at::IntArrayRef(shape), weight, bias, eps).to(x.scalar_type());
}

#if UPRES_SWIN_DNNL_MATMUL
// Batched fp32 matmul on the CPU through oneDNN's own API (Debian's libtorch sends fp32
// at::matmul / at::linear to the reference BLAS, 20-50x slower here; docs/models-speed.md):
// dst = a @ b (+ bias), a [..., M, K] and b [..., K, N] of any strides (oneDNN's brgemm kernels
// take row-major a, and b row-major or transposed), bias broadcast over dst (or undefined), dst
// [..., M, N] contiguous or with the given strides. Returns an undefined tensor when oneDNN
// refuses the shapes.
inline at::Tensor dnnl_matmul(const at::Tensor& a, const at::Tensor& b, const at::Tensor& bias, at::IntArrayRef dst_sizes,
                              at::IntArrayRef dst_strides = {}) {
    using dnnl::memory;
    static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    auto md = [](at::IntArrayRef sizes, at::IntArrayRef strides) {
        return memory::desc(memory::dims(sizes.begin(), sizes.end()), memory::data_type::f32, memory::dims(strides.begin(), strides.end()));
    };
    at::Tensor dst = dst_strides.empty() ? at::empty(dst_sizes, a.options()) : at::empty_strided(dst_sizes, dst_strides, a.options());
    try {
        const memory::desc am = md(a.sizes(), a.strides()), bm = md(b.sizes(), b.strides()), dm = md(dst.sizes(), dst.strides());
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(am, engine, a.data_ptr())},
                                             {DNNL_ARG_WEIGHTS, memory(bm, engine, b.data_ptr())},
                                             {DNNL_ARG_DST, memory(dm, engine, dst.data_ptr())}};
        dnnl::matmul::desc desc(am, bm, dm);
        if (bias.defined()) {
            // [N] as [1, ..., 1, N]
            std::vector<int64_t> sizes(size_t(dst.dim()), 1), strides(size_t(dst.dim()), bias.size(0));
            sizes.back() = bias.size(0);
            strides.back() = 1;
            const memory::desc biasm = md(sizes, strides);
            desc = dnnl::matmul::desc(am, bm, biasm, dm);
            args.emplace(DNNL_ARG_BIAS, memory(biasm, engine, bias.data_ptr()));
        }
        const dnnl::matmul prim(dnnl::matmul::primitive_desc(desc, engine));
        dnnl::stream stream(engine);
        prim.execute(stream, args);
        stream.wait();
    } catch (const dnnl::error&) {
        return at::Tensor();
    }
    return dst;
}
#endif

// Whether linear layers and attention products of this dtype and device go through oneDNN
// (dnnl_matmul) rather than ATen.
inline bool use_dnnl(at::ScalarType dtype, const at::Device& device) {
#if UPRES_SWIN_DNNL_MATMUL
    return dtype == at::kFloat && device.is_cpu();
#else
    (void)dtype;
    (void)device;
    return false;
#endif
}

// A linear layer's weight [O, C] as linear() reads it: [O, C] for at::linear and oneDNN, or,
// for fp32 on the CPU without oneDNN, the 1x1 convolution weight [O, C, 1, 1] (channels-last):
// ATen's convolutions go to oneDNN even where its fp32 GEMMs go to the reference BLAS.
inline at::Tensor linear_weight(const at::Tensor& w, const at::Device& device, at::ScalarType dtype) {
    at::Tensor x = w.to(device, dtype).contiguous();
    if (device.is_cpu() && dtype == at::kFloat && !use_dnnl(dtype, device))
        x = x.view({w.size(0), w.size(1), 1, 1}).contiguous(at::MemoryFormat::ChannelsLast);
    return x;
}

// x [..., C] @ weight^T + bias with a weight from linear_weight.
inline at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
    const int64_t c = x.size(-1), o = weight.size(0), m = x.numel() / c;
    std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
    shape.back() = o;
    if (weight.dim() == 4) {  // [m, C] rows as a 1 x m channels-last image: [1, C, 1, m] with NHWC strides
        const std::vector<int64_t> one{1, 1}, zero{0, 0};
        const at::Tensor image = x.reshape({1, 1, m, c}).permute({0, 3, 1, 2});
        return at::conv2d(image, weight, bias, at::IntArrayRef(one), at::IntArrayRef(zero)).permute({0, 2, 3, 1}).reshape(shape);
    }
#if UPRES_SWIN_DNNL_MATMUL
    if (use_dnnl(x.scalar_type(), x.device())) {
        const std::vector<int64_t> sizes{m, o};
        const at::Tensor y = dnnl_matmul(x.reshape({m, c}), weight.t(), bias, sizes);
        if (y.defined()) return y.view(shape);
    }
#endif
    return at::linear(x, weight, bias);
}

// One window attention's weights, prepared at build time.
struct Attention {
    at::Tensor qkv_w, qkv_b, proj_w, proj_b;  // qkv_b may be undefined (qkv_bias=False)
    at::Tensor bias;                          // [1, heads, Nq, Nk]: fp32 (explicit path) or the dtype (fused)
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
// [rows, heads] gathered by `index` [nq * nk] (queries by keys), placed on the device in `dtype`.
inline Attention prepare_attention(at::Tensor qkv_w, at::Tensor qkv_b, const at::Tensor& proj_w, const at::Tensor& proj_b,
                                   const at::Tensor& table, const at::Tensor& index, int64_t nq, int64_t nk,
                                   const at::Device& device, at::ScalarType dtype) {
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
    a.qkv_w = linear_weight(qkv_w, device, dtype);
    if (qkv_b.defined()) a.qkv_b = qkv_b.to(device, dtype).contiguous();
    a.proj_w = linear_weight(proj_w, device, dtype);
    a.proj_b = proj_b.to(device, dtype).contiguous();
    a.bias = gathered_bias(table.to(at::kFloat), index, nq, nk).to(device, a.fused ? dtype : at::kFloat);
    return a;
}

// The same for a w x w window's self-attention (the table [(2w - 1)^2, heads]).
inline Attention prepare_attention(const at::Tensor& qkv_w, const at::Tensor& qkv_b, const at::Tensor& proj_w,
                                   const at::Tensor& proj_b, const at::Tensor& table, int64_t w, const at::Device& device,
                                   at::ScalarType dtype) {
    return prepare_attention(qkv_w, qkv_b, proj_w, proj_b, table, relative_position_index(w), w * w, w * w, device, dtype);
}

// Multi-head attention: q [B, heads, Nq, d], k [B, heads, Nk, d], v [B, heads, Nk, e] (any
// strides); `bias` [1, heads, Nq, Nk] or undefined (fp32, or the dtype on the fused path); `mask`
// [nW, Nq, Nk] fp32 (B a multiple of nW, window i taking mask i % nW) or undefined. The queries
// carry their scale, except on the fused path (`fused`: libtorch 2.x's
// scaled_dot_product_attention, whose default scale is head_dim^-0.5; see use_fused_attention).
// Returns [B, Nq, heads * e], the heads side by side as a projection reads them. For every
// attention here: square or rectangular windows, overlapping windows, a reduced map's keys.
inline at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& bias,
                         const at::Tensor& mask, bool fused = false) {
    const int64_t bw = q.size(0), h = q.size(1), nq = q.size(2), nk = k.size(2), e = v.size(3);
    const int64_t nw = mask.defined() ? mask.size(0) : 1;
#if TORCH_VERSION_MAJOR >= 2
    if (fused) {
        at::Tensor m;
        if (bias.defined()) m = bias.to(q.scalar_type()).expand({bw, h, nq, nk});
        if (mask.defined()) {
            const at::Tensor mk = mask.to(q.scalar_type()).view({1, nw, 1, nq, nk}).expand({bw / nw, nw, h, nq, nk}).reshape({bw, h, nq, nk});
            m = m.defined() ? m + mk : mk;
        }
        return at::scaled_dot_product_attention(q, k, v, m).transpose(1, 2).reshape({bw, nq, h * e});
    }
#else
    (void)fused;
#endif
#if UPRES_SWIN_DNNL_MATMUL
    if (use_dnnl(q.scalar_type(), q.device())) {
        // q, k^T (brgemm is faster on a row-major k^T), v row-major; attn @ v written straight into
        // the [B, Nq, heads, e] layout the projection reads.
        const std::vector<int64_t> logits{bw, h, nq, nk}, sizes{bw, h, nq, e}, strides{nq * h * e, e, h * e, 1};
        at::Tensor attn = dnnl_matmul(q.contiguous(), k.transpose(-2, -1).contiguous(), at::Tensor(), logits);
        if (attn.defined()) {
            if (bias.defined()) attn.add_(bias);
            if (mask.defined()) attn.view({bw / nw, nw, h, nq, nk}).add_(mask.view({1, nw, 1, nq, nk}));
            attn = at::softmax(attn, -1);
            const at::Tensor o = dnnl_matmul(attn, v.contiguous(), at::Tensor(), sizes, strides);
            if (o.defined()) return o.as_strided({bw, nq, h * e}, {nq * h * e, h * e, 1});
        }
    }
#endif
    at::Tensor attn = at::matmul(q, k.transpose(-2, -1));
    const at::ScalarType dtype = attn.scalar_type();
    if (dtype != at::kFloat) attn = attn.to(at::kFloat);
    if (bias.defined()) attn.add_(bias);
    if (mask.defined()) attn.view({bw / nw, nw, h, nq, nk}).add_(mask.view({1, nw, 1, nq, nk}));
    attn = at::softmax(attn, -1);
    if (dtype != at::kFloat) attn = attn.to(dtype);
    return at::matmul(attn, v).transpose(1, 2).reshape({bw, nq, h * e});
}

// The same with a prepared Attention's bias and path.
inline at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Attention& a, const at::Tensor& mask) {
    return attend(q, k, v, a.bias, mask, a.fused);
}

// Multi-head self-attention within each window: x [B*nW, N, C] -> [B*nW, N, C]. `mask`
// [nW, N, N] (fp32) or undefined; its windows are x's (B = 1) or repeat with period nW.
inline at::Tensor window_attention_all(const at::Tensor& x, const Attention& a, const at::Tensor& mask) {
    const int64_t bw = x.size(0), n = x.size(1), c = x.size(2), h = a.heads, d = c / h;
    const at::Tensor qkv = linear(x, a.qkv_w, a.qkv_b).view({bw, n, 3, h, d}).permute({2, 0, 3, 1, 4});
    return linear(attend(qkv[0], qkv[1], qkv[2], a, mask), a.proj_w, a.proj_b);  // q, k, v [B*nW, heads, N, d]
}

// Windows per pass of window_attention: the logits of a pass [windows, heads, N, N] in fp32 near
// 8 MB, so that the attention's temporaries stay cache-sized and are reused from pass to pass
// instead of being fresh pages of the whole image's size.
inline int64_t windows_per_pass(int64_t heads, int64_t n) { return std::max<int64_t>(1, (int64_t(8) << 20) / (heads * n * n * 4)); }

// window_attention_all over groups of windows (windows_per_pass), each group's result written
// into one output [B*nW, N, C].
inline at::Tensor window_attention(const at::Tensor& x, const Attention& a, const at::Tensor& mask) {
    const int64_t bw = x.size(0), nw = mask.defined() ? mask.size(0) : bw, step = windows_per_pass(a.heads, x.size(1));
    if (bw <= step) return window_attention_all(x, a, mask);
    at::Tensor out = at::empty(x.sizes(), x.options());
    for (int64_t i0 = 0; i0 < bw; i0 += nw)  // each image's windows (a mask window is i % nW)
        for (int64_t s = 0; s < nw && i0 + s < bw; s += step) {
            const int64_t len = std::min({step, nw - s, bw - i0 - s});
            out.narrow(0, i0 + s, len).copy_(window_attention_all(x.narrow(0, i0 + s, len), a, mask.defined() ? mask.narrow(0, s, len) : mask));
        }
    return out;
}

// t += mlp(layer_norm(t)) over tokens [B, L, C], in passes of about 4096 tokens (the hidden
// activations stay cache-sized).
inline void add_mlp_(at::Tensor& t, const at::Tensor& norm_w, const at::Tensor& norm_b, const at::Tensor& fc1_w,
                     const at::Tensor& fc1_b, const at::Tensor& fc2_w, const at::Tensor& fc2_b);

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

// Swin's Mlp: fc1, exact GELU, fc2 (weights from linear_weight).
inline at::Tensor mlp(const at::Tensor& x, const at::Tensor& fc1_w, const at::Tensor& fc1_b, const at::Tensor& fc2_w,
                      const at::Tensor& fc2_b) {
    return linear(at::gelu(linear(x, fc1_w, fc1_b)), fc2_w, fc2_b);
}

inline void add_mlp_(at::Tensor& t, const at::Tensor& norm_w, const at::Tensor& norm_b, const at::Tensor& fc1_w,
                     const at::Tensor& fc1_b, const at::Tensor& fc2_w, const at::Tensor& fc2_b) {
    constexpr int64_t kStep = 4096;
    for (int64_t b = 0; b < t.size(0); ++b)
        for (int64_t s = 0; s < t.size(1); s += kStep) {
            at::Tensor part = t[b].narrow(0, s, std::min(kStep, t.size(1) - s));
            part.add_(mlp(layer_norm(part, norm_w, norm_b), fc1_w, fc1_b, fc2_w, fc2_b));
        }
}

// Overlapping cross-attention (HAT's OCA) over tokens [B, H*W, C] of an h x wd map, already
// normalised (h, wd multiples of w): the queries of each w x w window attend to the keys and values
// of the ow x ow window centred on it (ow - w even, (ow - w) / 2 more on each side). Beyond the map
// the keys and values are zero, after the qkv projection (nn.Unfold's zero padding): such keys
// count with logit 0 plus their bias, unmasked. a.bias [1, heads, w*w, ow*ow] from
// overlap_position_index. Runs one row of windows at a time (its qkv from its rows and the (ow - w)
// / 2 above and below), in passes whose logits stay near 8 MB. Returns the projection [B, H*W, C].
inline at::Tensor overlapping_window_attention(const at::Tensor& t, int64_t h, int64_t wd, int64_t w, int64_t ow,
                                               const Attention& a) {
    const int64_t b = t.size(0), c = t.size(2), heads = a.heads, d = c / heads, p = (ow - w) / 2;
    const int64_t nq = w * w, nk = ow * ow, cols = wd / w;
    const int64_t step = std::max<int64_t>(1, (int64_t(8) << 20) / (heads * nq * nk * 4));
    const at::Tensor x = t.view({b, h, wd, c});
    at::Tensor out = at::empty({b, h, wd, c}, t.options());
    for (int64_t bi = 0; bi < b; ++bi)
        for (int64_t y0 = 0; y0 < h; y0 += w) {
            const int64_t r0 = std::max<int64_t>(0, y0 - p), r1 = std::min(h, y0 + w + p);
            const at::Tensor qkv = linear(x[bi].narrow(0, r0, r1 - r0), a.qkv_w, a.qkv_b);  // [rows, wd, 3C]
            // Keys and values of rows y0 - p .. y0 + w + p and columns -p .. wd + p, zero off the map.
            const at::Tensor kv = at::zeros({ow, wd + 2 * p, 2 * c}, t.options());
            kv.narrow(0, r0 - (y0 - p), r1 - r0).narrow(1, p, wd).copy_(qkv.narrow(2, c, 2 * c));
            const at::Tensor q = qkv.narrow(0, y0 - r0, w).narrow(2, 0, c);  // [w, wd, C]
            for (int64_t j0 = 0; j0 < cols; j0 += step) {
                const int64_t g = std::min(step, cols - j0);
                // [g, heads, w*w, d] queries; keys and values [ow, g, 2, heads, d, ow] as unfolded, to
                // [g, heads, ow*ow, d] with the window's rows outermost.
                const at::Tensor qw = q.narrow(1, j0 * w, g * w).view({w, g, w, heads, d}).permute({1, 3, 0, 2, 4}).reshape({g, heads, nq, d});
                const at::Tensor kvw = kv.narrow(1, j0 * w, (g - 1) * w + ow).unfold(1, ow, w).view({ow, g, 2, heads, d, ow});
                const at::Tensor kw = kvw.select(2, 0).permute({1, 2, 0, 4, 3}).reshape({g, heads, nk, d});
                const at::Tensor vw = kvw.select(2, 1).permute({1, 2, 0, 4, 3}).reshape({g, heads, nk, d});
                const at::Tensor o = linear(attend(qw, kw, vw, a, at::Tensor()), a.proj_w, a.proj_b);  // [g, w*w, C]
                out[bi].narrow(0, y0, w).narrow(1, j0 * w, g * w).view({w, g, w, c}).copy_(o.view({g, w, w, c}).permute({1, 0, 2, 3}));
            }
        }
    return out.view({b, h * wd, c});
}

}  // namespace upres::nn::arch::swin
