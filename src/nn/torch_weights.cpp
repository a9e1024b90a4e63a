#include "nn/torch_weights.hpp"

#include <cstring>

#include "core/error.hpp"
#include "nn/network.hpp"

namespace upres::nn {

Weights load_weights(const formats::TensorMap& tensors) {
    Weights w;
    for (const auto& [name, t] : tensors) {
        std::vector<float> values = t.to_float();
        at::Tensor x = at::empty(t.shape, at::TensorOptions().dtype(at::kFloat));
        if (!values.empty()) std::memcpy(x.data_ptr<float>(), values.data(), values.size() * sizeof(float));
        w.emplace(name, x);
    }
    return w;
}

Weights place(Weights w, const at::Device& device, at::ScalarType dtype) {
    for (auto& [name, x] : w) {
        x = x.to(device, dtype);
        x = x.dim() == 4 ? x.contiguous(at::MemoryFormat::ChannelsLast) : x.contiguous();
    }
    return w;
}

const at::Tensor& get(const Weights& w, const std::string& key) {
    auto it = w.find(key);
    if (it == w.end()) fail(Status::model, "missing tensor '" + key + "'");
    return it->second;
}

at::Tensor maybe(const Weights& w, const std::string& key) {
    auto it = w.find(key);
    return it == w.end() ? at::Tensor() : it->second;
}

at::Tensor conv2d_same(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t pad) {
    const std::vector<int64_t> stride{1, 1}, padding{pad, pad};
    return at::conv2d(x, weight, bias, at::IntArrayRef(stride), at::IntArrayRef(padding));
}

at::Tensor conv(const Weights& w, const std::string& name, const at::Tensor& x) {
    const at::Tensor& weight = get(w, name + ".weight");
    return conv2d_same(x, weight, maybe(w, name + ".bias"), weight.size(2) / 2);
}

at::Device device_of(const BuildSettings& s) {
    return s.device_index < 0 ? at::Device(at::kCPU) : at::Device(at::kCUDA, c10::DeviceIndex(s.device_index));
}

at::ScalarType dtype_of(const BuildSettings& s) {
    switch (s.precision) {
        case BuildSettings::Precision::bf16: return at::kBFloat16;
        case BuildSettings::Precision::fp16: return at::kHalf;
        case BuildSettings::Precision::fp32: break;
    }
    return at::kFloat;
}

}  // namespace upres::nn
