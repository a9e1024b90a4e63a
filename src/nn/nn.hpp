// Entry points of the neural family. This header has no libtorch type in it, so the registry and
// the C ABI compile without libtorch; the implementation behind it lives in src/nn/.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/resampler.hpp"

namespace upres::nn {

// True when this build runs models (UPRES_WITH_TORCH=ON).
bool available();

// CUDA devices libtorch can use ("cuda:0" .. "cuda:N-1"); 0 without libtorch, without CUDA in
// libtorch, or without a visible device.
int cuda_device_count();

// The value of the option "device": -1 for "cpu", the index for "cuda" (0) or "cuda:N" naming a
// device that exists. Throws Error naming the device otherwise, before anything is allocated.
int cuda_index(const std::string& device);

// Named models ("srcnn", "esrgan", ...) and "model" (a file given by the option "model").
const std::vector<MethodInfo>& methods();

// nullptr when `name` is not a model method. Throws Error(unsupported) without libtorch.
std::unique_ptr<Resampler> create(const std::string& name, const Options& options);

}  // namespace upres::nn
