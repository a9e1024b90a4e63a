// The two one-dimensional passes of a separable resize. Integer samples use the fixed-point
// weights (an int32 intermediate keeps 6 extra bits for u8); floats use double accumulation, so a
// constant image stays exactly constant and results never depend on the thread count.
#pragma once
#include "classical/coefficients.hpp"
#include "core/image.hpp"
#include "core/run_context.hpp"

namespace upres::classical {

struct SeparableJob {
    const AxisPlan* x = nullptr;  // along the width
    const AxisPlan* y = nullptr;  // along the height
    bool vertical_first = false;
    bool round_between_passes = false;  // MATLAB: the intermediate is rounded to the output type
    bool clamp_intermediate = false;    // Pillow: the intermediate is clamped to the sample range
    int threads = 1;
};

// src and dst have the same channels and sample type; dst is x->out_size by y->out_size.
void run_separable(const SeparableJob& job, const ImageView& src, const ImageView& dst, RunContext& run);

// Forces the portable code path (tests compare it with the vectorised one).
void set_force_scalar(bool on);

}  // namespace upres::classical
