// The three architectures as plain functions of their weights (libtorch tensors). Weights are
// converted once to f32 tensors on the target device; forward() is const and thread-safe.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <string>

#include "nn/detect.hpp"

namespace upres::nn {

class Network {
public:
    virtual ~Network() = default;
    // x: [1, C, H, W] float in [0, 1] on the network's device and dtype.
    virtual at::Tensor forward(const at::Tensor& x) const = 0;
    // Input sizes must be multiples of this (pixel-unshuffle models).
    virtual int size_multiple() const { return 1; }
    // Context a tile needs on each side for its centre to match the whole image.
    virtual int receptive_radius() const = 0;
    // Output / input size when the weights alone do not say (TorchScript); 0 otherwise.
    virtual int measured_scale() const { return 0; }
};

// A TorchScript archive as a Network (torchscript_network.cpp). `scale` 0: found by running the
// program once on a small input.
std::unique_ptr<Network> load_torchscript(const std::string& path, int scale, const at::Device& device,
                                          at::ScalarType dtype);

// `padding` ("zero" / "replicate") applies to SRCNN; `onednn` to RRDBNet on the CPU, whose trunk
// then runs through oneDNN where the build has it (onednn_trunk.hpp).
std::unique_ptr<Network> build_network(const Architecture& a, const std::string& padding, const at::Device& device,
                                       at::ScalarType dtype, bool onednn);

}  // namespace upres::nn
