// DRCT (Hsu et al. 2024, "DRCT: Saving Image Super-resolution away from Information Bottleneck"),
// DRCT and DRCT-L, in the authors' key scheme (ming053l/DRCT drct/archs/DRCT_arch.py, also
// spandrel's):
//   conv_first (3x3, channels -> embed_dim), the input as tokens (patch size 1, with the LayerNorm
//   patch_embed.norm when patch_norm), residual dense groups layers.N (RDG), the final norm,
//   conv_after_body (absent for resi_connection 'identity') plus conv_first's output, then the
//   pixelshuffle reconstruction: conv_before_upsample.0 + LeakyReLU 0.01, upsample.0/2/.. (x2^n
//   convs to 4F, or one to 9F for x3, each + pixel shuffle), conv_last.
// An RDG holds five Swin transformer blocks layers.N.swin1..swin5 (norm1, window attention
// attn.qkv / attn.proj / attn.relative_position_bias_table, norm2, mlp.fc1 / GELU / mlp.fc2; swin2
// and swin4 shift their windows by half a window) densely connected: with x the group's input
// (embed_dim wide), block k sees the concatenation [x, x1, .., x(k-1)] (embed_dim + (k-1) gc
// channels), and its output goes through the 1x1 conv layers.N.adjustK, to gc growth channels with
// a LeakyReLU 0.2 for k < 5 (giving xk), back to embed_dim for k = 5; the group returns
// 0.2 * x5 + x. Each block has its own width, so its own heads (the official code's
// num_heads - (width % num_heads)) and mlp width (mlp_ratio for swin1-3, 1 for swin4-5): all read
// from the shapes.
// The network works on (x - mean) * img_range with the DIV2K mean (0.4488, 0.4371, 0.4040) for 3
// channels, 0 otherwise, and img_range 1 (every published model; not in the weights). Inputs are
// padded by reflection to the window multiple (drct_model.py's pre_process) and cropped back.
// The stored buffers relative_position_index and attn_mask are ignored (dropped by `canonical`):
// both are recomputed from the window size and the actual (padded) input size.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "nn/arch/family.hpp"
#include "nn/arch/keys.hpp"

namespace upres::nn::arch::drct {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

constexpr int kBlocks = 5;  // Swin blocks per RDG (swin1..swin5)

struct Params {
    int in = 3, out = 3;      // image channels
    int embed = 0;            // embed_dim
    int gc = 0;               // growth channels (adjust1..4 outputs)
    int window = 0;           // from the relative position bias tables, (2w - 1)^2 rows
    int feat = 64;            // num_feat of the reconstruction
    int scale = 1;
    int ups = 0;              // upsample convs
    bool qkv_bias = true, patch_norm = true, conv_after_body = true;
    float img_range = 1.0f;
    std::vector<std::array<int, kBlocks>> heads, hidden;  // per RDG and block
    // The width block k (0-based) of a group sees.
    int width(int k) const { return embed + k * gc; }
};
Params params(const formats::TensorMap& tensors, const std::string& where);

}  // namespace upres::nn::arch::drct
