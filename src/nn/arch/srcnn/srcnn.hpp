// SRCNN (Dong et al. 2014): conv1 -> ReLU -> conv2 -> ReLU -> conv3 on an image already enlarged
// to the output size (MATLAB's bicubic, as in the paper), usually on Y.
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::srcnn {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

}  // namespace upres::nn::arch::srcnn
