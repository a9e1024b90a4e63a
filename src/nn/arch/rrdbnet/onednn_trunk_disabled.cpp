// Builds without oneDNN's headers run the trunk through ATen (networks.cpp).
#include "nn/arch/rrdbnet/onednn_trunk.hpp"

namespace upres::nn {

std::unique_ptr<OnednnTrunk> OnednnTrunk::create(const std::map<std::string, at::Tensor>&, int, bool) { return nullptr; }

}  // namespace upres::nn
