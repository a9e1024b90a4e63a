// The option "device" as libtorch's Device, for the code that includes libtorch (src/nn/ and the
// trainer); nn::cuda_index does the reading and the checks.
#pragma once
#include <c10/core/Device.h>

#include <string>

#include "nn/nn.hpp"

namespace upres::nn {

inline c10::Device torch_device(const std::string& device) {
    const int index = cuda_index(device);
    return index < 0 ? c10::Device(c10::kCPU) : c10::Device(c10::kCUDA, c10::DeviceIndex(index));
}

}  // namespace upres::nn
