// Real-CUGAN (bilibili's UpCunet2x / UpCunet3x / UpCunet4x): two U-Nets of unpadded convolutions
// with squeeze-and-excitation blocks. UNet1 upsamples (ConvTranspose x2, or x3 for the 3x model)
// and UNet2 refines; their sum is the output (4x: UNet1 and UNet2 at 64 channels, then a 3x3
// convolution to 12 channels, pixel shuffle x2 and the nearest-upsampled input added on). The
// input is reflect-padded (18 / 14 / 19 pixels, plus up to the size multiple) inside forward();
// the "pro" models see 0.7 x + 0.15 (a `pro` tensor in the state dict).
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::realcugan {

const Family& family();
formats::TensorMap from_ncnn(const formats::ncnn::Graph& graph, std::map<std::string, std::string>& metadata);
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

// Hyperparameters, read from the keys and shapes (detect.cpp; the network reads them again).
struct Params {
    int scale = 2;     // 2, 3 or 4
    int channels = 3;  // image channels in and out
    bool pro = false;
};
Params params(const formats::TensorMap& tensors, const std::string& where);

// The upstream forward's input padding: `pad` on every side plus up to a multiple of `multiple`
// at the bottom and right.
inline int input_pad(int scale) { return scale == 2 ? 18 : scale == 3 ? 14 : 19; }
inline int input_multiple(int scale) { return scale == 3 ? 4 : 2; }

}  // namespace upres::nn::arch::realcugan
