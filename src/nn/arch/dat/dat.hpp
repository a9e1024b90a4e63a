// DAT (Chen et al. 2023, "Dual Aggregation Transformer for Image Super-Resolution": DAT, DAT-S,
// DAT-2, DAT-light), in the authors' key scheme (zhengchen1999/DAT basicsr/archs/dat_arch.py, also
// spandrel's and traiNNer-redux's):
//   conv_first (3x3, channels -> embed), the input as tokens with a LayerNorm (before_RG.1),
//   residual groups layers.N: layers.N.blocks.M (dual aggregation transformer blocks: norm1, an
//   attention, norm2, the spatial-gate FFN ffn.{fc1, sg.norm, sg.conv, fc2}) followed by
//   layers.N.conv (one 3x3, or the "3conv" tail as SwinIR's) and the group's skip; the final norm;
//   conv_after_body plus conv_first's output; then pixelshuffle (conv_before_upsample.0 + LeakyReLU
//   0.01, upsample.0/2/.., conv_last) or pixelshuffledirect (upsample.0 + one pixel shuffle).
// Even blocks: spatial window attention. attn.qkv on every token; the first half of the channels
// attends within split_h x split_w windows (attn.attns.0), the second half within split_w x
// split_h windows (attn.attns.1), half the heads each, with a relative position bias from a small
// MLP (attns.B.pos: pos_proj, then pos1 / pos2 / pos3 each LayerNorm, ReLU, Linear) over the
// window's relative offsets. qkv is zero-padded to a multiple of max(split) (the input is not),
// and in the shifted blocks (even groups: blocks 2, 6, 10..; odd groups: 0, 4, 8..) both halves roll
// by half their window first, with Swin's mask. Odd blocks: channel attention (attn.temperature):
// per head, softmax(temperature * cos(q_i, k_j)) over channels i, j, q and k L2-normalised over
// every token of the image, applied to v. Both kinds add a depthwise-conv branch on v
// (attn.dwconv: 3x3 dw, BatchNorm, GELU) and the adaptive interaction: a channel gate from the
// image mean (channel_interaction: 1x1, BatchNorm, GELU, 1x1) and a spatial gate
// (spatial_interaction: 1x1, BatchNorm, GELU, 1x1 to one channel), crossed between the two
// branches, then attn.proj. The BatchNorms are folded at build time.
// The split size is read from the buffers' shapes (attns.0.rpe_biases (2 split_h - 1)(2 split_w -
// 1) rows, relative_position_index (split_h split_w)^2, split_h <= split_w as published), else the
// safetensors metadata `split_size` ("8,32"), else [8, 32]; the buffers' values, and the masks
// attn_mask_0 / attn_mask_1, are never read. img_range 1 (metadata `img_range` may say 255).
// The network works on (x - DIV2K mean) * img_range, as SwinIR.
#pragma once
#include <string>
#include <vector>

#include "nn/arch/family.hpp"

namespace upres::nn::arch::dat {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

enum class Upsampler { pixelshuffle, pixelshuffledirect };

constexpr float kMean[3] = {0.4488f, 0.4371f, 0.4040f};

struct Params {
    int in = 3;                  // image channels (out = in)
    int embed = 0;
    int split_h = 8, split_w = 32;  // attns.0's window (rows x columns); attns.1 has it transposed
    int hidden = 0;              // ffn.fc1 width (embed * expansion_factor), even
    int pos = 0;                 // the position-bias MLP's width
    int channel_gate = 0, spatial_gate = 0;  // channel_interaction / spatial_interaction widths
    int feat = 64;               // pixelshuffle's num_feat
    int scale = 2;
    int ups = 1;                 // pixelshuffle: upsample convs
    bool qkv_bias = true, three_conv = false;
    Upsampler upsampler = Upsampler::pixelshuffle;
    float img_range = 1.0f;
    std::vector<int> depths;
    std::vector<int> heads;      // per group: the channel attention's (temperature rows), or 2 x branch_heads
    std::vector<int> branch_heads;  // per group: each spatial branch's (pos3.2 rows)
    // Whether block b of group g rolls its windows (dat_arch.py's rule).
    static bool shifted(int g, int b) { return g % 2 == 0 ? (b > 0 && (b - 2) % 4 == 0) : b % 4 == 0; }
};
Params params(const formats::TensorMap& tensors, const std::map<std::string, std::string>& metadata, const std::string& where);

}  // namespace upres::nn::arch::dat
