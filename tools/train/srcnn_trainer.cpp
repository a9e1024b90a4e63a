#include "srcnn_trainer.hpp"

#include <c10/core/GradMode.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "nn/replicate_pad.hpp"
#include "quality/degradation.hpp"

namespace upres_train {

const char* const kParameterNames[6] = {"conv1.weight", "conv1.bias", "conv2.weight",
                                        "conv2.bias",   "conv3.weight", "conv3.bias"};

namespace {

at::Tensor normal_tensor(upres::quality::Random& rng, std::vector<int64_t> shape, double stddev) {
    at::Tensor t = at::zeros(shape, at::kFloat);
    float* p = t.data_ptr<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = float(rng.normal() * stddev);
    return t;
}

// The tensor (N, C, H, W) without b pixels on each side of H and W.
at::Tensor crop(const at::Tensor& a, int64_t b) {
    return a.slice(2, b, a.size(2) - b).slice(3, b, a.size(3) - b);
}

}  // namespace

SrcnnTrainer::SrcnnTrainer(const TrainOptions& o, const at::Device& device) : o_(o), device_(device) {
    upres::quality::Random rng(o.seed * 0x2545F4914F6CDD1Dull + 7);
    const int64_t C = o.channels, f1 = o.features[0], f2 = o.features[1];
    const int64_t k1 = o.kernels[0], k2 = o.kernels[1], k3 = o.kernels[2];
    std::map<std::string, at::Tensor> init;
    init["conv1.weight"] = normal_tensor(rng, {f1, C, k1, k1}, std::sqrt(2.0 / double(C * k1 * k1)));
    init["conv1.bias"] = at::zeros({f1}, at::kFloat);
    init["conv2.weight"] = normal_tensor(rng, {f2, f1, k2, k2}, std::sqrt(2.0 / double(f1 * k2 * k2)));
    init["conv2.bias"] = at::zeros({f2}, at::kFloat);
    init["conv3.weight"] = normal_tensor(rng, {C, f2, k3, k3}, 0.001);
    init["conv3.bias"] = at::zeros({C}, at::kFloat);
    for (auto& [name, t] : init) {
        params_[name] = t.to(device_).requires_grad_(true);
        m_[name] = at::zeros_like(params_[name]).detach();
        v_[name] = at::zeros_like(params_[name]).detach();
    }
}

int64_t SrcnnTrainer::receptive_radius() const {
    int64_t r = 0;
    for (int k : o_.kernels) r += k / 2;
    return r;
}

at::Tensor SrcnnTrainer::forward(const at::Tensor& x, bool padded) const {
    at::Tensor y = x;
    for (int layer = 1; layer <= 3; ++layer) {
        const std::string n = "conv" + std::to_string(layer);
        const at::Tensor& w = params_.at(n + ".weight");
        const int64_t p = padded ? w.size(2) / 2 : 0;
        const std::vector<int64_t> stride{1, 1}, zero{0, 0}, same{p, p};
        if (padded && o_.padding == "replicate")
            y = at::conv2d(upres::nn::replicate_pad(y, p), w, params_.at(n + ".bias"), stride, zero);
        else
            y = at::conv2d(y, w, params_.at(n + ".bias"), stride, same);
        if (layer < 3) y = at::relu(y);
    }
    return y;
}

double SrcnnTrainer::step(const at::Tensor& input, const at::Tensor& target) {
    for (auto& [name, p] : params_) p.mutable_grad() = at::Tensor();
    const at::Tensor x = input.to(device_), t = target.to(device_);
    // When the loss leaves out every pixel that padding reaches (the paper's setup), unpadded
    // convolutions give the same loss on a smaller output: about 2.5x less work at 9-5-5, patch 33.
    const int64_t r = receptive_radius(), b = o_.loss_border;
    const bool padded = b < r;
    const at::Tensor out = forward(x, padded);
    // The unpadded output already lacks r pixels per side.
    at::Tensor loss = (crop(out, padded ? b : b - r) - crop(t, b)).pow(2).mean();
    loss.backward();
    const double loss_value = loss.item<double>();

    c10::AutoGradMode no_grad(false);  // at::NoGradGuard is gone from libtorch 2.x
    ++steps_;
    constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1.0 - std::pow(b1, double(steps_)), c2 = 1.0 - std::pow(b2, double(steps_));
    for (auto& [name, p] : params_) {
        const at::Tensor g = p.grad();
        const double lr = name.rfind("conv3.", 0) == 0 ? o_.lr * o_.last_layer_lr_scale : o_.lr;
        at::Tensor& m = m_[name];
        at::Tensor& v = v_[name];
        m.mul_(b1).add_(g, 1.0 - b1);
        v.mul_(b2).addcmul_(g, g, 1.0 - b2);
        const at::Tensor denom = (v.sqrt() / std::sqrt(c2)).add_(eps);
        p.addcdiv_(m, denom, -lr / c1);
    }
    return loss_value;
}

std::map<std::string, at::Tensor> SrcnnTrainer::weights() const {
    std::map<std::string, at::Tensor> w;
    for (const auto& [name, p] : params_) w[name] = p.detach().to(at::kCPU).contiguous();
    return w;
}

std::map<std::string, at::Tensor> SrcnnTrainer::state() const {
    std::map<std::string, at::Tensor> s = weights();
    for (const auto& [name, m] : m_) s["adam.m." + name] = m.to(at::kCPU).contiguous();
    for (const auto& [name, v] : v_) s["adam.v." + name] = v.to(at::kCPU).contiguous();
    return s;
}

void SrcnnTrainer::restore(const std::map<std::string, at::Tensor>& state, int64_t steps) {
    c10::AutoGradMode no_grad(false);  // at::NoGradGuard is gone from libtorch 2.x
    for (auto& [name, p] : params_) {
        p.copy_(state.at(name));
        m_[name].copy_(state.at("adam.m." + name));
        v_[name].copy_(state.at("adam.v." + name));
    }
    steps_ = steps;
}

}  // namespace upres_train
