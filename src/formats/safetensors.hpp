// .safetensors: an 8-byte little-endian header length, a JSON header mapping names to
// {dtype, shape, data_offsets}, then the raw data. Every offset, shape and size is validated
// against the file before anything is copied.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "formats/tensor_map.hpp"

namespace upres::formats {

// `name` labels errors ("model.safetensors: tensor 'conv1.weight': ...").
ModelFile read_safetensors(const uint8_t* data, size_t size, const std::string& name);

// Serialises tensors (and string metadata) to safetensors bytes, tensors in name order.
std::string encode_safetensors(const TensorMap& tensors, const std::map<std::string, std::string>& metadata);

}  // namespace upres::formats
