#include "nn/arch/srcnn/srcnn.hpp"
#include "nn/network.hpp"
#include "nn/replicate_pad.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::srcnn {

namespace {

class Srcnn : public Network {
public:
    Srcnn(Weights w, bool replicate) : w_(std::move(w)), replicate_(replicate) {}
    at::Tensor forward(const at::Tensor& x) const override {
        at::Tensor y = layer(x, "conv1").relu();
        y = layer(y, "conv2").relu();
        return layer(y, "conv3");
    }

private:
    at::Tensor layer(const at::Tensor& x, const std::string& name) const {
        const at::Tensor& weight = get(w_, name + ".weight");
        const int64_t p = weight.size(2) / 2;
        const at::Tensor bias = maybe(w_, name + ".bias");
        if (!replicate_) return conv2d_same(x, weight, bias, p);
        return conv2d_same(replicate_pad(x, p), weight, bias, 0);
    }
    Weights w_;
    bool replicate_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<Srcnn>(place(load_weights(m.tensors), device_of(s), dtype_of(s)), s.padding == "replicate");
}

}  // namespace upres::nn::arch::srcnn
