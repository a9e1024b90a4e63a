// Row kernels of the f32 passes. Every output sample is
//     acc = anchor;  for each tap k >= 1: acc = fma(w_k, s_k - anchor, acc)
// in float, where the anchor is the window's first sample: the effective weights sum to exactly
// one, so a constant image stays exactly constant, and since every path (portable, AVX2+FMA,
// AVX-512) performs these same IEEE operations in the same order, all give identical bits.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "classical/coefficients.hpp"

namespace upres::classical::floatpass {

// One output pixel of the horizontal pass (shared by every path so the arithmetic is the same):
// with the padded float layout when the plan has one, else over the plain window.
template <int C>
inline void h_pixel(const AxisPlan& p, const float* in, float* out, int32_t i) {
    float* o = out + size_t(i) * C;
    if (p.float_taps > 0) {
        const float* s = in + size_t(p.float_first[size_t(i)]) * C;
        const float* w = p.float_group(i) + size_t(i % 4) * 4;
        for (int c = 0; c < C; ++c) {
            const float a = s[c];
            float acc = a;
            for (int32_t k = 1; k < p.float_taps; ++k) acc = std::fma(w[size_t(k) * 16], s[size_t(k) * C + size_t(c)] - a, acc);
            o[c] = acc;
        }
    } else {
        const float* s = in + size_t(p.first[size_t(i)]) * C;
        const float* w = p.weights_f.data() + p.offset[size_t(i)];
        for (int c = 0; c < C; ++c) {
            const float a = s[c];
            float acc = a;
            for (int32_t k = 1; k < p.count[size_t(i)]; ++k) acc = std::fma(w[k], s[size_t(k) * C + size_t(c)] - a, acc);
            o[c] = acc;
        }
    }
}

// Portable kernels: output pixels [i0, out_size) of one row; samples [x0, len) of one output row
// from the n source rows of its window (weights w).
void h_row(const AxisPlan& p, int channels, const float* in, float* out, int32_t i0);
void v_row(const float* const* rows, const float* w, int32_t n, float* out, size_t x0, size_t len);

// u16 rows through the f32 passes: exact conversion in; out rounded half up and clamped (samples
// [x0, n); avx512::float_to_u16 does a prefix with the same operations).
void u16_to_float(const uint16_t* in, float* out, size_t n);
void float_to_u16(const float* in, uint16_t* out, size_t x0, size_t n);

namespace avx2 {
bool available();  // AVX2 and FMA
// avx512::h_rows16 with 8 rows (float_rows8_avx2.cpp); scratch: 8 * (in_size + out_size) * channels + 16.
void h_rows8(const AxisPlan& p, int channels, const float* const* in, float* const* out, float* scratch);
void h_rows8(const AxisPlan& p, int channels, const uint16_t* const* in, float* const* out, float* scratch);
// Whole row; pixels whose 4-float loads would leave the source row go to h_pixel.
void h_row(const AxisPlan& p, int channels, const float* in, float* out);
size_t v_row(const float* const* rows, const float* w, int32_t n, float* out, size_t len);  // returns where it stopped
}  // namespace avx2

namespace avx512 {
bool available();
// Horizontal pass of 16 rows at once (float_rows16_avx512.cpp): in[r] -> out[r], r < 16, with
// h_pixel's bits; a null in[r] is a lane past the image (out[r] is then not written). scratch
// holds 16 * (in_size + out_size) * channels + 16 floats. u16 rows are converted as they are read.
void h_rows16(const AxisPlan& p, int channels, const float* const* in, float* const* out, float* scratch);
void h_rows16(const AxisPlan& p, int channels, const uint16_t* const* in, float* const* out, float* scratch);
void h_row(const AxisPlan& p, int channels, const float* in, float* out);
void v_row(const float* const* rows, const float* w, int32_t n, float* out, size_t len);  // whole row (masked tail)
size_t float_to_u16(const float* in, uint16_t* out, size_t n);  // returns where it stopped
// Downscales: up to kSweepRows output rows whose windows overlap, computed strip by strip so the
// union of their windows stays in L1 while each output reads it (source rows come from memory
// once, not once per output). Two rows: their union (20 rows for a x4 bicubic) still fits L1's
// ways when image rows are a multiple of 2 KiB apart and share a few cache sets; four did not.
// rows[0, nu) are consecutive source rows; output r reads rows[off[r], off[r] + n[r]) with
// weights w[r], with v_row's operations (the same bits).
// next[0, n_next): rows the following call will read first, prefetched meanwhile.
constexpr int kSweepRows = 2;
void v_rows(const float* const* rows, int32_t nu, int outputs, const int32_t* off, const int32_t* n,
            const float* const* w, float* const* out, size_t len, const float* const* next, int32_t n_next);
}  // namespace avx512

}  // namespace upres::classical::floatpass
