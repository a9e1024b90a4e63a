#include "nn/arch/srresnet/srresnet.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::srresnet {

namespace {

class SrResNet : public Network {
public:
    SrResNet(const Params& p, Weights w) : p_(p), w_(std::move(w)) {}
    at::Tensor forward(const at::Tensor& x) const override {
        at::Tensor y = lrelu(conv(w_, "conv_first", x), 0.1);
        for (int b = 0; b < p_.blocks; ++b) {
            const std::string n = "body." + std::to_string(b);
            at::Tensor r = conv(w_, n + ".conv1", y);
            at::relu_(r);
            y = conv(w_, n + ".conv2", r).add_(y);
        }
        if (p_.scale == 4) {
            y = lrelu(at::pixel_shuffle(conv(w_, "upconv1", y), 2), 0.1);
            y = lrelu(at::pixel_shuffle(conv(w_, "upconv2", y), 2), 0.1);
        } else {
            y = lrelu(at::pixel_shuffle(conv(w_, "upconv1", y), p_.scale), 0.1);
        }
        y = conv(w_, "conv_last", lrelu(conv(w_, "conv_hr", y), 0.1));
        const at::Tensor base = at::upsample_bilinear2d(x, {x.size(2) * p_.scale, x.size(3) * p_.scale}, false);
        return y.add_(base);
    }

private:
    Params p_;
    Weights w_;
};

// SRGAN's generator with every BatchNorm folded into the convolution before it (srresnet.hpp).
class Srgan : public Network {
public:
    Srgan(SrganPlan p, Weights w, const at::Device& device, at::ScalarType dtype) : p_(std::move(p)), w_(std::move(w)) {
        if (p_.scheme == Scheme::tutorial) {  // -1..1 samples -> (x01 - mean) / std
            std::vector<float> a(3), b(3);
            for (int c = 0; c < 3; ++c) a[c] = 0.5f / kImagenetStd[c], b[c] = (0.5f - kImagenetMean[c]) / kImagenetStd[c];
            in_gain_ = at::tensor(a).view({1, 3, 1, 1}).to(device, dtype);
            in_offset_ = at::tensor(b).view({1, 3, 1, 1}).to(device, dtype);
        }
    }

    at::Tensor forward(const at::Tensor& x) const override {
        const at::Tensor in = p_.scheme == Scheme::tutorial ? x * in_gain_ + in_offset_ : x;
        const at::Tensor head = at::prelu(conv(w_, p_.head, in), get(w_, p_.head_act + ".weight"));
        at::Tensor y = head;
        for (const auto& b : p_.body) {
            const at::Tensor r = at::prelu(conv(w_, b.conv1, y), get(w_, b.act + ".weight"));
            y = conv(w_, b.conv2, r).add_(y);
        }
        y = conv(w_, p_.trunk, y).add_(head);
        for (const auto& u : p_.ups) y = at::prelu(at::pixel_shuffle(conv(w_, u.conv, y), u.r), get(w_, u.act + ".weight"));
        y = conv(w_, p_.tail, y).tanh_();
        if (p_.scheme == Scheme::blocks) y.add_(1.0).mul_(0.5);  // (tanh + 1) / 2: 0..1
        return y;                                             // tutorial: -1..1, undone by the descriptor's map
    }

private:
    SrganPlan p_;
    Weights w_;
    at::Tensor in_gain_, in_offset_;
};

// Folds the eval-mode BatchNorm `bn` into the convolution `conv` (fp32, before placing).
void fold(Weights& w, const std::string& conv, const std::string& bn) {
    const at::Tensor scale = get(w, bn + ".weight") / at::sqrt(get(w, bn + ".running_var") + kBatchNormEps);
    const at::Tensor weight = get(w, conv + ".weight");
    const at::Tensor bias = maybe(w, conv + ".bias");
    const at::Tensor b = bias.defined() ? bias : at::zeros({weight.size(0)}, weight.options());
    w[conv + ".weight"] = weight * scale.view({-1, 1, 1, 1});
    w[conv + ".bias"] = (b - get(w, bn + ".running_mean")) * scale + get(w, bn + ".bias");
    for (const char* part : {".weight", ".bias", ".running_mean", ".running_var", ".num_batches_tracked"}) w.erase(bn + part);
}

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    if (!is_msrresnet(m.tensors)) {
        SrganPlan p = srgan_plan(m.tensors, m.path + ": SRGAN SRResNet");
        Weights w = load_weights(m.tensors);
        for (const auto& b : p.body) fold(w, b.conv1, b.bn1), fold(w, b.conv2, b.bn2);
        fold(w, p.trunk, p.trunk_bn);
        const at::Device device = device_of(s);
        const at::ScalarType dtype = dtype_of(s);
        return std::make_unique<Srgan>(std::move(p), place(std::move(w), device, dtype), device, dtype);
    }
    return std::make_unique<SrResNet>(params(m.tensors, "SRResNet"), place(load_weights(m.tensors), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::srresnet
