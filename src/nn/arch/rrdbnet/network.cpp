#include "core/error.hpp"
#include "nn/arch/rrdbnet/onednn_trunk.hpp"
#include "nn/arch/rrdbnet/rrdbnet.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::rrdbnet {

namespace {

// "Nearest 2x upsampling, then a 3x3 convolution" as four 2x2 convolutions on the small image, one
// per output phase (a, b) = (row, column) parity: a high-resolution 3x3 window covers only two
// low-resolution rows and columns, so the kernel taps that land on the same source pixel are summed
// beforehand. Same result, 4/9 of the multiply-adds, and the 4x larger upsampled input is never
// materialised. Phase (a, b) is stored as output channels [(2a + b) * oc, (2a + b + 1) * oc).
at::Tensor subpixel_weight(const at::Tensor& w) {
    // Rows (dim 2) for phase a: a = 0 reads source rows i-1 (tap 0) and i (taps 1 + 2); a = 1 reads
    // rows i (taps 0 + 1) and i+1 (tap 2). Likewise for columns (dim 3).
    auto merge = [](const at::Tensor& t, int64_t dim, int a) {
        const at::Tensor t0 = t.select(dim, 0), t1 = t.select(dim, 1), t2 = t.select(dim, 2);
        return a == 0 ? at::stack({t0, t1 + t2}, dim) : at::stack({t0 + t1, t2}, dim);
    };
    std::vector<at::Tensor> phases;
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) phases.push_back(merge(merge(w, 2, a), 3, b));
    return at::cat(phases, 0);
}

// RRDBNet. With reduced-precision weights (bf16, fp16) the convolutions of the blocks run in that
// precision while the residual trunk stays fp32 and the upsampling tail (a few % of the work) runs
// in fp32: with Real-ESRGAN x4plus that lifts bf16 from 48.2 to 51.0 dB against fp32 on Set5 baby.
class Rrdb : public Network {
public:
    Rrdb(const Params& a, Weights w, const at::Device& device, at::ScalarType dtype, bool onednn) : a_(a) {
        for (int u = 1; u <= upsamples(); ++u) {
            const std::string p = "conv_up" + std::to_string(u);
            const at::Tensor& weight = get(w, p + ".weight");
            if (weight.dim() != 4 || weight.size(2) != 3 || weight.size(3) != 3)
                fail(Status::model, "'" + p + ".weight' is not a 3x3 convolution");
            w[p + ".subpixel.weight"] = subpixel_weight(weight);
            auto b = w.find(p + ".bias");
            if (b != w.end()) w[p + ".subpixel.bias"] = b->second.repeat({4});
        }
        if (dtype != at::kFloat) {
            Weights tail;
            for (const auto& [name, t] : w)
                if (name.rfind("conv_up", 0) == 0 || name.rfind("conv_hr", 0) == 0 || name.rfind("conv_last", 0) == 0)
                    tail.emplace(name, t);
            tail_ = place(std::move(tail), device, at::kFloat);
        }
        const bool bf16 = dtype == at::kBFloat16;
        if (a_.plus) onednn = false;  // the oneDNN trunk has no 1x1 skips
        if (onednn && device.is_cpu() && bf16) trunk_ = OnednnTrunk::create(w, a_.blocks, true);
        w_ = place(std::move(w), device, dtype);
        compute_ = dtype;
        if (onednn && device.is_cpu() && dtype == at::kFloat) trunk_ = OnednnTrunk::create(w_, a_.blocks, false);
        // The trunk keeps its own f32 weights; ATen's copies of them would never be used.
        if (trunk_)
            for (auto it = w_.begin(); it != w_.end();)
                it = it->first.rfind("body.", 0) == 0 || it->first.rfind("conv_body.", 0) == 0 ? w_.erase(it) : std::next(it);
    }
    at::Tensor forward(const at::Tensor& x) const override {
        at::Tensor in = a_.unshuffle > 1 ? at::pixel_unshuffle(x, a_.unshuffle) : x;
        const at::Tensor feat = conv(w_, "conv_first", in.to(compute_)).to(at::kFloat);
        at::Tensor y;
        if (trunk_) {
            y = trunk_->run(feat);
        } else {
            at::Tensor body = feat;
            for (int b = 0; b < a_.blocks; ++b) body = rrdb(body, "body." + std::to_string(b));
            y = conv(w_, "conv_body", body.to(compute_)).to(at::kFloat).add_(feat).to(tail_dtype());
        }
        for (int u = 1; u < upsamples(); ++u) y = lrelu(upsample_conv(y, "conv_up" + std::to_string(u)));
        if (upsamples() == 0) return conv(tail_weights(), "conv_last", lrelu(conv(tail_weights(), "conv_hr", y)));
        return tail_in_strips(y);
    }

private:
    int upsamples() const { return a_.upsamples; }
    // The upsampling tail's weights: fp32 copies when the blocks run in reduced precision.
    const Weights& tail_weights() const { return tail_.empty() ? w_ : tail_; }
    at::ScalarType tail_dtype() const { return tail_.empty() ? compute_ : at::kFloat; }

    // The last upsampling and the two full-resolution convolutions.
    at::Tensor tail(const at::Tensor& y) const {
        const at::Tensor z = lrelu(upsample_conv(y, "conv_up" + std::to_string(upsamples())));
        return conv(tail_weights(), "conv_last", lrelu(conv(tail_weights(), "conv_hr", z)));
    }

    // tail() over horizontal strips of its input: the 64-channel full-resolution maps of a whole
    // tile are hundreds of MB (fresh pages on every call, no cache reuse); a strip's stay a few MB.
    // Each strip carries 2 source rows of context on both sides: the three convolutions reach 3
    // output rows (1.5 source rows) beyond it, and those rows are cut off again.
    at::Tensor tail_in_strips(const at::Tensor& y) const {
        constexpr int64_t halo = 2, target_bytes = int64_t(16) << 20;
        const int64_t h = y.size(2), w = y.size(3);
        const int64_t row_bytes = 2 * (2 * w) * y.size(1) * int64_t(y.element_size());  // 2 output rows
        const int64_t rows = std::max<int64_t>(8, target_bytes / std::max<int64_t>(1, row_bytes) - 2 * halo);
        if (rows >= h) return tail(y);
        at::Tensor out;
        for (int64_t r0 = 0; r0 < h; r0 += rows) {
            const int64_t r1 = std::min(h, r0 + rows);
            const int64_t a0 = std::max<int64_t>(0, r0 - halo), a1 = std::min(h, r1 + halo);
            const at::Tensor part = tail(y.slice(2, a0, a1));
            if (!out.defined())
                out = at::empty({1, part.size(1), 2 * h, 2 * w}, part.options().memory_format(at::MemoryFormat::ChannelsLast));
            out.slice(2, 2 * r0, 2 * r1).copy_(part.slice(2, 2 * (r0 - a0), 2 * (r1 - a0)));
        }
        return out;
    }

    // conv3x3(nearest2x(x)) through the four phase convolutions (see subpixel_weight).
    at::Tensor upsample_conv(const at::Tensor& x, const std::string& name) const {
        const Weights& t = tail_weights();
        const at::Tensor& weight = get(t, name + ".subpixel.weight");
        auto b = t.find(name + ".subpixel.bias");
        // 2x2 kernels with one pixel of zero padding: output (h+1) x (w+1), phase (a, b) at offset (a, b).
        const at::Tensor phases = conv2d_same(x, weight, b == t.end() ? at::Tensor() : b->second, 1);
        const int64_t h = x.size(2), w = x.size(3), oc = weight.size(0) / 4;
        at::Tensor out = at::empty({1, oc, 2 * h, 2 * w}, x.options().memory_format(at::MemoryFormat::ChannelsLast));
        // Both as [rows, cols, channels] views of their channels-last memory.
        const at::Tensor dst = out.permute({0, 2, 3, 1}).view({h, 2, w, 2, oc});
        const at::Tensor src = phases.permute({0, 2, 3, 1})[0];
        for (int a = 0; a < 2; ++a)
            for (int c = 0; c < 2; ++c)
                dst.select(3, c).select(1, a).copy_(src.slice(0, a, a + h).slice(1, c, c + w).slice(2, (2 * a + c) * oc, (2 * a + c + 1) * oc));
        return out;
    }

    // In-place activations and fused scaled adds: fewer temporaries per block.
    at::Tensor rdb(const at::Tensor& x, const std::string& p) const {  // x: the fp32 trunk
        const at::Tensor xc = x.to(compute_);
        at::Tensor x1 = lrelu(conv(w_, p + ".conv1", xc));
        at::Tensor x2 = lrelu(conv(w_, p + ".conv2", at::cat({xc, x1}, 1)));
        // ESRGAN+: x2 gains a 1x1 skip from the block's input, x4 one from x2.
        if (a_.plus) x2 = x2.add_(conv(w_, p + ".conv1x1", xc));
        at::Tensor x3 = lrelu(conv(w_, p + ".conv3", at::cat({xc, x1, x2}, 1)));
        at::Tensor x4 = lrelu(conv(w_, p + ".conv4", at::cat({xc, x1, x2, x3}, 1)));
        if (a_.plus) x4 = x4.add_(x2);
        at::Tensor x5 = conv(w_, p + ".conv5", at::cat({xc, x1, x2, x3, x4}, 1)).to(at::kFloat);
        return x5.mul_(0.2).add_(x);
    }
    at::Tensor rrdb(const at::Tensor& x, const std::string& p) const {
        at::Tensor y = rdb(x, p + ".rdb1");
        y = rdb(y, p + ".rdb2");
        y = rdb(y, p + ".rdb3");
        return y.mul_(0.2).add_(x);
    }
    Params a_;
    Weights w_;
    Weights tail_;  // fp32 copies of the upsampling tail when w_ is reduced precision; else empty
    at::ScalarType compute_ = at::kFloat;
    std::unique_ptr<OnednnTrunk> trunk_;  // on the CPU with oneDNN: the trunk through it (onednn_trunk.hpp)
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<Rrdb>(params(m.tensors, "RRDBNet"), load_weights(m.tensors), device_of(s), dtype_of(s), s.onednn);
}

}  // namespace upres::nn::arch::rrdbnet
