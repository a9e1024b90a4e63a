// RCAN (Zhang et al. 2018), the authors' key scheme (EDSR-PyTorch's model/rcan.py): sub_mean
// (a 1x1 MeanShift on 0..rgb_range, expressed as the descriptor's gain/offset), head conv,
// residual groups of residual channel-attention blocks (conv, ReLU, conv, channel attention:
// average pool, 1x1 down, ReLU, 1x1 up, sigmoid; plus the block's input) each closed by a conv and
// its own skip, the body's last conv plus the long skip, the tail's pixel-shuffle upsampler and
// last conv, add_mean (the inverse map).
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::rcan {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

// Hyperparameters, read from the keys (detect.cpp; the network reads them again).
struct Params {
    int feat = 0, groups = 0, blocks = 0, squeeze = 0, colors = 3, scale = 2, steps = 1, kernel = 3;
};
Params params(const formats::TensorMap& tensors, const std::string& where);

}  // namespace upres::nn::arch::rcan
