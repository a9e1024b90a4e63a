// PLKSR (Partial Large Kernel CNNs, Lee & Yoo 2024) and RealPLKSR (its real-world variant, most
// OpenModelDB models): feats = 3x3 conv, N PLK blocks, [dropout,] 3x3 conv to channels x scale^2;
// plus the input repeated scale^2 times per channel; then pixel shuffle or DySample.
// A block: channel mixer (two convs, GELU / Mish), a large-kernel conv over the first `split`
// channels only, element-wise attention (x * sigmoid(conv3x3 x), optional), 1x1 refine, RealPLKSR's
// GroupNorm (or a channel LayerNorm before the mixer), residual.
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::plksr {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

enum class Mixer { ccm, iccm, dccm };         // kernel sizes of the two mixer convs: 3+1, 1+3, 3+3
enum class LargeKernel { plk, rect };         // lk.conv, or SLaK-style lk.mn_conv + nm_conv + nn_conv
enum class Norm { none, group, layer };       // PLKSR none; RealPLKSR GroupNorm(4) or a channel LayerNorm

// Hyperparameters, read from the keys and shapes (detect.cpp; the network reads them again).
struct Params {
    bool real = false;       // RealPLKSR (channel_mixer, Mish) or PLKSR (channe_mixer, GELU)
    int in = 3, dim = 64, blocks = 28, scale = 4, split = 16;
    int kernel = 17, rect_n = 0;  // large kernel side; the short side of the rectangular kernels
    Mixer mixer = Mixer::dccm;
    LargeKernel lk = LargeKernel::plk;
    bool ea = true;
    Norm norm = Norm::none;
    int norm_groups = 4;     // RealPLKSR's GroupNorm groups (not in the weights; every model uses 4)
    bool dysample = false;
    int dy_groups = 0;
    bool dy_end_conv = false;
    int last = 0;            // index of the last feats convolution
    std::string mixer_key;   // "channel_mixer" or "channe_mixer" (sic, the original's typo)
};
Params params(const formats::TensorMap& tensors, const std::string& where);

}  // namespace upres::nn::arch::plksr
