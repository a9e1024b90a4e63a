#include "nn/arch/compact/compact.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

#if UPRES_WITH_DNNL
#include "nn/cpu_features.hpp"
#include "nn/onednn_chain.hpp"
#endif

namespace upres::nn::arch::compact {

namespace {

class Compact : public Network {
public:
    Compact(int convs, int scale, Weights w, bool onednn) : convs_(convs), scale_(scale) {
#if UPRES_WITH_DNNL
        // fp32 on the CPU: the body's 64 -> 64 convolutions (and the last one when its width is a
        // multiple of 16) through oneDNN (onednn_chain.hpp): Winograd, blocked maps, PReLU between.
        const at::Tensor& first = get(w, "body.0.weight");
        const int64_t feat = first.size(0);
        const at::Tensor& last = get(w, "body." + std::to_string(2 * (convs_ + 1)) + ".weight");
        if (onednn && cpu_runs_blocked_onednn() && first.device().is_cpu() && first.scalar_type() == at::kFloat && convs_ > 0 && feat % onednn::kBlock == 0) {
            chain_ = std::make_unique<onednn::Chain>();
            first_ = chain_->add_conv(first, maybe(w, "body.0.bias"));
            for (int i = 1; i <= convs_; ++i) {
                const std::string n = "body." + std::to_string(2 * i);
                chain_->add_conv(get(w, n + ".weight"), maybe(w, n + ".bias"));
            }
            if (last.size(0) % onednn::kBlock == 0) {
                const std::string n = "body." + std::to_string(2 * (convs_ + 1));
                last_ = chain_->add_conv(last, maybe(w, n + ".bias"));
            }
            for (int i = 0; i <= convs_; ++i)
                slopes_.push_back(get(w, "body." + std::to_string(2 * i + 1) + ".weight").contiguous());
        }
#else
        (void)onednn;
#endif
        w_ = std::move(w);
    }

    at::Tensor forward(const at::Tensor& x) const override {
        const int last = 2 * (convs_ + 1);
        at::Tensor y;
#if UPRES_WITH_DNNL
        if (chain_) {
            bool whole = false;
            y = body_onednn(x, whole);
            if (whole) return y;  // already shuffled, with the residual
        }
#endif
        if (!y.defined()) {
            y = x;
            for (int i = 0; i < last; i += 2) {
                y = conv(w_, "body." + std::to_string(i), y);
                y = at::prelu(y, get(w_, "body." + std::to_string(i + 1) + ".weight"));
            }
            y = conv(w_, "body." + std::to_string(last), y);
        }
        y = at::pixel_shuffle(y, scale_);
        // The network predicts a residual over the nearest-upsampled input.
        const at::Tensor base = at::upsample_nearest2d(x, {x.size(2) * scale_, x.size(3) * scale_});
        return y + base;
    }

private:
#if UPRES_WITH_DNNL
    // The network as one chain of blocked maps (the first convolution reads the input tensor as
    // it is). Returns the whole output (`whole` set), or, when the last convolution runs in ATen,
    // its output before the pixel shuffle.
    at::Tensor body_onednn(const at::Tensor& x, bool& whole) const {
        const int last = 2 * (convs_ + 1);
        onednn::Chain::Run r(*chain_, x.size(2), x.size(3));
        onednn::Map a = r.map(get(w_, "body.0.weight").size(0));
        r.conv_from(first_, x, a);
        r.prelu(a, slopes_[0]);
        onednn::Map b = r.map(a.c);
        for (int i = 1; i <= convs_; ++i) {
            r.conv(first_ + i, a, b);
            r.prelu(b, slopes_[size_t(i)]);
            std::swap(a, b);
        }
        if (last_ >= 0) {
            const onednn::Map o = r.map(get(w_, "body." + std::to_string(last) + ".weight").size(0));
            r.conv(last_, a, o);
            // The pixel shuffle and the nearest-upsampled input added in one pass.
            whole = true;
            return r.out_shuffled(o, scale_, x);
        }
        return conv(w_, "body." + std::to_string(last), r.out(a, at::MemoryFormat::ChannelsLast));
    }

    std::unique_ptr<onednn::Chain> chain_;
    int first_ = -1;                  // body.0's chain layer; body.2, body.4, ... follow it
    int last_ = -1;                   // the last convolution's chain layer, or -1 (ATen)
    std::vector<at::Tensor> slopes_;  // PReLU slopes of body.1, body.3, ...
#endif
    int convs_, scale_;
    Weights w_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    int convs = 0;
    while (m.tensors.count("body." + std::to_string(2 * (convs + 2)) + ".weight")) ++convs;
    return std::make_unique<Compact>(convs, m.desc.scale, place(load_weights(m.tensors), device_of(s), dtype_of(s)), s.onednn);
}

}  // namespace upres::nn::arch::compact
