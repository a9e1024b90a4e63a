#include "nn/networks.hpp"

#include <cstring>

#include "core/error.hpp"

namespace upres::nn {

namespace {

using Weights = std::map<std::string, at::Tensor>;

// Stride 1, symmetric padding (explicit IntArrayRefs: a braced list is ambiguous with the
// string-padding overload of conv2d).
at::Tensor conv2d_same(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t pad) {
    const std::vector<int64_t> stride{1, 1}, padding{pad, pad};
    return at::conv2d(x, weight, bias, at::IntArrayRef(stride), at::IntArrayRef(padding));
}

Weights load(const formats::TensorMap& tensors, const at::Device& device, at::ScalarType dtype) {
    Weights w;
    for (const auto& [name, t] : tensors) {
        std::vector<float> values = t.to_float();
        at::Tensor x = at::empty(t.shape, at::TensorOptions().dtype(at::kFloat));
        if (!values.empty()) std::memcpy(x.data_ptr<float>(), values.data(), values.size() * sizeof(float));
        // 4-D conv weights in channels-last, like the activations, so no convolution call has to
        // reorder them again.
        x = x.to(device, dtype);
        w.emplace(name, x.dim() == 4 ? x.contiguous(at::MemoryFormat::ChannelsLast) : x.contiguous());
    }
    return w;
}

const at::Tensor& get(const Weights& w, const std::string& key) {
    auto it = w.find(key);
    if (it == w.end()) fail(Status::model, "missing tensor '" + key + "'");
    return it->second;
}

at::Tensor conv(const Weights& w, const std::string& name, const at::Tensor& x) {
    const at::Tensor& weight = get(w, name + ".weight");
    auto b = w.find(name + ".bias");
    const int64_t pad = weight.size(2) / 2;
    return conv2d_same(x, weight, b == w.end() ? at::Tensor() : b->second, pad);
}

// LeakyReLU(0.2) in place: the conv output is a fresh temporary, so no extra buffer is needed.
at::Tensor lrelu(at::Tensor t) {
    at::leaky_relu_(t, 0.2);
    return t;
}

class Srcnn : public Network {
public:
    Srcnn(const Architecture& a, Weights w, bool replicate) : a_(a), w_(std::move(w)), replicate_(replicate) {}
    at::Tensor forward(const at::Tensor& x) const override {
        at::Tensor y = layer(x, "conv1", a_.kernels[0]).relu();
        y = layer(y, "conv2", a_.kernels[1]).relu();
        return layer(y, "conv3", a_.kernels[2]);
    }
    int receptive_radius() const override { return (a_.kernels[0] + a_.kernels[1] + a_.kernels[2] - 3) / 2; }

private:
    at::Tensor layer(const at::Tensor& x, const char* name, int k) const {
        const int64_t p = k / 2;
        const at::Tensor& weight = get(w_, std::string(name) + ".weight");
        auto b = w_.find(std::string(name) + ".bias");
        const at::Tensor bias = b == w_.end() ? at::Tensor() : b->second;
        if (!replicate_) return conv2d_same(x, weight, bias, p);
        return conv2d_same(at::replication_pad2d(x, {p, p, p, p}), weight, bias, 0);
    }
    Architecture a_;
    Weights w_;
    bool replicate_;
};

class Compact : public Network {
public:
    Compact(const Architecture& a, Weights w) : a_(a), w_(std::move(w)) {}
    at::Tensor forward(const at::Tensor& x) const override {
        at::Tensor y = x;
        const int last = 2 * (a_.num_conv + 1);
        for (int i = 0; i < last; i += 2) {
            y = conv(w_, "body." + std::to_string(i), y);
            y = at::prelu(y, get(w_, "body." + std::to_string(i + 1) + ".weight"));
        }
        y = at::pixel_shuffle(conv(w_, "body." + std::to_string(last), y), a_.scale);
        // The network predicts a residual over the nearest-upsampled input.
        const at::Tensor base = at::upsample_nearest2d(x, {x.size(2) * a_.scale, x.size(3) * a_.scale});
        return y + base;
    }
    int receptive_radius() const override { return a_.num_conv + 2; }

private:
    Architecture a_;
    Weights w_;
};

// RRDBNet. With reduced-precision weights (bf16, fp16) the convolutions of the 23 blocks run in
// that precision while the residual trunk stays fp32 and the upsampling tail (about 7 % of the
// work) runs in fp32: with Real-ESRGAN x4plus that lifts bf16 from 48.2 to 51.0 dB against fp32.
class Rrdb : public Network {
public:
    Rrdb(const Architecture& a, Weights w, Weights tail) : a_(a), w_(std::move(w)), tail_(std::move(tail)) {
        compute_ = get(w_, "conv_first.weight").scalar_type();
    }
    at::Tensor forward(const at::Tensor& x) const override {
        at::Tensor in = a_.unshuffle > 1 ? at::pixel_unshuffle(x, a_.unshuffle) : x;
        const at::Tensor feat = conv(w_, "conv_first", in.to(compute_)).to(at::kFloat);
        at::Tensor body = feat;
        for (int b = 0; b < a_.num_block; ++b) body = rrdb(body, "body." + std::to_string(b));
        const Weights& t = tail_.empty() ? w_ : tail_;
        at::Tensor y = conv(w_, "conv_body", body.to(compute_)).to(t.begin()->second.scalar_type()).add_(feat);
        const int ups = a_.scale * a_.unshuffle == 8 ? 3 : 2;
        for (int u = 1; u <= ups; ++u) {
            y = at::upsample_nearest2d(y, {y.size(2) * 2, y.size(3) * 2});
            y = lrelu(conv(t, "conv_up" + std::to_string(u), y));
        }
        return conv(t, "conv_last", lrelu(conv(t, "conv_hr", y)));
    }
    int size_multiple() const override { return a_.unshuffle; }
    int receptive_radius() const override { return 64; }  // effectively bounded; tiles overlap this much at most

private:
    // x: the fp32 trunk. In-place activations and fused scaled adds: fewer temporaries per block.
    at::Tensor rdb(const at::Tensor& x, const std::string& p) const {
        const at::Tensor xc = x.to(compute_);
        at::Tensor x1 = lrelu(conv(w_, p + ".conv1", xc));
        at::Tensor x2 = lrelu(conv(w_, p + ".conv2", at::cat({xc, x1}, 1)));
        at::Tensor x3 = lrelu(conv(w_, p + ".conv3", at::cat({xc, x1, x2}, 1)));
        at::Tensor x4 = lrelu(conv(w_, p + ".conv4", at::cat({xc, x1, x2, x3}, 1)));
        at::Tensor x5 = conv(w_, p + ".conv5", at::cat({xc, x1, x2, x3, x4}, 1)).to(at::kFloat);
        return x5.mul_(0.2).add_(x);
    }
    at::Tensor rrdb(const at::Tensor& x, const std::string& p) const {
        at::Tensor y = rdb(x, p + ".rdb1");
        y = rdb(y, p + ".rdb2");
        y = rdb(y, p + ".rdb3");
        return y.mul_(0.2).add_(x);
    }
    Architecture a_;
    Weights w_;
    Weights tail_;  // fp32 copies of the upsampling tail when w_ is reduced precision; else empty
    at::ScalarType compute_ = at::kFloat;
};

}  // namespace

std::unique_ptr<Network> build_network(const Architecture& a, const std::string& padding, const at::Device& device,
                                       at::ScalarType dtype) {
    if (a.arch == Arch::torchscript) return load_torchscript(a.script_path, a.scale, device, dtype);
    Weights w = load(a.tensors, device, dtype);
    switch (a.arch) {
        case Arch::srcnn: return std::make_unique<Srcnn>(a, std::move(w), padding == "replicate");
        case Arch::compact: return std::make_unique<Compact>(a, std::move(w));
        case Arch::rrdbnet: {
            formats::TensorMap tail;
            if (dtype != at::kFloat)
                for (const auto& [name, t] : a.tensors)
                    if (name.rfind("conv_up", 0) == 0 || name.rfind("conv_hr", 0) == 0 || name.rfind("conv_last", 0) == 0)
                        tail.emplace(name, t);
            return std::make_unique<Rrdb>(a, std::move(w), load(tail, device, at::kFloat));
        }
        case Arch::torchscript: break;
    }
    return nullptr;
}

}  // namespace upres::nn
