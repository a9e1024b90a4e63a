// A network as the runner drives it: a pure function of its weights (libtorch tensors), const and
// thread-safe. Each family's folder (src/nn/arch/<name>/network.cpp) implements one; the runner
// (model_resampler.cpp) reads the model's Descriptor for everything else.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>

#include "nn/arch/family.hpp"
#include "nn/image_statistics.hpp"

namespace upres::nn {

class Network {
public:
    virtual ~Network() = default;
    // x: [1, C, H, W] on the network's device and dtype, already mapped by the descriptor's gain and
    // offset and padded to its size multiple. Returns [1, C', H * scale, W * scale].
    virtual at::Tensor forward(const at::Tensor& x) const = 0;
    // Networks with layers that average over their whole input (squeeze-and-excitation, channel
    // attention, GroupNorm) say so, and in a tiled run take those means from `stats`.
    virtual bool averages_whole_input() const { return false; }
    virtual at::Tensor forward_tiled(const at::Tensor& x, ImageStatistics* stats) const {
        (void)stats;
        return forward(x);
    }
    // Output / input size when the weights alone do not say (TorchScript); 0 otherwise.
    virtual int measured_scale() const { return 0; }
};

at::Device device_of(const BuildSettings& s);
at::ScalarType dtype_of(const BuildSettings& s);

}  // namespace upres::nn
