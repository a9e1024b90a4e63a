// SRResNet in two forms.
//
// BasicSR's MSRResNet (SRGAN's generator without batch norm): conv_first + LeakyReLU 0.1, residual
// blocks without BN (conv, ReLU, conv, residual scale 1), pixel-shuffle upsampling (x2/x3: upconv1
// to feat x scale^2; x4: upconv1 and upconv2, each to feat x 4), conv_hr, conv_last, plus the
// bilinearly upsampled input.
//
// SRGAN's original generator (Ledig et al. 2017), with batch norm, under the two key schemes most
// community .pth files carry (srgan_plan below): a k x k head conv + PReLU; residual blocks conv,
// BN, PReLU, conv, BN, identity; a conv + BN after the trunk, plus the head's output; per x2 (or x3)
// step a conv to feat x r^2, pixel shuffle, PReLU; a k x k tail conv. Each BN is folded into the
// convolution before it when the network is built, in eval mode: w * g / sqrt(var + eps),
// (b - mean) * g / sqrt(var + eps) + beta, with eps = 1e-5 (nn.BatchNorm2d's default, which both
// schemes' code uses; state dicts do not store eps).
//   "blocks" (leftthomas/SRGAN's Generator): block1.0 conv + block1.1 PReLU; block2 ... block{M-2}
//     residual blocks (conv1, bn1, prelu, conv2, bn2); block{M-1}.0 conv + .1 BN; block{M}.i.conv /
//     .prelu upsampling, block{M}.{U} the tail. Input 0..1; the network returns (tanh(y) + 1) / 2.
//   "tutorial" (sgrvinod's a-PyTorch-Tutorial-to-Super-Resolution SRResNet, and its SRGAN
//     Generator's net.* copy): conv_block1.conv_block.0/.1; residual_blocks.N.conv_block1.conv_block
//     .0/.1/.2 and .conv_block2.conv_block.0/.1; conv_block2.conv_block.0/.1;
//     subpixel_convolutional_blocks.N.conv / .prelu; conv_block3.conv_block.0 then tanh. Trained on
//     ImageNet-normalised input ((x - mean) / std, torchvision's mean and std) with output on -1..1:
//     the descriptor maps samples to -1..1 (gain 2, offset -1, undone on the output) and the
//     network turns its -1..1 input into the ImageNet normalisation.
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::srresnet {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

// MSRResNet's hyperparameters, read from the keys (detect.cpp; the network reads them again).
struct Params {
    int feat = 0, blocks = 0, in = 3, out = 3, scale = 4;
};
Params params(const formats::TensorMap& tensors, const std::string& where);
bool is_msrresnet(const formats::TensorMap& tensors);

// SRGAN with batch norm: every layer's key prefix, checked (detect.cpp).
enum class Scheme { blocks, tutorial };
struct SrganPlan {
    Scheme scheme = Scheme::blocks;
    int feat = 0, in = 3, out = 3, scale = 1;
    int head_kernel = 9, tail_kernel = 9, kernel = 3;
    std::string head, head_act;
    struct Block {
        std::string conv1, bn1, act, conv2, bn2;
    };
    std::vector<Block> body;
    std::string trunk, trunk_bn;
    struct Up {
        std::string conv, act;
        int r = 2;
    };
    std::vector<Up> ups;
    std::string tail;
};
SrganPlan srgan_plan(const formats::TensorMap& tensors, const std::string& where);
constexpr double kBatchNormEps = 1e-5;
// torchvision's ImageNet mean and standard deviation (the tutorial scheme's input normalisation).
constexpr float kImagenetMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kImagenetStd[3] = {0.229f, 0.224f, 0.225f};

}  // namespace upres::nn::arch::srresnet
