#include "nn/arch/rcan/rcan.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::rcan {

namespace {

class Rcan : public Network {
public:
    Rcan(const Params& p, Weights w) : p_(p), w_(std::move(w)) {}
    at::Tensor forward(const at::Tensor& x) const override { return forward_tiled(x, nullptr); }
    bool averages_whole_input() const override { return true; }
    at::Tensor forward_tiled(const at::Tensor& x, ImageStatistics* stats) const override {
        // traiNNer-redux's / spandrel's x1 and x2 models unshuffle the input (the runner padded it to
        // the factor) and run a x4 tail.
        const at::Tensor head = conv(w_, p_.head(), p_.unshuffle > 1 ? at::pixel_unshuffle(x, p_.unshuffle) : x);
        at::Tensor y = head;
        for (int g = 0; g < p_.groups; ++g) {
            const std::string gp = "body." + std::to_string(g) + ".body.";
            at::Tensor r = y;
            for (int b = 0; b < p_.blocks; ++b) r = rcab(r, gp + std::to_string(b) + ".body.", stats);
            y = conv(w_, gp + std::to_string(p_.blocks), r).add_(y);
        }
        y = conv(w_, "body." + std::to_string(p_.groups), y).add_(head);
        for (int s = 0; s < p_.steps; ++s) y = at::pixel_shuffle(conv(w_, "tail.0." + std::to_string(2 * s), y), p_.shuffle);
        return conv(w_, "tail.1", y);
    }

private:
    // Channel attention weighs each channel by its mean over the whole map (the image's, when tiled).
    at::Tensor rcab(const at::Tensor& x, const std::string& p, ImageStatistics* stats) const {
        at::Tensor r = conv(w_, p + "0", x);
        at::relu_(r);
        r = conv(w_, p + "2", r);
        at::Tensor a = conv(w_, p + "3.conv_du.0", channel_means(r, stats).to(r.scalar_type()).view({1, -1, 1, 1}));
        at::relu_(a);
        a = at::sigmoid(conv(w_, p + "3.conv_du.2", a));
        return r.mul_(a).add_(x);
    }
    Params p_;
    Weights w_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<Rcan>(params(m.tensors, "RCAN"), place(load_weights(m.tensors), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::rcan
