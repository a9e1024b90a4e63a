// PyTorch checkpoints written by torch.save, read without libtorch and without running any of
// the pickle: the zip format (torch >= 1.6: <dir>/data.pkl plus one <dir>/data/<key> entry per
// storage) and the legacy format (a magic-number pickle, protocol version, sys_info, the object
// pickle, the storage-key list, then each storage's element count and raw bytes).
// The state dict is unwrapped (params_ema, params, state_dict, ... see state_dict.hpp) and each
// tensor made contiguous; entries that are not tensors are ignored.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/tensor_map.hpp"

namespace upres::formats {

// format = "pth-zip". A TorchScript archive is refused with Status::unsupported.
ModelFile read_pth_zip(const uint8_t* data, size_t size, const std::string& name);
// format = "pth-legacy".
ModelFile read_pth_legacy(const uint8_t* data, size_t size, const std::string& name);

}  // namespace upres::formats
