// SwinIR (Liang et al. 2021, "SwinIR: Image Restoration Using Swin Transformer"), in the authors'
// key scheme (JingyunLiang/SwinIR models/network_swinir.py, also BasicSR's and spandrel's):
//   conv_first (3x3, channels -> embed_dim), the input as tokens (patch_embed, patch size 1, with
//   its LayerNorm patch_embed.norm when patch_norm), residual Swin transformer blocks
//   layers.N (RSTB): layers.N.residual_group.blocks.M are Swin transformer blocks (norm1, window
//   attention attn.qkv / attn.proj / attn.relative_position_bias_table, norm2, mlp.fc1 / GELU /
//   mlp.fc2; odd M shift their windows by half a window) followed by layers.N.conv (one 3x3 conv,
//   or the "3conv" tail 3x3 to dim/4, LeakyReLU 0.2, 1x1, LeakyReLU 0.2, 3x3 back) and the RSTB's
//   skip; the final norm; conv_after_body (1 or 3 convs) plus conv_first's output; then the
//   reconstruction:
//     pixelshuffle (classical SR): conv_before_upsample.0 + LeakyReLU 0.01, upsample.0/2/.. (x2^n
//       convs to 4F, or one to 9F for x3, each + pixel shuffle), conv_last;
//     pixelshuffledirect (lightweight SR): upsample.0 to out x s^2 + one pixel shuffle;
//     nearest+conv (real-world SR): conv_before_upsample.0 + LeakyReLU 0.01, conv_up1 / conv_up2 /
//       (conv_up3) each after a nearest x2 with LeakyReLU 0.2, conv_hr + LeakyReLU 0.2, conv_last;
//     none (denoising, JPEG): conv_last to the channels, added to the network's input.
// The network works on (x - mean) * img_range: the DIV2K mean (0.4488, 0.4371, 0.4040) for 3
// channels, 0 otherwise; img_range is not in the weights: 1 for the published models, 255 for the
// JPEG artifact-reduction models (the only ones with window 7), both per main_test_swinir.py.
// The stored buffers relative_position_index and attn_mask are ignored (dropped by `canonical`):
// both are recomputed from the window size and the actual (padded) input size.
#pragma once
#include <string>
#include <vector>

#include "nn/arch/family.hpp"
#include "nn/arch/keys.hpp"

namespace upres::nn::arch::swinir {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

enum class Upsampler { pixelshuffle, pixelshuffledirect, nearest_conv, none };

constexpr float kMean[3] = {0.4488f, 0.4371f, 0.4040f};  // DIV2K's, subtracted from 3-channel input

struct Params {
    int in = 3, out = 3;      // image channels
    int embed = 0;            // embed_dim
    int window = 8;           // from the relative position bias tables, (2w - 1)^2 rows
    int hidden = 0;           // mlp hidden width (embed * mlp_ratio)
    int feat = 64;            // num_feat of the reconstruction (pixelshuffle, nearest+conv)
    int scale = 1;
    bool qkv_bias = true, patch_norm = true, three_conv = false;
    Upsampler upsampler = Upsampler::none;
    int ups = 0;              // pixelshuffle: upsample convs; nearest+conv: conv_upK count
    float img_range = 1.0f;
    std::vector<int> depths, heads;  // per RSTB
};
Params params(const formats::TensorMap& tensors, const std::map<std::string, std::string>& metadata, const std::string& where);

// Shared with the other Swin-based families (HAT, DRCT): the checks of one Swin transformer block
// `p` (norm1, attn.qkv, attn.proj, attn.relative_position_bias_table, norm2, mlp.fc1, mlp.fc2) of
// width `dim`; returns the heads (table dim 1) and sets `window` (from the table's (2w - 1)^2 rows;
// 0 on entry = not yet known) and `hidden` (0 = not yet known) or checks them.
int check_swin_block(const Keys& k, const std::string& p, int dim, int& window, int& hidden, bool& qkv_bias, bool first);

}  // namespace upres::nn::arch::swinir
