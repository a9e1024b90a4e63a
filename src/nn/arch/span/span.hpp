// SPAN (Swift Parameter-free Attention Network, Wan et al. 2024; NTIRE 2024 efficient SR): conv_1,
// six SPAB blocks (three re-parameterisable Conv3XC convolutions with SiLU between them and the
// parameter-free attention (out3 + x) * (sigmoid(out3) - 0.5)), conv_2, a 1x1 conv_cat over four
// feature maps, a 3x3 convolution to out_channels x scale^2 and pixel shuffle. Keys as in the
// official code (and spandrel): conv_1.sk / conv_1.conv.{0,1,2} / conv_1.eval_conv, block_N.cK_r.*,
// conv_cat, conv_2.*, upsampler.0; a `no_norm` buffer marks models without the input mean shift.
#pragma once
#include <string>
#include <vector>

#include "nn/arch/family.hpp"

namespace upres::nn::arch {
struct Keys;
}

namespace upres::nn::arch::span {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

constexpr int kBlocks = 6;
// The input mean shift of models with normalisation: (x - mean) * img_range (the output is not mapped back).
constexpr float kMean[3] = {0.4488f, 0.4371f, 0.4040f};
constexpr float kImgRange = 255.0f;

// One Conv3XC: a 3x3 convolution `name` from c_in to c_out channels, either rebuilt from its
// training-form parts (sk, conv.0, conv.1, conv.2; the stored eval_conv may be stale) or, in files
// that carry no parts at all, the stored eval_conv itself.
struct Conv3xc {
    std::string name;
    int in = 0, out = 0;
    bool from_parts = true;
};
// Checks one Conv3XC's tensors (the form the file has) and says how to read it (detect.cpp;
// SPANPlus reads its convolutions the same way). conv3xc.hpp rebuilds the kernel from the parts.
Conv3xc conv3xc(const Keys& keys, const std::string& name, int in, int out);
// The first Conv3XC's input channels (1..4) and feature width, from whichever form the file has.
struct Widths {
    int in = 0, feat = 0;
    std::string key;  // the tensor they were read from, for messages
};
Widths first_conv3xc_widths(const Keys& keys, const std::string& name);

// Hyperparameters, read from the keys and shapes (detect.cpp; the network reads them again).
struct Params {
    int in = 3, out = 3, feat = 48, scale = 4;
    bool norm = true;
    std::vector<Conv3xc> convs;  // conv_1, block_1.c1_r .. block_6.c3_r, conv_2
};
Params params(const formats::TensorMap& tensors, const std::string& where);

}  // namespace upres::nn::arch::span
