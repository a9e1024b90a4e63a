// AVX2+FMA f32 kernels (portable twins in float_passes.cpp, same operations in the same order).
// Horizontal: two output pixels per vector, one per 128-bit lane. Vertical: 32 samples per step.
#include <immintrin.h>

#include <algorithm>

#include "classical/float_passes.hpp"

#define UPRES_AVX2_FMA __attribute__((target("avx2,fma")))

namespace upres::classical::floatpass::avx2 {

namespace {

UPRES_AVX2_FMA inline __m256 two_lanes(const float* a, const float* b) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(a)), _mm_loadu_ps(b), 1);
}

template <int C>
UPRES_AVX2_FMA void h_row_c(const AxisPlan& p, const float* in, float* out) {
    const int32_t taps = p.float_taps;
    const int32_t* first = p.float_first.data();
    // A pixel's 4-float loads reach (first + taps - 1) * C + 3; keep them inside the row.
    auto inside = [&](int64_t f) { return (f + taps - 1) * C + 4 <= int64_t(p.in_size) * C; };
    // Packs the two pixels' channels together, then stores 2 * C floats.
    const __m256i pack = C == 3 ? _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7)
                         : C == 2 ? _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)
                                  : _mm256_setr_epi32(0, 4, 1, 2, 3, 5, 6, 7);
    const __m256i store_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * C), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    int32_t i = 0;
    for (; i + 2 <= p.out_size; i += 2) {
        if (!inside(std::max(first[i], first[i + 1]))) {
            h_pixel<C>(p, in, out, i);
            h_pixel<C>(p, in, out, i + 1);
            continue;
        }
        const float* s0 = in + size_t(first[i]) * C;
        const float* s1 = in + size_t(first[i + 1]) * C;
        const float* w = p.float_group(i) + size_t(i % 4) * 4;
        const __m256 anchor = two_lanes(s0, s1);
        __m256 acc = anchor;
        for (int32_t k = 1; k < taps; ++k) {
            const size_t o = size_t(k) * C;
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(w + size_t(k) * 16), _mm256_sub_ps(two_lanes(s0 + o, s1 + o), anchor), acc);
        }
        if constexpr (C == 4)
            _mm256_storeu_ps(out + size_t(i) * 4, acc);
        else
            _mm256_maskstore_ps(out + size_t(i) * C, store_mask, _mm256_permutevar8x32_ps(acc, pack));
    }
    for (; i < p.out_size; ++i) h_pixel<C>(p, in, out, i);
}

}  // namespace

bool available() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}

UPRES_AVX2_FMA void h_row(const AxisPlan& p, int channels, const float* in, float* out) {
    switch (channels) {
        case 1: return h_row_c<1>(p, in, out);
        case 2: return h_row_c<2>(p, in, out);
        case 3: return h_row_c<3>(p, in, out);
        default: return h_row_c<4>(p, in, out);
    }
}

UPRES_AVX2_FMA size_t v_row(const float* const* rows, const float* w, int32_t n, float* out, size_t len) {
    const float* a = rows[0];
    size_t x = 0;
    for (; x + 32 <= len; x += 32) {
        const __m256 a0 = _mm256_loadu_ps(a + x), a1 = _mm256_loadu_ps(a + x + 8);
        const __m256 a2 = _mm256_loadu_ps(a + x + 16), a3 = _mm256_loadu_ps(a + x + 24);
        __m256 c0 = a0, c1 = a1, c2 = a2, c3 = a3;
        for (int32_t k = 1; k < n; ++k) {
            const __m256 wk = _mm256_set1_ps(w[k]);
            const float* r = rows[k] + x;
            c0 = _mm256_fmadd_ps(wk, _mm256_sub_ps(_mm256_loadu_ps(r), a0), c0);
            c1 = _mm256_fmadd_ps(wk, _mm256_sub_ps(_mm256_loadu_ps(r + 8), a1), c1);
            c2 = _mm256_fmadd_ps(wk, _mm256_sub_ps(_mm256_loadu_ps(r + 16), a2), c2);
            c3 = _mm256_fmadd_ps(wk, _mm256_sub_ps(_mm256_loadu_ps(r + 24), a3), c3);
        }
        _mm256_storeu_ps(out + x, c0);
        _mm256_storeu_ps(out + x + 8, c1);
        _mm256_storeu_ps(out + x + 16, c2);
        _mm256_storeu_ps(out + x + 24, c3);
    }
    return x;
}

}  // namespace upres::classical::floatpass::avx2
