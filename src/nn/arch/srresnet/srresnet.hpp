// SRResNet as BasicSR's MSRResNet (SRGAN's generator without batch norm): conv_first + LeakyReLU
// 0.1, residual blocks without BN (conv, ReLU, conv, residual scale 1), pixel-shuffle upsampling
// (x2/x3: upconv1 to feat x scale^2; x4: upconv1 and upconv2, each to feat x 4), conv_hr,
// conv_last, plus the bilinearly upsampled input.
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::srresnet {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

// Hyperparameters, read from the keys (detect.cpp; the network reads them again).
struct Params {
    int feat = 0, blocks = 0, in = 3, out = 3, scale = 4;
};
Params params(const formats::TensorMap& tensors, const std::string& where);

}  // namespace upres::nn::arch::srresnet
