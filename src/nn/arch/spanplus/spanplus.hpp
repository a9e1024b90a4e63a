// SPANPlus (umzi2's rework of SPAN, trained with neosr / traiNNer-redux, on OpenModelDB): SPAN's
// blocks without the input mean shift, in stacks of any depth, and a choice of upsampler.
//   feats.0                a Conv3XC from the image to `feat` channels;
//   feats.1 .. feats.K     stages, each: block_1, block_n.0 .. block_n.{m-1} (m >= 0, per stage),
//                          block_end (SPABs: three Conv3XC with Mish between them and the
//                          attention (out3 + x) * (sigmoid(out3) - 0.5)), conv_2 (a Conv3XC) and
//                          a 1x1 conv_cat over [stage input, conv_2 out, block_1 out, block_end's
//                          Mish(out1)] (Mish runs in place, so that is the activated map);
//   upsampler              DySample (upsampler.offset / scope / init_pos / end_conv; 4 groups),
//                          or pixel shuffle (upsampler.0, a 3x3 conv to channels x scale^2), or
//                          traiNNer-redux's 1x "conv" (upsampler, one 3x3 conv).
// Every Conv3XC is span/'s, rebuilt from its parts (span/conv3xc.hpp).
#pragma once
#include <string>
#include <vector>

#include "nn/arch/family.hpp"
#include "nn/arch/span/span.hpp"

namespace upres::nn::arch::spanplus {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

enum class Upsampler { dysample, pixel_shuffle, conv };
constexpr int kDyGroups = 4;  // DySample's groups in SPANPlus (not in the weights; spandrel assumes 4)

// Hyperparameters, read from the keys and shapes (detect.cpp; the network reads them again).
struct Params {
    int in = 3, out = 3, feat = 48, scale = 4;
    std::vector<int> blocks;  // per stage: the number of block_n SPABs
    Upsampler up = Upsampler::dysample;
    // feats.0; then per stage block_1.c1_r..c3_r, block_n.J.c1_r..c3_r, block_end.c1_r..c3_r, conv_2.
    std::vector<span::Conv3xc> convs;
};
Params params(const formats::TensorMap& tensors, const std::string& where);

}  // namespace upres::nn::arch::spanplus
