// Per-axis coefficient tables: for each output sample, the window of source samples it reads and
// their weights, with edges already resolved (clamp / reflect / wrap) so passes never branch.
#pragma once
#include <cstdint>
#include <vector>

#include "classical/filters.hpp"

namespace upres::classical {

// clamp: repeat the edge sample; reflect: mirror about the edge (MATLAB 'symmetric'); wrap:
// periodic; truncate: drop taps outside the image and renormalise (Pillow's convention).
enum class EdgeMode { clamp, reflect, wrap, truncate };

// Fixed-point weights carry this many fractional bits; every row sums to exactly 1 << kWeightBits.
constexpr int kWeightBits = 14;

struct AxisPlan {
    int32_t in_size = 0, out_size = 0;
    std::vector<int32_t> first;       // first source index of each output's window
    std::vector<int32_t> count;       // window length
    std::vector<int32_t> offset;      // start of each window's weights in the arrays below
    std::vector<double> weights;      // exact weights (rows sum to 1 within rounding)
    std::vector<float> weights_f;     // single precision copy
    std::vector<int16_t> weights_q;   // fixed point, rows sum to exactly 1 << kWeightBits
    int32_t max_count = 0;
};

struct AxisRequest {
    int32_t in_size = 0;         // source samples along the axis
    int32_t out_size = 0;        // output samples
    double crop_start = 0;       // source region [crop_start, crop_start + crop_length)
    double crop_length = 0;
    bool antialias = true;       // widen the kernel by in/out when downscaling
    EdgeMode edge = EdgeMode::clamp;
};

// Pixel centres are aligned: output i samples the source at
//   crop_start + (i + 0.5) * crop_length / out_size - 0.5   (in source pixel indices).
AxisPlan build_axis(const Kernel& kernel, const AxisRequest& request);

}  // namespace upres::classical
