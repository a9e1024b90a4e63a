#include "nn/arch/plksr/dysample.hpp"
#include "nn/arch/plksr/plksr.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

#include <tuple>

namespace upres::nn::arch::plksr {

namespace {

at::Tensor conv_pad(const Weights& w, const std::string& name, const at::Tensor& x) {
    const at::Tensor& weight = get(w, name + ".weight");
    const std::vector<int64_t> pad = {weight.size(2) / 2, weight.size(3) / 2};
    const std::vector<int64_t> one = {1, 1};
    return at::conv2d(x, weight, maybe(w, name + ".bias"), one, pad, one, 1);
}

class PLKSR : public Network {
public:
    PLKSR(Params p, Weights w) : p_(std::move(p)), w_(std::move(w)) {}

    at::Tensor forward(const at::Tensor& x) const override { return forward_tiled(x, nullptr); }
    bool averages_whole_input() const override { return p_.norm == Norm::group; }
    at::Tensor forward_tiled(const at::Tensor& x, ImageStatistics* stats) const override {
        at::Tensor y = conv_pad(w_, "feats.0", x);
        for (int b = 1; b <= p_.blocks; ++b) y = block("feats." + std::to_string(b) + ".", y, stats);
        const int s2 = p_.scale * p_.scale;
        y = conv_pad(w_, "feats." + std::to_string(p_.last), y);
        y.add_(x.repeat_interleave(s2, 1));
        if (!p_.dysample) return at::pixel_shuffle(y, p_.scale);
        // RealPLKSR's DySample with align_corners, as plksr/ has always read it.
        return dysample(w_, {"to_img.", p_.scale, p_.dy_groups, p_.dy_end_conv, /*align_corners=*/true}, y);
    }

private:
    at::Tensor block(const std::string& q, const at::Tensor& skip, ImageStatistics* stats) const {
        at::Tensor t = skip;
        if (p_.norm == Norm::layer) {
            // Over the channels at each pixel: the channels-last layout makes that a plain layer norm.
            const at::Tensor nhwc = t.permute({0, 2, 3, 1});
            t = at::layer_norm(nhwc, {p_.dim}, get(w_, q + "layer_norm.weight"), get(w_, q + "layer_norm.bias"), 1e-6)
                    .permute({0, 3, 1, 2});
        }
        t = conv_pad(w_, q + p_.mixer_key + ".0", t);
        t = p_.real ? at::mish(t) : at::gelu(t);
        t = conv_pad(w_, q + p_.mixer_key + ".2", t);
        // The large kernel over the first `split` channels; the others pass through.
        const at::Tensor part = t.narrow(1, 0, p_.split);
        at::Tensor lk;
        if (p_.lk == LargeKernel::plk) {
            lk = conv_pad(w_, q + "lk.conv", part);
        } else {
            lk = conv_pad(w_, q + "lk.mn_conv", part);
            lk.add_(conv_pad(w_, q + "lk.nm_conv", part));
            lk.add_(conv_pad(w_, q + "lk.nn_conv", part));
        }
        if (p_.split == p_.dim) t = lk;
        else t.narrow(1, 0, p_.split).copy_(lk);
        if (p_.ea) {
            at::Tensor gate = conv_pad(w_, q + "attn.f.0", t);
            gate.sigmoid_();
            t = gate.mul_(t);
        }
        t = conv_pad(w_, q + "refine", t);
        if (p_.norm != Norm::group) return t.add_(skip);
        // GroupNorm folded into one scale and shift per channel, added onto the skip in one pass.
        const int64_t g = p_.norm_groups, c = p_.dim / g, h = t.size(2), w = t.size(3);
        const at::Tensor grouped = t.view({1, g, c, h, w});
        at::Tensor var, mean;
        if (!stats) {
            std::tie(var, mean) = at::var_mean(grouped, {2, 3, 4}, /*unbiased=*/false, /*keepdim=*/false);
        } else {
            // Tiled: the image's group moments from its channel means of t and t^2 (every channel
            // of a group covers the same positions), in double against cancellation.
            const at::Tensor m1 = stats->channel_means(t, {}, at::kDouble).view({1, g, c}).mean(2);
            const at::Tensor m2 = stats->channel_means(t.to(at::kFloat).square(), {}, at::kDouble).view({1, g, c}).mean(2);
            mean = m1.to(t.scalar_type());
            var = (m2 - m1 * m1).clamp_min_(0).to(t.scalar_type());
        }
        const at::Tensor rstd = (var + 1e-5).rsqrt_();                                   // [1, g]
        const at::Tensor a = get(w_, q + "norm.weight").view({g, c}) * rstd.view({g, 1});  // [g, c]
        const at::Tensor shift = get(w_, q + "norm.bias").view({g, c}) - mean.view({g, 1}) * a;
        at::Tensor out = skip + shift.view({1, p_.dim, 1, 1});
        return out.addcmul_(t, a.view({1, p_.dim, 1, 1}));
    }

    Params p_;
    Weights w_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<PLKSR>(params(m.tensors, m.path + ": PLKSR"), place(load_weights(m.tensors), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::plksr
