#include "classical/alpha16.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

// GCC 12 warns inside its own AVX-512 headers (the undefined upper halves are intended).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

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
__attribute__((target_clones("avx2", "default"))) void premultiply(const uint8_t* in, int16_t* out, int32_t x0, int32_t pixels) {
    for (int32_t x = x0; x < pixels; ++x) {
        const int32_t a = in[x * C + C - 1];
        for (int c = 0; c < C - 1; ++c) out[x * C + c] = premultiplied(in[x * C + c], a);
        out[x * C + C - 1] = int16_t(a << 6);
    }
}

// premultiplied() for 8 RGBA pixels per step in 16-bit lanes: with u = c a + 2 (c a fits 16 bits
// unsigned), t = 64 c a + 128 = 64 u, so t >> 8 = u >> 2, t >> 16 = u >> 10 and
// (64 u + (u >> 2) + (u >> 10)) >> 8 = (u >> 2) + ((64 (u & 3) + (u >> 2) + (u >> 10)) >> 8),
// every term inside 16 bits. Returns where it stopped.
__attribute__((target("avx512f,avx512bw"))) int32_t premultiply_rgba_avx512(const uint8_t* in, int16_t* out,
                                                                         int32_t pixels) {
    const __m512i alpha_of = _mm512_broadcast_i32x4(_mm_setr_epi8(6, 7, 6, 7, 6, 7, 6, 7, 14, 15, 14, 15, 14, 15, 14, 15));
    const __mmask32 alpha_lanes = 0x88888888u;
    int32_t x = 0;
    for (; x + 8 <= pixels; x += 8) {
        const __m512i c = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + size_t(x) * 4)));
        const __m512i a = _mm512_shuffle_epi8(c, alpha_of);
        const __m512i u = _mm512_add_epi16(_mm512_mullo_epi16(c, a), _mm512_set1_epi16(2));
        const __m512i w = _mm512_srli_epi16(u, 2);
        const __m512i low = _mm512_slli_epi16(_mm512_and_si512(u, _mm512_set1_epi16(3)), 6);
        const __m512i inner = _mm512_add_epi16(_mm512_add_epi16(low, w), _mm512_srli_epi16(u, 10));
        const __m512i q = _mm512_add_epi16(w, _mm512_srli_epi16(inner, 8));
        _mm512_storeu_si512(out + size_t(x) * 4, _mm512_mask_slli_epi16(q, alpha_lanes, c, 6));
    }
    return x;
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

// floor(min(c * scale + 0.5, 255)) of 8 colour sums, the conversion doing the floor.
__attribute__((target("avx512f"))) inline __m256i unpremultiplied(__m256i c, __m512d scale) {
    const __m512d q = _mm512_add_pd(_mm512_mul_pd(_mm512_cvtepi32_pd(c), scale), _mm512_set1_pd(0.5));
    return _mm512_cvt_roundpd_epi32(_mm512_min_pd(q, _mm512_set1_pd(255.0)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}

// The same operations, 8 RGBA pixels per step (one division for all 8), one channel per vector:
// floor(min(x, 255)) with the conversion's own floor rounding, and the clamp below 0 (and the
// alpha clamp) left to the saturating packs. Returns where it stopped.
__attribute__((target("avx512f,avx512bw"))) int32_t unpremultiply_rgba_avx512(const int32_t* in, uint8_t* out,
                                                                           int32_t pixels, ScaleMemo* memo) {
    const __m512i rg = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    const __m512i ba = _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
    // After the packs each 128-bit lane holds R0-3 G0-3 B0-3 A0-3: transpose back to pixels.
    const __m256i to_pixels = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                               0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512d top = _mm512_set1_pd(255.0), zero = _mm512_setzero_pd();
    const __m256i round = _mm256_set1_epi32(1 << (kAccBits - 1));
    int32_t x = 0;
    for (; x + 8 <= pixels; x += 8) {
        const __m512i v0 = _mm512_loadu_si512(in + size_t(x) * 4), v1 = _mm512_loadu_si512(in + size_t(x) * 4 + 16);
        const __m512i vrg = _mm512_permutex2var_epi32(v0, rg, v1), vba = _mm512_permutex2var_epi32(v0, ba, v1);
        const __m256i ai = _mm512_extracti64x4_epi64(vba, 1);
        __m512d scale;
        // A division of 8 doubles costs more than the rest of the step: reuse the last row's.
        if (memo && _mm256_movemask_epi8(_mm256_cmpeq_epi32(ai, _mm256_loadu_si256(
                        reinterpret_cast<const __m256i*>(memo->alpha.data() + x)))) == -1) {
            scale = _mm512_loadu_pd(memo->scale.data() + x);
        } else {
            const __m512d a = _mm512_cvtepi32_pd(ai);
            scale = _mm512_maskz_div_pd(_mm512_cmp_pd_mask(a, zero, _CMP_GT_OQ), top, a);
            if (memo) {
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(memo->alpha.data() + x), ai);
                _mm512_storeu_pd(memo->scale.data() + x, scale);
            }
        }
        const __m256i r = unpremultiplied(_mm512_castsi512_si256(vrg), scale);
        const __m256i g = unpremultiplied(_mm512_extracti64x4_epi64(vrg, 1), scale);
        const __m256i b = unpremultiplied(_mm512_castsi512_si256(vba), scale);
        const __m256i alpha = _mm256_srai_epi32(_mm256_add_epi32(ai, round), kAccBits);
        const __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(r, g), _mm256_packs_epi32(b, alpha));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + size_t(x) * 4), _mm256_shuffle_epi8(bytes, to_pixels));
    }
    return x;
}

}  // namespace

void premultiply_row(const uint8_t* in, int16_t* out, int32_t pixels, int channels) {
    static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    if (channels == 2) premultiply<2>(in, out, 0, pixels);
    else premultiply<4>(in, out, avx512 ? premultiply_rgba_avx512(in, out, pixels) : 0, pixels);
}

// Opaque: A = 255 << 20, whose scale 255 / A = 2^-20 is exact.
ScaleMemo::ScaleMemo(int32_t pixels)
    : alpha(size_t(std::max(pixels, 0)) + 8, 255 << kAccBits), scale(size_t(std::max(pixels, 0)) + 8, std::ldexp(1.0, -kAccBits)) {}

void unpremultiply_row(const int32_t* in, uint8_t* out, int32_t pixels, int channels, bool avx512, ScaleMemo* memo) {
    if (channels == 2) return unpremultiply<2>(in, out, 0, pixels);
    unpremultiply<4>(in, out, avx512 ? unpremultiply_rgba_avx512(in, out, pixels, memo) : 0, pixels);
}

}  // namespace upres::classical::alpha16
