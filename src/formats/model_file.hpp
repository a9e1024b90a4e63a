// Reads a model file of any supported format into a TensorMap, sniffing the format from the
// content, never from the name alone.
#pragma once
#include <string>

#include "formats/tensor_map.hpp"

namespace upres::formats {

ModelFile read_model_file(const std::string& path);
ModelFile read_model_memory(const uint8_t* data, size_t size, const std::string& name);

// True when the file is a zip archive holding a TorchScript program (a `constants.pkl` and
// `code/` entries) rather than a zip-format state dict; only the archive's tail is read.
bool looks_like_torchscript(const std::string& path);

// Writes tensors and metadata as .safetensors through a temporary file renamed into place.
void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace upres::formats
