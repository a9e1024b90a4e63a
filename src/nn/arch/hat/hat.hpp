// HAT (Chen et al. 2023, "Activating More Pixels in Image Super-Resolution Transformer": HAT-S,
// HAT, HAT-L and the real-world HAT GAN), in the authors' key scheme (XPixelGroup/HAT
// hat/archs/hat_arch.py, also spandrel's and traiNNer-redux's), which extends SwinIR's:
//   conv_first (3x3, channels -> embed_dim), tokens with patch_embed.norm (patch_norm), residual
//   hybrid attention groups layers.N (RHAG): layers.N.residual_group.blocks.M are hybrid attention
//   blocks, a Swin block (norm1, window attention attn.qkv / attn.proj /
//   attn.relative_position_bias_table, odd M shifted by half a window; norm2, mlp.fc1 / GELU /
//   mlp.fc2) whose attention branch gains a channel-attention conv branch on the same normalised
//   input, conv_block.cab.{0,2,3.attention.1,3.attention.3} (3x3 C -> C/compress_ratio, GELU, 3x3
//   back to C, then channel attention: the mean over the whole map, 1x1 to C/squeeze_factor, ReLU,
//   1x1 back, sigmoid, times the branch), added scaled by conv_scale 0.01; then the group's
//   overlapping cross-attention block layers.N.residual_group.overlap_attn (OCAB: norm1, qkv,
//   relative_position_bias_table of (w + ow - 1)^2 rows, proj, norm2, mlp; queries from w x w
//   windows, keys and values from the ow x ow windows around them, ow = w + int(w *
//   overlap_ratio), zero beyond the map); layers.N.conv (3x3, or none: resi_connection identity)
//   and the group's skip; the final norm; conv_after_body (or none) plus conv_first's output;
//   pixel-shuffle reconstruction: conv_before_upsample.0 + LeakyReLU 0.01, upsample.0/2/.. (x2^n
//   convs to 4F, or one to 9F for x3; none at x1), conv_last.
// The network works on x - DIV2K mean (img_range 1, as every published model; not in the weights).
// The stored buffers relative_position_index_SA / _OCA and attn_mask are ignored (dropped by
// `canonical`): the indices, the shifted-window mask and the biases are computed for the actual
// (padded) input size. The channel attention averages over the whole image, also when tiled
// (ImageStatistics).
#pragma once
#include <string>
#include <vector>

#include "nn/arch/family.hpp"
#include "nn/arch/keys.hpp"

namespace upres::nn::arch::hat {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

constexpr float kConvScale = 0.01f;  // conv_scale: the published models' (not in the weights)

struct Params {
    int in = 3;            // image channels (output = input)
    int embed = 0;         // embed_dim
    int window = 16;       // from the blocks' relative position bias tables, (2w - 1)^2 rows
    int overlap = 24;      // OCAB's key window ow, from its table's (w + ow - 1)^2 rows
    int hidden = 0;        // mlp hidden width (embed * mlp_ratio), blocks and OCAB alike
    int cab = 0;           // CAB's middle width (embed / compress_ratio)
    int squeeze = 0;       // channel attention's width (embed / squeeze_factor)
    int feat = 64;         // num_feat of the reconstruction
    int scale = 1;
    int ups = 0;           // upsample convs
    bool qkv_bias = true, patch_norm = true, conv_tail = true;  // conv_tail: resi_connection 1conv
    std::vector<int> depths, heads;  // per RHAG
};
Params params(const formats::TensorMap& tensors, const std::string& where);

}  // namespace upres::nn::arch::hat
