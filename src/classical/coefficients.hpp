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
    int64_t max_abs_sum_q = 0;        // largest sum of |weights_q| over a window (bounds the passes)

    // Vector layout (pairs > 0 when built): every window padded with zero weights to `pairs` tap
    // pairs and moved left where needed so it stays inside the source; for each pair, each output
    // holds [w0 w1] repeated 4 times (one per channel slot), two neighbouring outputs side by side:
    // pair_weights[((i / 2) * pairs + g) * 16 + (i % 2) * 8 + 2 * slot + tap].
    int32_t pairs = 0;
    std::vector<int32_t> pair_first;   // out_size rounded up to even
    std::vector<int16_t> pair_weights;

    // One-channel layout (with the pair layout): each window, from pair_first, padded to
    // gray_groups groups of 8 taps, group-major so that four neighbouring outputs' weights for a
    // group are 64 contiguous bytes: gray_weights[((q * gray_outputs) + i) * 8 + t], tap 8 q + t.
    int32_t gray_groups = 0;
    int32_t gray_outputs = 0;  // out_size rounded up to a multiple of 4
    std::vector<int16_t> gray_weights;

    // Float layout (float_taps > 0 when built): every window padded with zero weights to
    // float_taps taps and moved left where needed so it stays inside the source; weights in
    // groups of four outputs, each weight repeated 4 times (one per channel slot):
    // float_weights[(float_block[i / 4] * float_taps + k) * 16 + (i % 4) * 4 + slot]. Groups with
    // identical weights share one block: resizes by an integer or a simple ratio have a handful,
    // so the kernels read weights from L1 instead of streaming a table as large as the image row.
    int32_t float_taps = 0;
    std::vector<int32_t> float_first;  // out_size rounded up to a multiple of 4
    std::vector<int32_t> float_block;  // per group of four outputs
    std::vector<float> float_weights;
    // The 4 * float_taps * 4 weights of output i's group (i a multiple of 4 or not).
    const float* float_group(int32_t i) const {
        return float_weights.data() + size_t(float_block[size_t(i / 4)]) * size_t(float_taps) * 16;
    }
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
