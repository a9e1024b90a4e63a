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

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<SrResNet>(params(m.tensors, "SRResNet"), place(load_weights(m.tensors), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::srresnet
