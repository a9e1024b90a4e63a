// waifu2x (nagadomi's anime-style upscaler) in the two architectures its ncnn and PyTorch ports
// ship. upconv_7: six unpadded 3x3 convolutions (16, 32, 64, 128, 128, 256 features, leaky ReLU
// 0.1) and a 4x4 stride-2 transposed convolution cropping 3 pixels (2x); the upstream programs
// pad the input by 7 pixels, edge-replicated, and the output is exactly 2x. Canonical names are
// nunif's UpConv7 (an nn.Sequential "net": convolutions net.0 ... net.10, the transposed one
// net.12). cunet (UpCUNet 2x, scale2.0x / noiseN_scale2.0x): the same network as Real-CUGAN x2,
// read from waifu2x-ncnn-vulkan's models-cunet graphs (older ncnn layers: two-input Scale, Crop
// and Eltwise) to Real-CUGAN's canonical names, and run by the realcugan family's network.
// cunet 1x (the denoisers noiseN_model, nunif's CUNet): UNet1 without upsampling (its
// conv_bottom an unpadded 3x3 convolution to the image's channels) and the same UNet2, the sum of
// UNet2's output and UNet1's cropped by 20; the input edge-replicated by 28 pixels, plus up to a
// multiple of 4 at the bottom and right (waifu2x-ncnn-vulkan's prepadding for it), so the output
// has the input's size. Same names as the 2x; run by this family's network (network.cpp).
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::waifu2x {

const Family& family();
formats::TensorMap from_ncnn(const formats::ncnn::Graph& graph, std::map<std::string, std::string>& metadata);
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

// upconv_7's layers: convolution i (0..5) is "net.<2 i>", the transposed convolution "net.12".
constexpr int kConvs = 6;
constexpr int kFeatures[kConvs] = {16, 32, 64, 128, 128, 256};
constexpr int kInputPad = 7;  // the upstream programs' edge-replicated input padding
inline std::string layer_key(int i) { return "net." + std::to_string(2 * i); }

// True for upconv_7's keys (else the model is a cunet under Real-CUGAN's names).
bool is_upconv7(const formats::TensorMap& tensors);

// upconv_7's image channels in and out, every tensor checked (detect.cpp).
int upconv7_channels(const formats::TensorMap& tensors, const std::string& where);

// True for the 1x cunet's keys and UNet1's 3x3 conv_bottom (a shape: the names are the 2x's).
bool is_cunet1x(const formats::TensorMap& tensors);
// Its image channels, every tensor checked (detect.cpp); `macs`: multiply-adds per pixel.
int cunet1x_channels(const formats::TensorMap& tensors, const std::string& where, int64_t* macs = nullptr);
constexpr int kCunet1xPad = 28;       // the upstream programs' edge-replicated input padding
constexpr int kCunet1xMultiple = 4;  // two stride-2 levels in UNet2

}  // namespace upres::nn::arch::waifu2x
