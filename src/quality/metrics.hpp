// Image quality metrics as the super-resolution literature computes them: PSNR and SSIM on the
// BT.601 luma (Y of YCbCr in the 16..235 studio range) after cropping `border` pixels per side.
#pragma once
#include "core/image.hpp"

namespace upres::quality {

enum class MetricChannels : int32_t {
    luma = 1,  // Y = 16 + (65.481 R + 128.553 G + 24.966 B), R,G,B in [0,1]; gray counts as R=G=B
    all = 2,   // every channel (alpha included), in the 0..255 scale
};

// Both images must have the same width, height and channels; any sample types (all are brought to
// the 0..255 scale). Throws Error(invalid_argument) for mismatched shapes or a border that leaves
// nothing. PSNR of identical images is +infinity.
double psnr(const ImageView& a, const ImageView& b, int border, MetricChannels channels);
// SSIM with an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, L = 255, averaged over the
// window positions that lie fully inside the cropped image (MATLAB's 'valid' filtering).
double ssim(const ImageView& a, const ImageView& b, int border, MetricChannels channels);

}  // namespace upres::quality
