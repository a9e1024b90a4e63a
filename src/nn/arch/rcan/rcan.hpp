// RCAN (Zhang et al. 2018): head conv, residual groups of residual channel-attention blocks (conv,
// ReLU, conv, channel attention: average pool, 1x1 down, ReLU, 1x1 up, sigmoid; plus the block's
// input) each closed by a conv and its own skip, the body's last conv plus the long skip, the
// tail's pixel-shuffle upsampler (none at x1) and last conv.
//
// Canonical keys are the authors' (EDSR-PyTorch's model/rcan.py, also traiNNer-redux's, neosr's
// and spandrel's): head.0, body.G.body.B.body.{0,2,3.conv_du.{0,2}}, body.G.body.<blocks>,
// body.<groups>, tail.0.<2i>, tail.1, and the 1x1 MeanShift convs sub_mean / add_mean when the
// network has them. traiNNer-redux's / spandrel's pixel-unshuffle input (x1 and x2 models built
// on a x4 tail) keeps its head conv at head.1 (head.0 is the parameterless PixelUnshuffle).
// BasicSR's scheme (conv_first, body.G.residual_group.B.rcab.{0,2,3.attention.{1,3}},
// body.G.conv, conv_after_body, upsample.N, conv_last) is renamed to these, and its mean (a
// buffer when the file has one, else BasicSR's default DIV2K rgb_mean) becomes the tensor `mean`,
// which marks the scheme: (x - mean) * 255 in, y / 255 + mean out.
//
// The input map (the descriptor's gain / offset): sub_mean's x * w + b on rgb_range * x, rgb_range
// 255 (the authors') or 1 (neosr's mean shift on 0..1, told apart by the bias: -1 <= b / w <= 1);
// BasicSR's (x - mean) * 255; no mean shift at all (neosr, spandrel without norm): 0..1, identity.
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::rcan {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

// The other key schemes renamed to the canonical one (BasicSR's; the rest are canonical).
formats::TensorMap canonical(formats::TensorMap tensors);

// Hyperparameters, read from the canonical keys (detect.cpp; the network reads them again).
struct Params {
    int feat = 0, groups = 0, blocks = 0, squeeze = 0, colors = 3, kernel = 3;
    int scale = 2;      // output / input
    int steps = 1;      // pixel-shuffle convs in the tail (tail.0.0, tail.0.2, ...); 0 at x1
    int shuffle = 2;    // each one's factor (2, or 3 for x3)
    int up_kernel = 3;  // their kernel size
    int unshuffle = 1;  // pixel-unshuffle factor of the input (head.1), 1 = none (head.0)
    std::string head() const { return unshuffle > 1 ? "head.1" : "head.0"; }
};
Params params(const formats::TensorMap& tensors, const std::string& where);

}  // namespace upres::nn::arch::rcan
