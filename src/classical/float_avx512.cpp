// AVX-512 f32 kernels (portable twins in float_passes.cpp, same operations in the same order).
// Horizontal: four output pixels per vector, one per 128-bit lane holding the pixel's channels.
// Vertical: 64 samples per step, the row's tail with masked loads and stores.
#include <immintrin.h>

#include <algorithm>
#include <type_traits>

#include "classical/float_passes.hpp"

// GCC 12 warns inside its own _mm512_cast* headers (the undefined upper half is intended).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define UPRES_AVX512F __attribute__((target("avx512f,avx512vl,fma")))

namespace upres::classical::floatpass::avx512 {

namespace {

UPRES_AVX512F inline __m512 four_lanes(const float* a, const float* b, const float* c, const float* d) {
    const __m256 ab = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(a)), _mm_loadu_ps(b), 1);
    const __m256 cd = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(c)), _mm_loadu_ps(d), 1);
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(ab)), _mm256_castps_pd(cd), 1));
}

template <int C>
UPRES_AVX512F void h_row_c(const AxisPlan& p, const float* in, float* out) {
    const int32_t taps = p.float_taps;
    const int32_t* first = p.float_first.data();
    // A pixel's 4-float loads reach (first + taps - 1) * C + 3; keep them inside the row.
    auto inside = [&](int64_t f) { return (f + taps - 1) * C + 4 <= int64_t(p.in_size) * C; };
    const __mmask16 keep = C == 4 ? 0xFFFF : C == 3 ? 0x7777 : C == 2 ? 0x3333 : 0x1111;
    // Integer-ratio downscales: the four windows of a group start d pixels apart with d * C <= 12,
    // so two 16-float loads per tap hold all four pixels' samples and one permute picks them
    // (instead of four 4-float loads and three inserts). Same values per lane, same arithmetic.
    const int32_t mid = p.out_size / 2;
    const int32_t d = p.out_size >= 2 ? first[std::min(mid + 1, p.out_size - 1)] - first[std::min(mid, p.out_size - 2)] : 0;
    const bool periodic = d > 0 && d * C <= 12;
    const int32_t dc = d * C;
    const __m512i pick = _mm512_setr_epi32(0, 1, 2, 3, dc, dc + 1, dc + 2, dc + 3, 16, 17, 18, 19, 16 + dc, 17 + dc, 18 + dc, 19 + dc);
    // The group's windows step by d and both 16-float loads of its last tap stay inside the row.
    auto fits = [&](int32_t i) {
        const int64_t f = first[i];
        return first[i + 1] == f + d && first[i + 2] == f + 2 * d && first[i + 3] == f + 3 * d &&
               (f + 2 * d + taps - 1) * C + 16 <= int64_t(p.in_size) * C;
    };
    auto store = [&](int32_t i, __m512 acc) UPRES_AVX512F {
        if constexpr (C == 4)
            _mm512_storeu_ps(out + size_t(i) * 4, acc);
        else
            _mm512_mask_storeu_ps(out + size_t(i) * C, __mmask16((1u << (4 * C)) - 1), _mm512_maskz_compress_ps(keep, acc));
    };
    // G groups of four pixels per call, each with its own FMA chain (one chain at a time waited
    // on the FMA latency at every tap); the same operations per lane in the same order.
    // Periodic groups: two 16-float loads and a permute per tap.
    auto periodic_groups = [&](auto groups, int32_t i) UPRES_AVX512F {
        constexpr int G = decltype(groups)::value;
        const float* s[G];
        const float* w[G];
        __m512 anchor[G], acc[G];
        for (int g = 0; g < G; ++g) {
            s[g] = in + size_t(first[i + 4 * g]) * C;
            w[g] = p.float_group(i + 4 * g);
            anchor[g] = acc[g] = _mm512_permutex2var_ps(_mm512_loadu_ps(s[g]), pick, _mm512_loadu_ps(s[g] + 2 * size_t(dc)));
        }
        for (int32_t k = 1; k < taps; ++k) {
            const size_t o = size_t(k) * C;
            for (int g = 0; g < G; ++g) {
                const __m512 v = _mm512_permutex2var_ps(_mm512_loadu_ps(s[g] + o), pick, _mm512_loadu_ps(s[g] + 2 * size_t(dc) + o));
                acc[g] = _mm512_fmadd_ps(_mm512_loadu_ps(w[g] + size_t(k) * 16), _mm512_sub_ps(v, anchor[g]), acc[g]);
            }
        }
        for (int g = 0; g < G; ++g) store(i + 4 * g, acc[g]);
    };
    // Any windows: four 4-float loads per tap.
    auto generic_groups = [&](auto groups, int32_t i) UPRES_AVX512F {
        constexpr int G = decltype(groups)::value;
        const float* s[G][4];
        const float* w[G];
        __m512 anchor[G], acc[G];
        for (int g = 0; g < G; ++g) {
            for (int j = 0; j < 4; ++j) s[g][j] = in + size_t(first[i + 4 * g + j]) * C;
            w[g] = p.float_group(i + 4 * g);
            anchor[g] = acc[g] = four_lanes(s[g][0], s[g][1], s[g][2], s[g][3]);
        }
        for (int32_t k = 1; k < taps; ++k) {
            const size_t o = size_t(k) * C;
            for (int g = 0; g < G; ++g) {
                const __m512 v = four_lanes(s[g][0] + o, s[g][1] + o, s[g][2] + o, s[g][3] + o);
                acc[g] = _mm512_fmadd_ps(_mm512_loadu_ps(w[g] + size_t(k) * 16), _mm512_sub_ps(v, anchor[g]), acc[g]);
            }
        }
        for (int g = 0; g < G; ++g) store(i + 4 * g, acc[g]);
    };
    auto generic_inside = [&](int32_t i) {
        return inside(std::max(std::max(first[i], first[i + 1]), std::max(first[i + 2], first[i + 3])));
    };
    using One = std::integral_constant<int, 1>;
    using Four = std::integral_constant<int, 4>;
    // One group: the fastest form it allows (pixels whose loads would leave the row go to h_pixel).
    auto one_group = [&](int32_t i) UPRES_AVX512F {
        if (periodic && fits(i)) return periodic_groups(One{}, i);
        if (generic_inside(i)) return generic_groups(One{}, i);
        for (int j = 0; j < 4; ++j) h_pixel<C>(p, in, out, i + j);
    };
    int32_t i = 0;
    for (; i + 16 <= p.out_size; i += 16) {
        bool all_periodic = periodic, all_inside = true;
        for (int g = 0; g < 4; ++g) {
            all_periodic = all_periodic && fits(i + 4 * g);
            all_inside = all_inside && generic_inside(i + 4 * g);
        }
        if (all_periodic) {
            periodic_groups(Four{}, i);
        } else if (all_inside) {
            generic_groups(Four{}, i);
        } else {
            for (int g = 0; g < 4; ++g) one_group(i + 4 * g);
        }
    }
    for (; i + 4 <= p.out_size; i += 4) one_group(i);
    for (; i < p.out_size; ++i) h_pixel<C>(p, in, out, i);
}

// v_row's operations on the samples [x, end) of one output row (the same bits for any split).
UPRES_AVX512F inline void v_span(const float* const* rows, const float* w, int32_t n, float* out, size_t x, size_t end) {
    const float* a = rows[0];
    for (; x + 64 <= end; x += 64) {
        const __m512 a0 = _mm512_loadu_ps(a + x), a1 = _mm512_loadu_ps(a + x + 16);
        const __m512 a2 = _mm512_loadu_ps(a + x + 32), a3 = _mm512_loadu_ps(a + x + 48);
        __m512 c0 = a0, c1 = a1, c2 = a2, c3 = a3;
        for (int32_t k = 1; k < n; ++k) {
            const __m512 wk = _mm512_set1_ps(w[k]);
            const float* r = rows[k] + x;
            c0 = _mm512_fmadd_ps(wk, _mm512_sub_ps(_mm512_loadu_ps(r), a0), c0);
            c1 = _mm512_fmadd_ps(wk, _mm512_sub_ps(_mm512_loadu_ps(r + 16), a1), c1);
            c2 = _mm512_fmadd_ps(wk, _mm512_sub_ps(_mm512_loadu_ps(r + 32), a2), c2);
            c3 = _mm512_fmadd_ps(wk, _mm512_sub_ps(_mm512_loadu_ps(r + 48), a3), c3);
        }
        _mm512_storeu_ps(out + x, c0);
        _mm512_storeu_ps(out + x + 16, c1);
        _mm512_storeu_ps(out + x + 32, c2);
        _mm512_storeu_ps(out + x + 48, c3);
    }
    for (; x < end; x += 16) {
        const __mmask16 m = end - x >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (end - x)) - 1);
        const __m512 a0 = _mm512_maskz_loadu_ps(m, a + x);
        __m512 c0 = a0;
        for (int32_t k = 1; k < n; ++k)
            c0 = _mm512_fmadd_ps(_mm512_set1_ps(w[k]), _mm512_sub_ps(_mm512_maskz_loadu_ps(m, rows[k] + x), a0), c0);
        _mm512_mask_storeu_ps(out + x, m, c0);
    }
}

}  // namespace

bool available() {
    static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                            __builtin_cpu_supports("fma");
    return yes;
}

UPRES_AVX512F void h_row(const AxisPlan& p, int channels, const float* in, float* out) {
    switch (channels) {
        case 1: return h_row_c<1>(p, in, out);
        case 2: return h_row_c<2>(p, in, out);
        case 3: return h_row_c<3>(p, in, out);
        default: return h_row_c<4>(p, in, out);
    }
}

UPRES_AVX512F void v_row(const float* const* rows, const float* w, int32_t n, float* out, size_t len) {
    v_span(rows, w, n, out, 0, len);
}

// float_to_u16's operations, 16 samples per step (the conversion truncates an integral value).
UPRES_AVX512F size_t float_to_u16(const float* in, uint16_t* out, size_t n) {
    const __m512 half = _mm512_set1_ps(0.5f), zero = _mm512_setzero_ps(), top = _mm512_set1_ps(65535.0f);
    size_t x = 0;
    for (; x + 16 <= n; x += 16) {
        const __m512 v = _mm512_roundscale_ps(_mm512_add_ps(_mm512_loadu_ps(in + x), half), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        const __m512i i = _mm512_cvttps_epi32(_mm512_min_ps(_mm512_max_ps(v, zero), top));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x), _mm512_cvtusepi32_epi16(i));
    }
    return x;
}

UPRES_AVX512F void v_rows(const float* const* rows, int32_t nu, int outputs, const int32_t* off, const int32_t* n,
                          const float* const* w, float* const* out, size_t len, const float* const* next, int32_t n_next) {
    // Column strips small enough that the union's rows stay in L1 while every output reads them.
    const size_t strip = std::max<size_t>(64, size_t(16 * 1024 / (4 * std::max(nu, 1))) / 64 * 64);
    for (size_t x = 0; x < len; x += strip) {
        const size_t end = std::min(len, x + strip);
        // The next sweep's new rows, requested a whole sweep ahead (DRAM latency hides behind
        // this sweep's arithmetic; short interleaved row streams starve the hardware prefetcher).
        for (int32_t j = 0; j < n_next; ++j)
            for (size_t p = x; p < end; p += 16) _mm_prefetch(reinterpret_cast<const char*>(next[j] + p), _MM_HINT_T1);
        for (int r = 0; r < outputs; ++r) v_span(rows + off[r], w[r], n[r], out[r], x, end);
    }
}

}  // namespace upres::classical::floatpass::avx512

