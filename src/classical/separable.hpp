// The two one-dimensional passes of a separable resize. Integer samples use the fixed-point
// weights (an intermediate with extra fractional bits); floats accumulate in float with FMA, anchored
// on each window's first sample (float_passes.hpp), so a constant image stays exactly constant and
// results never depend on the thread count or the instruction set.
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

// src has alpha (last channel) and is not premultiplied: resamples it premultiplied, in fixed point,
// and returns true; false (nothing written) where only the float detour can (u16, f32, MATLAB, or
// weights too large for the int16 intermediate).
bool run_separable_premultiplied(const SeparableJob& job, const ImageView& src, const ImageView& dst, RunContext& run);

// Forces the portable code path (tests compare it with the vectorised one).
void set_force_scalar(bool on);
// Allows vector kernels up to `isa` only (tests compare the AVX2 kernels on AVX-512 machines too).
enum class Isa { portable, avx2, avx512 };
void set_max_isa(Isa isa);

}  // namespace upres::classical
