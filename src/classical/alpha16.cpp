#include "classical/alpha16.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

// GCC 12 warns inside its own AVX-512 headers (the undefined upper halves are intended).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace upres::classical::alpha16 {

namespace {

constexpr int kAccBits = 20;  // 14 weight bits + 6 mid bits

// round(c * a * 64 / 255) = floor((64 c a + 127) / 255), with the division by 255 done in shifts
// and adds (equal for every c, a in 0..255; the tests check all of them) so it vectorises.
inline int16_t premultiplied(int32_t c, int32_t a) {
    const int32_t t = 64 * c * a + 128;
    return int16_t((t + (t >> 8) + (t >> 16)) >> 8);
}

// Cloned for AVX2 only for speed: the same integer and IEEE double operations either way (no FMA
// contraction in this directory), so both clones give the same bits.
template <int C>
__attribute__((target_clones("avx2", "default"))) void premultiply(const uint8_t* in, int16_t* out, int32_t pixels) {
    for (int32_t x = 0; x < pixels; ++x) {
        const int32_t a = in[x * C + C - 1];
        for (int c = 0; c < C - 1; ++c) out[x * C + c] = premultiplied(in[x * C + c], a);
        out[x * C + C - 1] = int16_t(a << 6);
    }
}

// floor(q + 0.5) of q = C * (255 / A) is exact: the true quotient is never closer than 1 / (2A)
// to a half level except at exact ties, far above double rounding; with A = 255 << 20 (opaque)
// it is (C + 2^19) >> 20, the rounding of the image without alpha.
template <int C>
__attribute__((target_clones("avx2", "default"))) void unpremultiply(const int32_t* in, uint8_t* out, int32_t x0, int32_t pixels) {
    for (int32_t x = x0; x < pixels; ++x) {
        const int32_t a = in[x * C + C - 1];
        const double scale = a > 0 ? 255.0 / double(a) : 0.0;
        for (int c = 0; c < C - 1; ++c) {
            const double q = std::floor(double(in[x * C + c]) * scale + 0.5);
            out[x * C + c] = uint8_t(std::clamp(q, 0.0, 255.0));
        }
        out[x * C + C - 1] = uint8_t(std::clamp((a + (1 << (kAccBits - 1))) >> kAccBits, 0, 255));
    }
}

// The same operations, 8 RGBA pixels per step (one division for all 8); returns where it stopped.
__attribute__((target("avx512f"))) int32_t unpremultiply_rgba_avx512(const int32_t* in, uint8_t* out, int32_t pixels) {
    const __m512i alphas = _mm512_setr_epi32(3, 7, 11, 15, 19, 23, 27, 31, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512d half = _mm512_set1_pd(0.5), top = _mm512_set1_pd(255.0), zero = _mm512_setzero_pd();
    const __m512i round = _mm512_set1_epi32(1 << (kAccBits - 1));
    const __mmask16 alpha_lanes = 0x8888;
    int32_t x = 0;
    for (; x + 8 <= pixels; x += 8) {
        const __m512i v0 = _mm512_loadu_si512(in + size_t(x) * 4), v1 = _mm512_loadu_si512(in + size_t(x) * 4 + 16);
        const __m512d a = _mm512_cvtepi32_pd(_mm512_castsi512_si256(_mm512_permutex2var_epi32(v0, alphas, v1)));
        const __m512d scale = _mm512_maskz_div_pd(_mm512_cmp_pd_mask(a, zero, _CMP_GT_OQ), top, a);
        __m512i colour[2];
        for (int h = 0; h < 2; ++h) {
            const __m512i v = h ? v1 : v0;
            __m256i c[2];
            for (int q = 0; q < 2; ++q) {  // pixels 4h + 2q, 4h + 2q + 1
                const int p = 4 * h + 2 * q;
                const __m512d s = _mm512_permutexvar_pd(_mm512_setr_epi64(p, p, p, p, p + 1, p + 1, p + 1, p + 1), scale);
                const __m512d d = _mm512_cvtepi32_pd(q ? _mm512_extracti64x4_epi64(v, 1) : _mm512_castsi512_si256(v));
                __m512d r = _mm512_roundscale_pd(_mm512_add_pd(_mm512_mul_pd(d, s), half), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
                r = _mm512_min_pd(_mm512_max_pd(r, zero), top);
                c[q] = _mm512_cvtpd_epi32(r);
            }
            colour[h] = _mm512_inserti64x4(_mm512_castsi256_si512(c[0]), c[1], 1);
            const __m512i alpha = _mm512_min_epi32(_mm512_max_epi32(_mm512_srai_epi32(_mm512_add_epi32(v, round), kAccBits),
                                                                    _mm512_setzero_si512()), _mm512_set1_epi32(255));
            colour[h] = _mm512_mask_blend_epi32(alpha_lanes, colour[h], alpha);
        }
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + size_t(x) * 4), _mm512_cvtepi32_epi8(colour[0]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + size_t(x) * 4 + 16), _mm512_cvtepi32_epi8(colour[1]));
    }
    return x;
}

}  // namespace

void premultiply_row(const uint8_t* in, int16_t* out, int32_t pixels, int channels) {
    if (channels == 2) premultiply<2>(in, out, pixels);
    else premultiply<4>(in, out, pixels);
}

void unpremultiply_row(const int32_t* in, uint8_t* out, int32_t pixels, int channels, bool avx512) {
    if (channels == 2) return unpremultiply<2>(in, out, 0, pixels);
    unpremultiply<4>(in, out, avx512 ? unpremultiply_rgba_avx512(in, out, pixels) : 0, pixels);
}

}  // namespace upres::classical::alpha16
