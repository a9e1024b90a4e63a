// OmniSR (Wang et al. 2023, "Omni Aggregation Networks for Lightweight Image Super-Resolution"), in
// the authors' key scheme (Francis0625/Omni-SR components/OmniSR.py, ops/OSAG.py, ops/OSA.py,
// ops/esa.py; also spandrel's and traiNNer-redux's):
//   input (3x3 conv, channels -> F), residual_layer.G (the omni self-attention groups, OSAG), output
//   (3x3 conv) plus input's output, up.0 (3x3 conv to out x s^2) and a pixel shuffle.
//   OSAG G: residual_layer.G.residual_layer.B for B < blocks are OSA blocks, residual_layer.G.
//   residual_layer.<blocks> a 1x1 conv; plus the group's input; then residual_layer.G.esa (enhanced
//   spatial attention: conv1 1x1 to f = max(F/4, 16), conv2 3x3 stride 2 unpadded, 7x7 max pool
//   stride 3, conv3 3x3, bilinear back to full size, plus conv_f of conv1's output, conv4 1x1 back
//   to F, sigmoid gate).
//   OSA block, its nn.Sequential `layer.N` (1, 3, 7, 9 are parameterless rearranges):
//     0  MBConv: fn.0 1x1, GELU, fn.2 depthwise 3x3, GELU, fn.4 squeeze-excitation (the map's mean,
//        gate.1 F -> F/4, SiLU, gate.3 back, sigmoid; no biases), fn.5 1x1; plus its input;
//     2  window attention over w x w windows, 8 grid attention over a w x w grid whose tokens lie H/w
//        apart (each group spans the image): norm (LayerNorm, eps 1e-5), fn.to_qkv (no bias), 4 heads
//        with the relative position bias fn.rel_pos_bias.weight [(2w - 1)^2, 4] (absent when pe is
//        off), fn.to_out.0 (no bias);
//     4, 6, 10, 12  gated FFN: norm (over channels, eps 1e-6), fn.project_in 1x1 to 2F, fn.dwconv
//        depthwise 3x3, GELU(first half) * second half, fn.project_out (no biases);
//     5, 11  channel attention: norm (eps 1e-6), fn.qkv 1x1 to 3F, fn.qkv_dwconv depthwise 3x3, per
//        head (4) a d x d softmax attention of the channels L2-normalised over a group of pixels,
//        times fn.temperature [4, 1, 1], fn.project_out (no biases); 5: each w x w window, 11: the
//        pixels sharing (row mod w, column mod w) over the whole image;
//     each with its input added.
// bias (input, output, up.0, the groups' 1x1 convs) from input.bias; the other convs always have
// biases, the attentions and FFNs never. The network runs on 0..1 as it is, zero-padded to a
// multiple of the window (check_image_size) and cropped back. The released checkpoints also carry
// the profiler's total_ops / total_params entries (dropped); rel_pos_indices (a non-persistent
// buffer) is recomputed for the window if a file has it.
#pragma once
#include <map>
#include <string>

#include "nn/arch/family.hpp"
#include "nn/arch/keys.hpp"

namespace upres::nn::arch::omnisr {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

constexpr int kHeads = 4;  // OSA_Block's: dim_head = F / 4 for the spatial, heads = 4 for the channel attentions

struct Params {
    int in = 3, out = 3;   // image channels
    int feat = 64;         // num_feat
    int groups = 0;        // res_num (OSAGs)
    int blocks = 0;        // block_num (OSA blocks per OSAG)
    int window = 8;        // from rel_pos_bias ((2w - 1)^2 rows); metadata window_size or 8 without pe
    int esa = 16;          // ESA's width, max(F / 4, 16)
    int scale = 4;
    bool bias = true, pe = true;
};
Params params(const formats::TensorMap& tensors, const std::map<std::string, std::string>& metadata, const std::string& where);

}  // namespace upres::nn::arch::omnisr
