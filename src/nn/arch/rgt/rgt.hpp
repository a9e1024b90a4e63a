// RGT (Chen et al. 2024, "Recursive Generalization Transformer for Image Super-Resolution"), in
// the authors' key scheme (zhengchen1999/RGT basicsr/archs/rgt_arch.py, also spandrel's):
//   conv_first (3x3, channels -> embed C), before_RG.1 (LayerNorm of the tokens), groups
//   layers.N: blocks layers.N.blocks.M (norm1, attention, norm2, mlp, gamma) and the group's conv
//   (1 conv or the 3-conv bottleneck) plus its skip; norm, conv_after_body plus conv_first's output;
//   conv_before_upsample.0 + LeakyReLU 0.01, upsample.0/2/.. (pixel shuffle x2^n or x3), conv_last.
// Even blocks: L-SA, local self-attention in rectangular windows: attn.qkv, then two branches on
//   the two channel halves (attn.attns.0 in sh x sw windows, attn.attns.1 in sw x sh), half the
//   heads each, with a relative position bias from a small MLP of the (dy, dx) offsets
//   (attns.i.pos.{pos_proj, pos1.{0,2}, pos2.{0,2}, pos3.{0,2}}: Linear(2, d); then LayerNorm,
//   ReLU, Linear, three times); q, k, v are zero-padded right and bottom to a multiple of
//   max(sh, sw) (the padded positions take part in the softmax); in blocks 2, 6, 10, .. of even
//   groups and 0, 4, 8, .. of odd ones the windows are shifted by half a window (cyclic, the
//   wrapped regions masked); a 3x3 depthwise conv of v (attn.get_v) is added before attn.proj.
// Odd blocks: RG-SA, recursive-generalization self-attention: the map reduced by attn.reduction1
//   (4x4 stride 4 depthwise) applied T = max(2, floor(log4(side / 16))) times, attn.dwconv (3x3
//   depthwise), attn.conv (1x1 to cr = c_ratio * C), attn.norm_act.0 (LayerNorm) + GELU; queries
//   attn.q of every token (cr wide) attend to keys attn.k and values attn.v (C wide, plus their
//   3x3 depthwise attn.cpe) of the reduced map; attn.proj. The scale is (C / heads * c_ratio)^-1/2.
// The MLP: mlp.fc1, GELU, the second half through mlp.sg.norm and mlp.sg.conv (3x3 depthwise)
//   gating the first half, mlp.fc2. A block adds its input times gamma after both branches.
// The network works on (x - mean) * img_range, DIV2K's mean for 3 channels, img_range 1 (metadata
// `img_range` may say 255). The split size (sh, sw) is in no weight: it is read from the shapes of
// the buffers attns.0.rpe_biases ((2sh - 1)(2sw - 1) rows) and attns.0.relative_position_index
// (sh sw rows), sh <= sw, or from metadata `split_size` ("8,32"), else the published [8, 32]; the
// buffers' values (and the attn_mask_0 / attn_mask_1 of the training patch) are never read.
#pragma once
#include <string>
#include <vector>

#include "nn/arch/family.hpp"

namespace upres::nn::arch::rgt {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

struct Params {
    int in = 3;
    int embed = 0;         // C
    int hidden = 0;        // mlp width (C * mlp_ratio); the gate halves it
    int cr = 0;            // RG-SA's reduced width (C * c_ratio); 0 when no group has an odd block
    int pos = 0;           // the position-bias MLP's width
    int split_h = 8, split_w = 32;  // branch 0's window (branch 1's is transposed)
    int feat = 64;         // num_feat of the reconstruction
    int scale = 1, ups = 0;  // pixel shuffle x2^ups or x3
    bool qkv_bias = true, three_conv = false;
    float img_range = 1.0f;
    std::vector<int> depths, heads;
};
Params params(const formats::TensorMap& tensors, const std::map<std::string, std::string>& metadata, const std::string& where);

// Whether L-SA block `block` of group `group` shifts its windows (rgt_arch.py's rule).
inline bool shifted(int group, int block) { return group % 2 == 0 ? block >= 2 && (block - 2) % 4 == 0 : block % 4 == 0; }

// RG-SA's recursion count for an h x w map: max(2, floor(log4(h / 16)), floor(log4(w / 16))) as
// rgt_arch.py computes it (in double, so powers of 4 land exactly), but never so many that a side
// would reduce to nothing: maps under 16 (or one side under 4^T) fail in the authors' code, and
// upres reduces them fewer times (down to 0: every token a key).
int recursions(int64_t h, int64_t w);

}  // namespace upres::nn::arch::rgt
