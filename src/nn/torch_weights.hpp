// A model's tensors as libtorch tensors, and the few operations every family's network uses.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <string>

#include "formats/tensor_map.hpp"

namespace upres::nn {

using Weights = std::map<std::string, at::Tensor>;

// The file's tensors as f32 CPU tensors, as stored.
Weights load_weights(const formats::TensorMap& tensors);

// On the target device and dtype; 4-D conv weights in channels-last, like the activations, so no
// convolution call has to reorder them again.
Weights place(Weights w, const at::Device& device, at::ScalarType dtype);

// Throws Error(model) for a missing tensor (detection checked them all; this is a second guard).
const at::Tensor& get(const Weights& w, const std::string& key);
// The tensor or an undefined one (an optional bias).
at::Tensor maybe(const Weights& w, const std::string& key);

// Stride 1, symmetric zero padding (explicit IntArrayRefs: a braced list is ambiguous with the
// string-padding overload of conv2d).
at::Tensor conv2d_same(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t pad);

// `name`.weight / `name`.bias as a "same" convolution (padding kernel / 2).
at::Tensor conv(const Weights& w, const std::string& name, const at::Tensor& x);

// LeakyReLU in place: the conv output is a fresh temporary, so no extra buffer is needed.
inline at::Tensor lrelu(at::Tensor t, double slope = 0.2) {
    at::leaky_relu_(t, slope);
    return t;
}

}  // namespace upres::nn
