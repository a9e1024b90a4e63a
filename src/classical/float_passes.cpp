// Portable f32 kernels: the reference the vector kernels match bit for bit (see float_passes.hpp).
#include "classical/float_passes.hpp"

#include <algorithm>
#include <cmath>

namespace upres::classical::floatpass {

void h_row(const AxisPlan& p, int channels, const float* in, float* out, int32_t i0) {
    for (int32_t i = i0; i < p.out_size; ++i) switch (channels) {
            case 1: h_pixel<1>(p, in, out, i); break;
            case 2: h_pixel<2>(p, in, out, i); break;
            case 3: h_pixel<3>(p, in, out, i); break;
            default: h_pixel<4>(p, in, out, i); break;
        }
}

void v_row(const float* const* rows, const float* w, int32_t n, float* out, size_t x0, size_t len) {
    const float* a = rows[0];
    for (size_t x = x0; x < len; ++x) {
        float acc = a[x];
        for (int32_t k = 1; k < n; ++k) acc = std::fma(w[k], rows[k][x] - a[x], acc);
        out[x] = acc;
    }
}

// Cloned for speed (the baseline has no vector floor); the same exact operations in every clone.
__attribute__((target_clones("avx512f", "avx2", "default"))) void u16_to_float(const uint16_t* in, float* out, size_t n) {
    for (size_t x = 0; x < n; ++x) out[x] = float(in[x]);
}

void float_to_u16(const float* in, uint16_t* out, size_t x0, size_t n) {
    for (size_t x = x0; x < n; ++x) {
        const float v = std::floor(in[x] + 0.5f);  // samples are finite: they come from u16 rows
        out[x] = uint16_t(v < 0.0f ? 0.0f : v > 65535.0f ? 65535.0f : v);
    }
}

}  // namespace upres::classical::floatpass
