// A chain of 3x3 convolutions through oneDNN's own API, for networks whose body is a plain stack of
// same-size 3x3 convolutions with elementwise work between them (SRVGGNetCompact, SPAN):
// - feature maps stay in oneDNN's blocked nChw16c f32 layout from layer to layer (channel counts
//   must be multiples of 16), so elementwise operations between convolutions are flat loops over
//   maps of one layout and no convolution reorders its input;
// - 3x3 convolutions by Winograd F(4x4, 3x3) where oneDNN 2.x offers it for the shape (4x fewer
//   multiplications than the direct convolution ATen always asks for), else direct; the bias and
//   the post-ops Winograd takes (ReLU, sum) fused, the others (PReLU, SiLU, SPAN's attention)
//   as separate passes over the blocked maps: AVX-512 loops of this file's own where the CPU has
//   it, oneDNN eltwise / prelu / binary primitives otherwise;
// - each layer's weights laid out once per weight layout (Winograd layouts depend on the tile
//   size; the two most recently used are kept), primitives made once per shape and cached, map
//   buffers pooled across runs;
// - the input read by the first convolution as it is (conv_from), the pixel shuffle done while
//   leaving the blocked layout (out_shuffled).
// All of it is const and thread-safe: every forward pass has its own Run (stream, scratchpad).
// Only in builds with oneDNN 2.x (UPRES_WITH_DNNL), and used only where the CPU has the AVX-512
// kernels for the blocked layout (nn/cpu_features.hpp: cpu_runs_blocked_onednn); src/nn/arch/rrdbnet/onednn_trunk.cpp is the
// RRDBNet-specific relative of this file.
#pragma once
#if UPRES_WITH_DNNL
#include <ATen/ATen.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace upres::nn::onednn {

constexpr int kBlock = 16;  // nChw16c: channel counts must be multiples of this

// A feature map of the chain: `c` channels of the run's size, blocked nChw16c f32.
// In that layout channels [c0, c0 + c) of a map are one contiguous range: `slice` makes such a
// part a map of its own, so a concatenation along channels costs nothing.
struct Map {
    at::Tensor data;      // flat f32 storage
    int64_t c = 0;
    int64_t offset = 0;   // in floats: the map starts at data + offset
};

class Chain {
public:
    Chain();
    ~Chain();
    Chain(const Chain&) = delete;
    Chain& operator=(const Chain&) = delete;

    // A 3x3 (stride 1, padding 1: Winograd where oneDNN takes it) or 1x1 convolution (direct) of
    // f32 CPU weights [oc, ic, k, k] and bias [oc] (or undefined); oc a multiple of 16, ic too
    // unless the layer reads an ATen tensor (Run::conv_from, direct). Returns the layer's index.
    int add_conv(const at::Tensor& weight, const at::Tensor& bias);

    // One forward pass on h x w maps.
    class Run {
    public:
        Run(const Chain& chain, int64_t h, int64_t w);
        ~Run();
        int64_t h() const { return h_; }
        int64_t w() const { return w_; }
        // Waits for the primitives so far (before a map is touched by code of one's own).
        void wait() { s_.wait(); }
        // A new map. Its storage comes from (and at the Run's end goes back to) the chain's pool
        // of spare buffers, so maps must not outlive their Run.
        Map map(int64_t c);
        // Channels [c0, c0 + c) of `m` (c0 a multiple of 16).
        Map slice(const Map& m, int64_t c0, int64_t c) const { return {m.data, c, m.offset + c0 * h_ * w_}; }
        // [1, c, h, w] f32 (any ATen memory format) into a new blocked map, and back (NCHW-contiguous
        // or channels-last as asked).
        Map in(const at::Tensor& x);
        void in(const at::Tensor& x, const Map& dst);
        at::Tensor out(const Map& m, at::MemoryFormat format = at::MemoryFormat::Contiguous);
        // at::pixel_shuffle(out(m), s) in one pass (m.c = C s^2), plus `residual` ([1, C, h, w] f32,
        // nearest-upsampled by s) when defined: [1, C, h s, w s] NCHW.
        at::Tensor out_shuffled(const Map& m, int64_t s, const at::Tensor& residual = at::Tensor());
        // dst = conv(src) (+ dst when `accumulate`; relu after, when `relu`).
        void conv(int layer, const Map& src, const Map& dst, bool accumulate = false, bool relu = false);
        // dst = conv(x) for x an ATen tensor [1, ic, h, w] f32 (any ic, e.g. the RGB input): a
        // direct convolution that reads it as it is, without a reorder.
        void conv_from(int layer, const at::Tensor& x, const Map& dst);
        // dst = f(src) for oneDNN's eltwise algorithm `alg` (src == dst is allowed).
        void eltwise(dnnl::algorithm alg, float alpha, float beta, const Map& src, const Map& dst);
        // dst = a op b (binary_add, binary_mul, ...); with `accumulate`, dst = a op b + sum_scale * dst
        // (dst may be a).
        void binary(dnnl::algorithm op, const Map& a, const Map& b, const Map& dst, bool accumulate = false,
                    float sum_scale = 1.0f);
        // Elementwise passes of our own where the CPU has AVX-512 (oneDNN's primitives otherwise):
        // on 2 threads they take 20-40 % less time than oneDNN 2.6's eltwise / prelu primitives,
        // and oneDNN runs an eltwise primitive with post-ops by its reference kernel (20x slower).
        // SiLU in place: x * sigmoid(x).
        void silu(const Map& x);
        // SPAN's parameter-free attention: dst = (a + b) * (sigmoid(a) - 0.5); `spare` (a's size) is
        // used only by the fallback's three primitives.
        void span_attention(const Map& a, const Map& b, const Map& dst, const Map& spare);
        // In place PReLU with per-channel slopes (f32 [c], contiguous). A separate pass: oneDNN 2.6
        // runs a convolution with a PReLU post-op by its reference kernel (1000x slower), and its
        // Winograd kernel takes no such post-op.
        void prelu(const Map& x, const at::Tensor& slope);

    private:
        dnnl::memory mem(const Map& m) const;
        float* ptr(const Map& m);
        dnnl::memory& scratch(size_t bytes);
        const Chain& chain_;
        int64_t h_, w_;
        dnnl::stream s_;
        at::Tensor scratch_;
        dnnl::memory scratch_mem_;
        std::vector<at::Tensor> taken_;  // the maps' storage, given back to the pool at the end
    };

private:
    struct Layer;
    struct ConvPlan;
    const ConvPlan& conv_plan(int layer, int64_t h, int64_t w, bool accumulate, bool relu, bool plain = false) const;
    dnnl::memory weights_for(int layer, const dnnl::memory::desc& desc) const;
    // The primitive under `key`, made by `make` (which also says its scratchpad size) on first use.
    std::pair<dnnl::primitive, size_t> cached(const std::string& key,
                                              const std::function<std::pair<dnnl::primitive, size_t>()>& make) const;

    // Buffers of finished runs, reused by the next ones: fresh pages cost a page fault and a
    // clearing each, about 5 % of a SPAN forward pass. At most kPoolBytes are kept.
    at::Tensor take(int64_t numel) const;
    void give(std::vector<at::Tensor>& buffers) const;
    static constexpr int64_t kPoolBytes = int64_t(256) << 20;

    dnnl::engine eng_;
    mutable std::vector<at::Tensor> pool_;
    std::vector<std::unique_ptr<Layer>> layers_;
    mutable std::mutex mutex_;
    mutable std::map<std::string, std::unique_ptr<ConvPlan>> plans_;
    mutable std::map<std::string, std::pair<dnnl::primitive, size_t>> prims_;
    mutable uint64_t clock_ = 0;
};

}  // namespace upres::nn::onednn
#endif
