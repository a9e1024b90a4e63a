// The f32 horizontal pass over 8 rows at once with 256-bit vectors (float_rows_kernel.hpp), for
// CPUs with AVX2 and FMA but not AVX-512.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "classical/float_passes.hpp"

#define UPRES_ROWS_TARGET __attribute__((target("avx2,fma")))

namespace upres::classical::floatpass::avx2 {

namespace {

struct V8 {
    using reg = __m256;
    static constexpr int W = 8;
    // 16 vector registers: 2 outputs of 3 channels (6 chains and 6 anchors), else 4 chains.
    static constexpr int outputs_per_step(int c) { return c == 3 ? 2 : c == 4 ? 1 : 4 / c; }
    UPRES_ROWS_TARGET static reg zero() { return _mm256_setzero_ps(); }
    UPRES_ROWS_TARGET static reg load(const float* p) { return _mm256_load_ps(p); }
    UPRES_ROWS_TARGET static void store(float* p, reg v) { _mm256_store_ps(p, v); }
    UPRES_ROWS_TARGET static void storeu(float* p, reg v) { _mm256_storeu_ps(p, v); }
    UPRES_ROWS_TARGET static reg loadu(const float* p) { return _mm256_loadu_ps(p); }
    UPRES_ROWS_TARGET static reg loadu(const uint16_t* p) {
        return _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    }
    UPRES_ROWS_TARGET static reg set1(float w) { return _mm256_set1_ps(w); }
    UPRES_ROWS_TARGET static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
    UPRES_ROWS_TARGET static reg fmadd(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
    UPRES_ROWS_TARGET static void transpose(reg v[8]) {
        reg t[8];
        for (int i = 0; i < 8; i += 2) {
            t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
            t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
        }
        // Each 128-bit half h of v[4a + b] gets samples 4h + b of rows 4a..4a+3.
        for (int i = 0; i < 8; i += 4) {
            v[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
            v[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
            v[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
            v[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
        }
        for (int b = 0; b < 4; ++b) {
            t[b] = _mm256_permute2f128_ps(v[b], v[b + 4], 0x20);      // samples b: rows 0-3, 4-7
            t[b + 4] = _mm256_permute2f128_ps(v[b], v[b + 4], 0x31);  // samples 4 + b
        }
        for (int i = 0; i < 8; ++i) v[i] = t[i];
    }
};

#include "classical/float_rows_kernel.hpp"

}  // namespace

void h_rows8(const AxisPlan& p, int channels, const float* const* in, float* const* out, float* scratch) {
    filter_rows_any<V8>(p, channels, in, out, scratch);
}

void h_rows8(const AxisPlan& p, int channels, const uint16_t* const* in, float* const* out, float* scratch) {
    filter_rows_any<V8>(p, channels, in, out, scratch);
}

}  // namespace upres::classical::floatpass::avx2
