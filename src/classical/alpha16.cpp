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
// it is (C + 2^19) >> 20, the rounding of the image without alpha. (At an exact tie,
// 510 C = (2k - 1) A, it gives k - 1 where 255 / A rounded down far enough, e.g. C = 25, A = 50:
// 127, not 128. The vector kernels reproduce that.)
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

// floor(min(c * scale + 0.5, 255)) of 8 colour sums, the conversion doing the floor (the AVX2 twin
// in alpha16_avx2.cpp rests on this argument too). One FMA for
// the portable code's multiply then add (one operation of five fewer), the same bytes: away
// from ties (510 c = (2k - 1) A) both are within 2^-43 of 255 c / A + 0.5, itself at least 2^-32
// from an integer; at a tie c * scale is within 2^-44 of k - 0.5, whose binade also holds the
// numbers just below k with the same spacing (0.5 a multiple of it), so both round to the same
// side of k, ties to even alike (k = 1 crosses a binade and still rounds up both ways). The
// tests compare the two on every kind of tie.
__attribute__((target("avx512f"))) inline __m256i unpremultiplied(__m256i c, __m512d scale) {
    const __m512d q = _mm512_fmadd_pd(_mm512_cvtepi32_pd(c), scale, _mm512_set1_pd(0.5));
    return _mm512_cvt_roundpd_epi32(_mm512_min_pd(q, _mm512_set1_pd(255.0)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}

// A ScaleMemo's arrays, all null without one (held in locals: the kernels' byte stores could
// alias the vectors' own pointers, which the compiler would then reload at every step).
struct MemoArrays {
    int32_t* alpha = nullptr;
    double* scale = nullptr;
    uint8_t* opaque = nullptr;
    int32_t* opaque_groups = nullptr;
    explicit MemoArrays(ScaleMemo* memo) {
        if (memo)
            alpha = memo->alpha.data(), scale = memo->scale.data(), opaque = memo->opaque.data(),
            opaque_groups = &memo->opaque_groups;
    }
};

// floor(c / 2^20 + 0.5) per lane without overflow (c + 2^19 could pass 2^31): what the double
// path gives where A = 255 << 20 (its scale 2^-20 is exact, so is the sum).
__attribute__((target("avx512f"))) inline __m512i rounded_acc(__m512i c) {
    const __m512i halves = _mm512_srai_epi32(c, kAccBits - 1);
    return _mm512_srai_epi32(_mm512_add_epi32(halves, _mm512_set1_epi32(1)), 1);
}

// The same operations for 8 RGBA pixels given one channel per 256-bit half (vrg: R then G, vba:
// B then A; `pixel_of` orders them), one division for all 8: floor(min(x, 255)) with the
// conversion's own floor rounding, and the clamp below 0 (and the alpha clamp) left to the
// saturating packs. Returns the 8 pixels' 32 bytes. `CheckOpaque`: look up whether a reused group
// is opaque (only worth a test per group where the memo holds any).
template <bool CheckOpaque>
__attribute__((target("avx512f,avx512bw"))) inline __m256i unpremultiply8(__m512i vrg, __m512i vba, int32_t x,
                                                                         const MemoArrays& memo, __m256i pixel_of) {
    const __m512d top = _mm512_set1_pd(255.0), zero = _mm512_setzero_pd();
    const __m256i ai = _mm512_extracti64x4_epi64(vba, 1);
    __m512d scale;
    // A division of 8 doubles costs more than the rest of the step: reuse the last row's.
    if (memo.alpha && _mm256_movemask_epi8(_mm256_cmpeq_epi32(
                          ai, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(memo.alpha + x)))) == -1) {
        if (CheckOpaque && memo.opaque[x / 8]) {
            const __m512i rg = rounded_acc(vrg), ba = rounded_acc(vba);
            const __m256i bytes = _mm256_packus_epi16(
                _mm256_packs_epi32(_mm512_castsi512_si256(rg), _mm512_extracti64x4_epi64(rg, 1)),
                _mm256_packs_epi32(_mm512_castsi512_si256(ba), _mm512_extracti64x4_epi64(ba, 1)));
            return _mm256_shuffle_epi8(bytes, pixel_of);
        }
        scale = _mm512_loadu_pd(memo.scale + x);
    } else {
        const __m512d a = _mm512_cvtepi32_pd(ai);
        scale = _mm512_maskz_div_pd(_mm512_cmp_pd_mask(a, zero, _CMP_GT_OQ), top, a);
        if (memo.alpha) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(memo.alpha + x), ai);
            _mm512_storeu_pd(memo.scale + x, scale);
            const bool opaque = _mm256_movemask_epi8(_mm256_cmpeq_epi32(ai, _mm256_set1_epi32(255 << kAccBits))) == -1;
            *memo.opaque_groups += int32_t(opaque) - int32_t(memo.opaque[x / 8]);
            memo.opaque[x / 8] = uint8_t(opaque);
        }
    }
    const __m256i r = unpremultiplied(_mm512_castsi512_si256(vrg), scale);
    const __m256i g = unpremultiplied(_mm512_extracti64x4_epi64(vrg, 1), scale);
    const __m256i b = unpremultiplied(_mm512_castsi512_si256(vba), scale);
    const __m256i alpha = _mm256_srai_epi32(_mm256_add_epi32(ai, _mm256_set1_epi32(1 << (kAccBits - 1))), kAccBits);
    const __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(r, g), _mm256_packs_epi32(b, alpha));
    return _mm256_shuffle_epi8(bytes, pixel_of);
}

// After the packs each 128-bit lane holds R0-3 G0-3 B0-3 A0-3 (pixels in channel order): transpose
// back to pixels.
__attribute__((target("avx512f,avx512bw"))) inline __m256i pixels_from_packs() {
    return _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                            0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
}

// 8 RGBA pixels per step from a row of sums. Returns where it stopped.
template <bool CheckOpaque>
__attribute__((target("avx512f,avx512bw"))) int32_t unpremultiply_rgba_avx512(const int32_t* in, uint8_t* out,
                                                                           int32_t pixels, ScaleMemo* memo) {
    const __m512i rg = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    const __m512i ba = _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
    const __m256i pixel_of = pixels_from_packs();
    const MemoArrays memo_arrays(memo);
    int32_t x = 0;
    for (; x + 8 <= pixels; x += 8) {
        const __m512i v0 = _mm512_loadu_si512(in + size_t(x) * 4), v1 = _mm512_loadu_si512(in + size_t(x) * 4 + 16);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + size_t(x) * 4),
                            unpremultiply8<CheckOpaque>(_mm512_permutex2var_epi32(v0, rg, v1),
                                                        _mm512_permutex2var_epi32(v0, ba, v1), x, memo_arrays, pixel_of));
    }
    return x;
}

// Taps k and k + 1 of a vertical window as a madd weight pair and two row pointers (weight 0 and
// the same row again for an odd last tap).
__attribute__((target("avx512f,avx512bw"))) inline void tap_pair(const int16_t* const* rows, const int16_t* w, int32_t n,
                                                                int32_t k, __m512i& weight, const int16_t*& a,
                                                                const int16_t*& b) {
    const uint16_t lo = uint16_t(w[k]), hi = k + 1 < n ? uint16_t(w[k + 1]) : 0;
    weight = _mm512_set1_epi32(int32_t(uint32_t(lo) | (uint32_t(hi) << 16)));
    a = rows[k];
    b = k + 1 < n ? rows[k + 1] : rows[k];
}

// The 8 pixels from x of the fused kernel below: vertical sums, then the un-premultiply.
template <int Pairs, bool CheckOpaque>
__attribute__((target("avx512f,avx512bw"), always_inline)) inline __m256i fused8(
    const int16_t* const* rows, const int16_t* w, int32_t n, int32_t pairs, const __m512i* wk, const int16_t* const* ra,
    const int16_t* const* rb, int32_t x, const MemoArrays& memo, __m256i pixel_of) {
    const size_t o = size_t(x) * 4;
    __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
    for (int32_t g = 0; g < pairs; ++g) {
        __m512i weight;
        const int16_t *a, *b;
        if constexpr (Pairs > 0) weight = wk[g], a = ra[g], b = rb[g];
        else tap_pair(rows, w, n, 2 * g, weight, a, b);
        const __m512i va = _mm512_loadu_si512(a + o), vb = _mm512_loadu_si512(b + o);
        even = _mm512_add_epi32(even, _mm512_madd_epi16(_mm512_unpacklo_epi16(va, vb), weight));
        odd = _mm512_add_epi32(odd, _mm512_madd_epi16(_mm512_unpackhi_epi16(va, vb), weight));
    }
    return unpremultiply8<CheckOpaque>(even, odd, x, memo, pixel_of);
}

// The second pass fused with the un-premultiply: v_mid_to_acc's exact int32 sums for 8 pixels stay
// in registers and go straight to unpremultiply8 (no row of sums making a round trip through the
// cache). The rows in fixed16::avx512::h_mid_to_mid_blocks' order make the unpacked sums one
// channel per 256-bit half. `Pairs` > 0 fixes the number of tap pairs so the row pointers and
// weights stay in registers; 0 takes n at run time.
template <int Pairs, bool Stream, bool CheckOpaque>
__attribute__((target("avx512f,avx512bw"))) int32_t v_unpremultiply_rgba(const int16_t* const* rows, const int16_t* w,
                                                                       int32_t n, uint8_t* out, int32_t pixels,
                                                                       ScaleMemo& memo) {
    const int32_t pairs = Pairs > 0 ? Pairs : (n + 1) / 2;
    const __m256i pixel_of = pixels_from_packs();
    const MemoArrays memo_arrays(&memo);
    constexpr int kHeld = Pairs > 0 ? Pairs : 1;
    __m512i wk[kHeld];
    const int16_t* ra[kHeld];
    const int16_t* rb[kHeld];
    if constexpr (Pairs > 0)
        for (int g = 0; g < Pairs; ++g) tap_pair(rows, w, n, 2 * g, wk[g], ra[g], rb[g]);
    int32_t x = 0;
    // Streaming: whole 64-byte lines per store (a line written in halves may reach memory in halves).
    if constexpr (Stream)
        for (; x + 16 <= pixels; x += 16) {
            const __m256i lo = fused8<Pairs, CheckOpaque>(rows, w, n, pairs, wk, ra, rb, x, memo_arrays, pixel_of);
            const __m256i hi = fused8<Pairs, CheckOpaque>(rows, w, n, pairs, wk, ra, rb, x + 8, memo_arrays, pixel_of);
            _mm512_stream_si512(reinterpret_cast<__m512i*>(out + size_t(x) * 4),
                                _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
        }
    for (; x + 8 <= pixels; x += 8)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + size_t(x) * 4),
                            fused8<Pairs, CheckOpaque>(rows, w, n, pairs, wk, ra, rb, x, memo_arrays, pixel_of));
    return x;
}

template <int Pairs>
int32_t v_unpremultiply_rgba_variant(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out,
                                     int32_t pixels, bool stream, ScaleMemo& memo) {
    const bool check = memo.opaque_groups > 0;
    if (stream) return check ? v_unpremultiply_rgba<Pairs, true, true>(rows, w, n, out, pixels, memo)
                             : v_unpremultiply_rgba<Pairs, true, false>(rows, w, n, out, pixels, memo);
    return check ? v_unpremultiply_rgba<Pairs, false, true>(rows, w, n, out, pixels, memo)
                 : v_unpremultiply_rgba<Pairs, false, false>(rows, w, n, out, pixels, memo);
}

}  // namespace

void premultiply_row(const uint8_t* in, int16_t* out, int32_t pixels, int channels, Vector v) {
    if (channels == 2) return premultiply<2>(in, out, 0, pixels);
    const int32_t x0 = v == Vector::avx512 ? premultiply_rgba_avx512(in, out, pixels)
                       : v == Vector::avx2 ? avx2::premultiply_rgba(in, out, pixels)
                                           : 0;
    premultiply<4>(in, out, x0, pixels);
}

// Opaque: A = 255 << 20, whose scale 255 / A = 2^-20 is exact.
ScaleMemo::ScaleMemo(int32_t pixels)
    : alpha(size_t(std::max(pixels, 0)) + 8, 255 << kAccBits), scale(size_t(std::max(pixels, 0)) + 8, std::ldexp(1.0, -kAccBits)),
      opaque(size_t(std::max(pixels, 0)) / 8, 1), opaque_groups(int32_t(opaque.size())) {}

int32_t v_mid_unpremultiply_rgba_avx512(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out,
                                        int32_t pixels, bool stream, ScaleMemo& memo) {
    stream = stream && reinterpret_cast<uintptr_t>(out) % 64 == 0;  // whole lines only
    switch (n) {
        case 1:
        case 2: return v_unpremultiply_rgba_variant<1>(rows, w, n, out, pixels, stream, memo);
        case 3:
        case 4: return v_unpremultiply_rgba_variant<2>(rows, w, n, out, pixels, stream, memo);
        case 5:
        case 6: return v_unpremultiply_rgba_variant<3>(rows, w, n, out, pixels, stream, memo);
        default: return v_unpremultiply_rgba_variant<0>(rows, w, n, out, pixels, stream, memo);
    }
}

void end_streaming() { _mm_sfence(); }

void unpremultiply_row(const int32_t* in, uint8_t* out, int32_t pixels, int channels, Vector v, ScaleMemo* memo,
                       bool stream) {
    if (channels == 2) return unpremultiply<2>(in, out, 0, pixels);
    int32_t x0 = 0;
    if (v == Vector::avx512)
        x0 = memo && memo->opaque_groups > 0 ? unpremultiply_rgba_avx512<true>(in, out, pixels, memo)
                                             : unpremultiply_rgba_avx512<false>(in, out, pixels, memo);
    else if (v == Vector::avx2)
        x0 = avx2::unpremultiply_rgba(in, out, pixels, memo, stream);
    unpremultiply<4>(in, out, x0, pixels);
}

}  // namespace upres::classical::alpha16
