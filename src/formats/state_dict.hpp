// Conventions of PyTorch checkpoints that every reader shares: which top-level entry holds the
// weights when a checkpoint wraps them (BasicSR's params_ema / params, "state_dict", ...), and
// which key prefixes are training artefacts (DataParallel's "module.", a GAN's "netG.").
#pragma once
#include <cstddef>
#include <string>

#include "formats/tensor_map.hpp"

namespace upres::formats {

// Rank of a wrapper key, lower is preferred (params_ema beats params: the EMA weights are the
// ones a trainer publishes); -1 when `key` is not a wrapper.
int state_dict_wrapper_rank(const std::string& key);

// Removes "module." and "netG." from the front of every key, repeatedly. Throws
// Error(model, "<name>: ...") when two keys become one.
TensorMap strip_key_prefixes(TensorMap tensors, const std::string& name);

}  // namespace upres::formats
