// Conv3XC's re-parameterisation for the networks (libtorch): SPAN and SPANPlus store each 3x3
// convolution in its training form (1x1 -> 3x3 -> 1x1 plus a 1x1 skip) and run the one 3x3 kernel
// those compose to.
#pragma once
#include "nn/arch/span/span.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::span {

// Replaces the parts of `c` in `w` (c.name + ".sk" / ".conv.0..2") by the composed kernel, stored
// as c.name + ".eval_conv" (any stale eval_conv of the file is overwritten). network.cpp.
void merge(Weights& w, const Conv3xc& c);

}  // namespace upres::nn::arch::span
