// Reads a model file of any supported format into a TensorMap, sniffing the format from the
// content, never from the name alone. A TorchScript archive comes back as the format
// "torchscript" with no tensors (it is a program, not weights; nn loads it only when allowed).
#pragma once
#include <string>

#include "formats/tensor_map.hpp"

namespace upres::formats {

ModelFile read_model_file(const std::string& path);
ModelFile read_model_memory(const uint8_t* data, size_t size, const std::string& name);

// Writes tensors and metadata as .safetensors through a temporary file renamed into place.
void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace upres::formats
