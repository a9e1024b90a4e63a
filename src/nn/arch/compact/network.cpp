#include "nn/arch/compact/compact.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::compact {

namespace {

class Compact : public Network {
public:
    Compact(int convs, int scale, Weights w) : convs_(convs), scale_(scale), w_(std::move(w)) {}
    at::Tensor forward(const at::Tensor& x) const override {
        at::Tensor y = x;
        const int last = 2 * (convs_ + 1);
        for (int i = 0; i < last; i += 2) {
            y = conv(w_, "body." + std::to_string(i), y);
            y = at::prelu(y, get(w_, "body." + std::to_string(i + 1) + ".weight"));
        }
        y = at::pixel_shuffle(conv(w_, "body." + std::to_string(last), y), scale_);
        // The network predicts a residual over the nearest-upsampled input.
        const at::Tensor base = at::upsample_nearest2d(x, {x.size(2) * scale_, x.size(3) * scale_});
        return y + base;
    }

private:
    int convs_, scale_;
    Weights w_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    int convs = 0;
    while (m.tensors.count("body." + std::to_string(2 * (convs + 2)) + ".weight")) ++convs;
    return std::make_unique<Compact>(convs, m.desc.scale, place(load_weights(m.tensors), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::compact
