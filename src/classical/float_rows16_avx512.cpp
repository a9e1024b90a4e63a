// Horizontal f32 pass over 16 rows at once (AVX-512). The rows are transposed in 16x16 blocks, so
// one vector holds one sample position of all 16 rows; every output sample is then h_pixel's
// anchor + FMA chain with a broadcast weight per tap: no gathers, inserts or permutes per tap
// whatever the channel count and window positions, and the same IEEE operations in the same
// order as the portable kernel (the same bits).
#include <immintrin.h>

#include <algorithm>
#include <type_traits>

#include "classical/float_passes.hpp"

// GCC 12 warns inside its own AVX-512 headers (the undefined upper halves are intended).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define UPRES_AVX512F __attribute__((target("avx512f,avx512vl,fma")))

namespace upres::classical::floatpass::avx512 {

namespace {

// v[j] (row j, 16 samples) -> v[i] = sample i of every row.
UPRES_AVX512F inline void transpose16(__m512 v[16]) {
    __m512 t[16];
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
    // Each 128-bit lane q of v[4a + b] now holds samples 4q + (its column) of rows 4a..4a+3.
    for (int i = 0; i < 4; ++i) {
        t[i] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0x88);       // lanes 0, 2 of each
        t[i + 4] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0xDD);   // lanes 1, 3
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

inline __mmask16 first_lanes(size_t n) { return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1); }

// One pass along the rows: blocks of the 16 rows are transposed into t just before the outputs
// that read them, and outputs are transposed back as soon as 16 samples are ready, so both
// buffers are touched while still in L1.
// 16 samples of a source row as floats (u16 converted exactly), the first n of them (n <= 16).
template <class In>
UPRES_AVX512F inline __m512 load16(const In* in, size_t n) {
    if constexpr (sizeof(In) == 4) {
        return _mm512_maskz_loadu_ps(first_lanes(n), in);
    } else {
        if (n == 16) return _mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in))));
        alignas(32) uint16_t part[16] = {};
        for (size_t j = 0; j < n; ++j) part[j] = in[j];
        return _mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(part))));
    }
}

template <int C, class In>
UPRES_AVX512F void rows16(const AxisPlan& p, const In* const* in, float* const* out, float* t, float* o) {
    const size_t len_in = size_t(p.in_size) * C, len_out = size_t(p.out_size) * C;
    const int32_t taps = p.float_taps;
    // Next rows' lines requested this far ahead: 16 interleaved row streams are more than the
    // hardware prefetcher follows.
    constexpr size_t kAhead = 128;
    __m512 v[16];
    size_t done_in = 0, done_out = 0;
    auto transpose_in = [&](size_t need) UPRES_AVX512F {
        for (; done_in < need; done_in += 16) {
            const size_t x = done_in, n = std::min<size_t>(16, len_in - x);
            for (int r = 0; r < 16; ++r) {
                v[r] = in[r] ? load16(in[r] + x, n) : _mm512_setzero_ps();
                if (in[r] && x + kAhead < len_in) _mm_prefetch(reinterpret_cast<const char*>(in[r] + x + kAhead), _MM_HINT_T0);
            }
            transpose16(v);
            // A fixed count for whole blocks keeps v in registers (a variable one became a memcpy).
            if (len_in - x >= 16) {
                for (int j = 0; j < 16; ++j) _mm512_store_ps(t + (x + size_t(j)) * 16, v[j]);
            } else {
                for (int j = 0; j < 16; ++j)
                    if (size_t(j) < len_in - x) _mm512_store_ps(t + (x + size_t(j)) * 16, v[j]);
            }
        }
    };
    auto transpose_out = [&](size_t ready) UPRES_AVX512F {
        for (; done_out < len_out; done_out += 16) {
            const size_t x = done_out, n = std::min<size_t>(16, len_out - x);
            if (x + n > ready) break;  // wait for the block's last samples
            for (int j = 0; j < 16; ++j) v[j] = size_t(j) < n ? _mm512_load_ps(o + (x + size_t(j)) * 16) : _mm512_setzero_ps();
            transpose16(v);
            const __mmask16 m = first_lanes(n);
            for (int r = 0; r < 16; ++r)
                if (out[r]) _mm512_mask_storeu_ps(out[r] + x, m, v[r]);
        }
    };
    // N outputs per step: N * C independent FMA chains hide the FMA latency.
    auto run = [&](int32_t i, auto count) UPRES_AVX512F {
        constexpr int N = decltype(count)::value;
        const float* s[N];
        const float* w[N];
        __m512 anchor[N][C], acc[N][C];
        size_t need = 0;
        for (int j = 0; j < N; ++j) need = std::max(need, size_t(p.float_first[size_t(i + j)] + taps) * C);
        transpose_in(std::min(need, len_in));
        for (int j = 0; j < N; ++j) {
            s[j] = t + size_t(p.float_first[size_t(i + j)]) * C * 16;
            w[j] = p.float_group(i + j) + size_t((i + j) % 4) * 4;
            for (int c = 0; c < C; ++c) anchor[j][c] = acc[j][c] = _mm512_load_ps(s[j] + c * 16);
        }
        for (int32_t k = 1; k < taps; ++k)
            for (int j = 0; j < N; ++j) {
                const __m512 wk = _mm512_set1_ps(w[j][size_t(k) * 16]);
                const float* sk = s[j] + size_t(k) * C * 16;
                for (int c = 0; c < C; ++c)
                    acc[j][c] = _mm512_fmadd_ps(wk, _mm512_sub_ps(_mm512_load_ps(sk + c * 16), anchor[j][c]), acc[j][c]);
            }
        for (int j = 0; j < N; ++j)
            for (int c = 0; c < C; ++c) _mm512_store_ps(o + (size_t(i + j) * C + c) * 16, acc[j][c]);
        transpose_out(size_t(i + N) * C);
    };
    constexpr int P = C == 3 ? 3 : 8 / C;
    int32_t i = 0;
    for (; i + P <= p.out_size; i += P) run(i, std::integral_constant<int, P>{});
    for (; i < p.out_size; ++i) run(i, std::integral_constant<int, 1>{});
    transpose_out(len_out);
}

template <class In>
UPRES_AVX512F void h_rows16_any(const AxisPlan& p, int channels, const In* const* in, float* const* out, float* scratch) {
    float* t = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~uintptr_t(63));
    float* o = t + size_t(p.in_size) * size_t(channels) * 16;
    switch (channels) {
        case 1: return rows16<1>(p, in, out, t, o);
        case 2: return rows16<2>(p, in, out, t, o);
        case 3: return rows16<3>(p, in, out, t, o);
        default: return rows16<4>(p, in, out, t, o);
    }
}

}  // namespace

void h_rows16(const AxisPlan& p, int channels, const float* const* in, float* const* out, float* scratch) {
    h_rows16_any(p, channels, in, out, scratch);
}

void h_rows16(const AxisPlan& p, int channels, const uint16_t* const* in, float* const* out, float* scratch) {
    h_rows16_any(p, channels, in, out, scratch);
}

}  // namespace upres::classical::floatpass::avx512
