// ncnn models: a text .param (the layer graph) and a binary .bin (the weights, in layer order).
// The reader checks the text, the layer graph and that every weight is in the .bin; which
// architecture the graph is (and so what its weights are called) is for the architecture families
// to say (nn::detect runs their matchers over the graph, ncnn_graph.hpp).
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

// Parses both files into a ModelFile whose `graph` holds the layers and their weights. Throws
// Error(model) naming `name`, the layer and the problem for anything malformed.
ModelFile read_ncnn(const uint8_t* param, size_t param_size, const uint8_t* bin, size_t bin_size,
                    const std::string& name);

}  // namespace upres::formats
