// The f32 horizontal pass over 16 rows at once with 512-bit vectors (float_rows_kernel.hpp).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "classical/float_passes.hpp"

// GCC 12 warns inside its own AVX-512 headers (the undefined upper halves are intended).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#define UPRES_ROWS_TARGET __attribute__((target("avx512f,avx512vl,fma")))

namespace upres::classical::floatpass::avx512 {

namespace {

struct V16 {
    using reg = __m512;
    static constexpr int W = 16;
    // 3 channels: 3 outputs (9 chains); otherwise 8 chains.
    static constexpr int outputs_per_step(int c) { return c == 3 ? 3 : 8 / c; }
    UPRES_ROWS_TARGET static reg zero() { return _mm512_setzero_ps(); }
    UPRES_ROWS_TARGET static reg load(const float* p) { return _mm512_load_ps(p); }
    UPRES_ROWS_TARGET static void store(float* p, reg v) { _mm512_store_ps(p, v); }
    UPRES_ROWS_TARGET static void storeu(float* p, reg v) { _mm512_storeu_ps(p, v); }
    UPRES_ROWS_TARGET static reg loadu(const float* p) { return _mm512_loadu_ps(p); }
    UPRES_ROWS_TARGET static reg loadu(const uint16_t* p) {
        return _mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
    }
    UPRES_ROWS_TARGET static reg set1(float w) { return _mm512_set1_ps(w); }
    UPRES_ROWS_TARGET static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
    UPRES_ROWS_TARGET static reg fmadd(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
    UPRES_ROWS_TARGET static void transpose(reg v[16]) {
        reg t[16];
        for (int i = 0; i < 16; i += 2) {
            t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
            t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
        }
        for (int i = 0; i < 16; i += 4) {
            v[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
            v[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
            v[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
            v[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        }
        // Each 128-bit lane q of v[4a + b] now holds samples 4q + b of rows 4a..4a+3.
        for (int i = 0; i < 4; ++i) {
            t[i] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0x88);      // lanes 0, 2 of each
            t[i + 4] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0xDD);  // lanes 1, 3
            t[i + 8] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0x88);
            t[i + 12] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0xDD);
        }
        for (int i = 0; i < 4; ++i) {
            v[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
            v[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
            v[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
            v[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
        }
    }
};

#include "classical/float_rows_kernel.hpp"

}  // namespace

void h_rows16(const AxisPlan& p, int channels, const float* const* in, float* const* out, float* scratch) {
    filter_rows_any<V16>(p, channels, in, out, scratch);
}

void h_rows16(const AxisPlan& p, int channels, const uint16_t* const* in, float* const* out, float* scratch) {
    filter_rows_any<V16>(p, channels, in, out, scratch);
}

}  // namespace upres::classical::floatpass::avx512
