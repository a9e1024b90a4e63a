// ncnn models: a text .param (the layer graph) and a binary .bin (the weights, in layer order).
// The graph is only accepted when it is one of the architectures upres runs (Real-ESRGAN's
// RRDBNet or SRVGGNetCompact); its weights are then named as the PyTorch originals name them, so
// the rest of upres sees the same TensorMap as from a .pth or .safetensors file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/tensor_map.hpp"

namespace upres::formats {

// True when the bytes start with the .param magic number "7767517" on its own line.
bool is_ncnn_param(const uint8_t* data, size_t size);

// The weights file that belongs to a .param: the same stem with ".bin".
std::string ncnn_bin_path(const std::string& param_path);

// Parses both files and maps the graph's weights to canonical names (RRDBNet: conv_first,
// body.N.rdbK.convJ, conv_body, conv_upN, conv_hr, conv_last; compact: body.N). Throws
// Error(model) naming `name`, the layer and the problem for anything it cannot place.
ModelFile read_ncnn(const uint8_t* param, size_t param_size, const uint8_t* bin, size_t bin_size,
                    const std::string& name);

}  // namespace upres::formats
