// The trunk of an RRDBNet on the CPU (the dense blocks, conv_body and the long skip: 94 % of the
// model's work) through oneDNN's own API instead of ATen:
// - Activations in oneDNN's blocked nChw16c layout, where the first C channels of a map are a
//   prefix of its memory: each dense block lives in one buffer and its concatenations cost nothing;
//   activations and residual adds are fused into the convolutions where oneDNN allows.
// - fp32: 3x3 convolutions by Winograd F(4x4, 3x3), 4x fewer multiplications than direct
//   convolution (ATen only ever asks oneDNN for the direct algorithm).
// - bf16: direct bf16 convolutions with the residual trunk kept in fp32, like networks.cpp's ATen path.
// Built only when oneDNN 2.x headers are found (Debian's libtorch links that same libdnnl).
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <string>

namespace upres::nn {

class OnednnTrunk {
public:
    virtual ~OnednnTrunk() = default;
    // nullptr when this build has no oneDNN, or the model's feature and growth channels are not
    // multiples of 16. `weights`: the RRDBNet's f32 CPU tensors by their new-scheme names.
    static std::unique_ptr<OnednnTrunk> create(const std::map<std::string, at::Tensor>& weights, int num_block, bool bf16);
    // feat: conv_first's output, [1, nf, H, W] f32 on the CPU. Returns conv_body(blocks(feat)) + feat,
    // f32 in channels-last. Thread-safe.
    virtual at::Tensor run(const at::Tensor& feat) const = 0;
};

}  // namespace upres::nn
