// AVX2 (+FMA) twins of alpha16's RGBA kernels, for CPUs without AVX-512: the same steps as the
// AVX-512 kernels, half as wide. See alpha16.cpp for why the arithmetic is exact (the
// un-premultiply's one FMA included).
#include <immintrin.h>

#include <type_traits>

#include "classical/alpha16.hpp"

#define UPRES_AVX2 __attribute__((target("avx2,fma")))

namespace upres::classical::alpha16::avx2 {

namespace {

constexpr int kAccBits = 20;  // 14 weight bits + 6 mid bits

// alpha16.cpp's premultiply_rgba_avx512 for 4 pixels (two per 128-bit lane): with u = c a + 2,
// round(c a 64 / 255) = (u >> 2) + ((64 (u & 3) + (u >> 2) + (u >> 10)) >> 8) in 16-bit lanes.
UPRES_AVX2 inline __m256i premultiplied4(const uint8_t* in) {
    const __m256i alpha_of = _mm256_setr_epi8(6, 7, 6, 7, 6, 7, 6, 7, 14, 15, 14, 15, 14, 15, 14, 15,  //
                                              6, 7, 6, 7, 6, 7, 6, 7, 14, 15, 14, 15, 14, 15, 14, 15);
    const __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in)));
    const __m256i a = _mm256_shuffle_epi8(c, alpha_of);
    const __m256i u = _mm256_add_epi16(_mm256_mullo_epi16(c, a), _mm256_set1_epi16(2));
    const __m256i w = _mm256_srli_epi16(u, 2);
    const __m256i low = _mm256_slli_epi16(_mm256_and_si256(u, _mm256_set1_epi16(3)), 6);
    const __m256i inner = _mm256_add_epi16(_mm256_add_epi16(low, w), _mm256_srli_epi16(u, 10));
    const __m256i q = _mm256_add_epi16(w, _mm256_srli_epi16(inner, 8));
    return _mm256_blend_epi16(q, _mm256_slli_epi16(c, 6), 0x88);  // alpha: a << 6
}

// The portable clamp(floor(c * scale + 0.5), 0, 255) of 4 colour sums, with one FMA for its
// multiply then add (the same bytes: alpha16.cpp's `unpremultiplied`), the clamp below 0 left to
// the saturating packs: the conversion truncates, which is the floor for q >= 0 and gives <= 0
// (INT_MIN past int32) where q < 0, so 0 either way.
UPRES_AVX2 inline __m128i unpremultiplied4(__m128i c, __m256d scale) {
    const __m256d q = _mm256_fmadd_pd(_mm256_cvtepi32_pd(c), scale, _mm256_set1_pd(0.5));
    return _mm256_cvttpd_epi32(_mm256_min_pd(q, _mm256_set1_pd(255.0)));
}

UPRES_AVX2 inline __m256i unpremultiplied8(__m256i c, __m256d scale_lo, __m256d scale_hi) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(unpremultiplied4(_mm256_castsi256_si128(c), scale_lo)),
                                   unpremultiplied4(_mm256_extracti128_si256(c, 1), scale_hi), 1);
}

// floor(c / 2^20 + 0.5) without overflow: the double path's result where A = 255 << 20.
UPRES_AVX2 inline __m256i rounded_acc(__m256i c) {
    return _mm256_srai_epi32(_mm256_add_epi32(_mm256_srai_epi32(c, kAccBits - 1), _mm256_set1_epi32(1)), 1);
}

// Channel vectors of 8 pixels (pixels 0-3 | 4-7) -> the 8 pixels' 32 bytes: after the packs each
// 128-bit lane holds R G B A of its 4 pixels, which a byte shuffle transposes back.
UPRES_AVX2 inline __m256i pixels_from_channels(__m256i r, __m256i g, __m256i b, __m256i a) {
    const __m256i pixel_of = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,  //
                                              0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm256_shuffle_epi8(_mm256_packus_epi16(_mm256_packs_epi32(r, g), _mm256_packs_epi32(b, a)), pixel_of);
}

template <bool Stream>
UPRES_AVX2 inline void store8(uint8_t* out, __m256i bytes) {
    if constexpr (Stream) _mm256_stream_si256(reinterpret_cast<__m256i*>(out), bytes);
    else _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), bytes);
}

}  // namespace

bool available() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}

UPRES_AVX2 int32_t premultiply_rgba(const uint8_t* in, int16_t* out, int32_t pixels) {
    int32_t x = 0;
    for (; x + 8 <= pixels; x += 8) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + size_t(x) * 4), premultiplied4(in + size_t(x) * 4));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + size_t(x) * 4 + 16), premultiplied4(in + size_t(x) * 4 + 16));
    }
    return x;
}

namespace {

// A ScaleMemo's arrays and opaque count held in locals (the byte stores could alias the vectors'
// own pointers), all null without one.
struct MemoState {
    int32_t* alpha = nullptr;
    double* scale = nullptr;
    uint8_t* opaque = nullptr;
    int32_t opaque_groups = 0;
    bool check_opaque = false;  // fixed per row: worth a test per group only where any are opaque
    explicit MemoState(ScaleMemo* memo) {
        if (memo)
            alpha = memo->alpha.data(), scale = memo->scale.data(), opaque = memo->opaque.data(),
            opaque_groups = memo->opaque_groups, check_opaque = opaque_groups > 0;
    }
};

// The 8 pixels from x given as channel vectors (pixels 0-3 | 4-7): the memo (as in the AVX-512
// kernel) skips the division where a group's alpha sums repeat the last row's, and the doubles
// where they are opaque. Returns the pixels' 32 bytes.
UPRES_AVX2 inline __m256i unpremultiply8(__m256i r, __m256i g, __m256i b, __m256i a, int32_t x, MemoState& memo) {
    const __m256d top = _mm256_set1_pd(255.0), zero = _mm256_setzero_pd();
    __m256d scale_lo, scale_hi;
    if (memo.alpha && _mm256_movemask_epi8(_mm256_cmpeq_epi32(
                          a, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(memo.alpha + x)))) == -1) {
        if (memo.check_opaque && memo.opaque[x / 8]) {
            return pixels_from_channels(rounded_acc(r), rounded_acc(g), rounded_acc(b), rounded_acc(a));
        }
        scale_lo = _mm256_loadu_pd(memo.scale + x);
        scale_hi = _mm256_loadu_pd(memo.scale + x + 4);
    } else {
        const __m256d a_lo = _mm256_cvtepi32_pd(_mm256_castsi256_si128(a));
        const __m256d a_hi = _mm256_cvtepi32_pd(_mm256_extracti128_si256(a, 1));
        // 255 / A where A > 0, else 0 (the mask also drops the division's inf).
        scale_lo = _mm256_and_pd(_mm256_cmp_pd(a_lo, zero, _CMP_GT_OQ), _mm256_div_pd(top, a_lo));
        scale_hi = _mm256_and_pd(_mm256_cmp_pd(a_hi, zero, _CMP_GT_OQ), _mm256_div_pd(top, a_hi));
        if (memo.alpha) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(memo.alpha + x), a);
            _mm256_storeu_pd(memo.scale + x, scale_lo);
            _mm256_storeu_pd(memo.scale + x + 4, scale_hi);
            const bool opaque = _mm256_movemask_epi8(_mm256_cmpeq_epi32(a, _mm256_set1_epi32(255 << kAccBits))) == -1;
            memo.opaque_groups += int32_t(opaque) - int32_t(memo.opaque[x / 8]);
            memo.opaque[x / 8] = uint8_t(opaque);
        }
    }
    const __m256i alpha = _mm256_srai_epi32(_mm256_add_epi32(a, _mm256_set1_epi32(1 << (kAccBits - 1))), kAccBits);
    return pixels_from_channels(unpremultiplied8(r, scale_lo, scale_hi), unpremultiplied8(g, scale_lo, scale_hi),
                                unpremultiplied8(b, scale_lo, scale_hi), alpha);
}

template <bool Stream>
UPRES_AVX2 int32_t unpremultiply_rgba_impl(const int32_t* in, uint8_t* out, int32_t pixels, ScaleMemo* memo) {
    MemoState state(memo);
    int32_t x = 0;
    for (; x + 8 <= pixels; x += 8) {
        const int32_t* s = in + size_t(x) * 4;
        __m256i v[4];
        for (int j = 0; j < 4; ++j)
            v[j] = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 4 * j))),
                                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 4 * j + 16)), 1);
        // v[j] = pixel j | j + 4: a 4 x 4 transpose per 128-bit lane gives the channel vectors.
        const __m256i rg01 = _mm256_unpacklo_epi32(v[0], v[1]), ba01 = _mm256_unpackhi_epi32(v[0], v[1]);
        const __m256i rg23 = _mm256_unpacklo_epi32(v[2], v[3]), ba23 = _mm256_unpackhi_epi32(v[2], v[3]);
        store8<Stream>(out + size_t(x) * 4, unpremultiply8(_mm256_unpacklo_epi64(rg01, rg23), _mm256_unpackhi_epi64(rg01, rg23),
                                                           _mm256_unpacklo_epi64(ba01, ba23), _mm256_unpackhi_epi64(ba01, ba23),
                                                           x, state));
    }
    if (memo) memo->opaque_groups = state.opaque_groups;
    return x;
}

// Taps k and k + 1 of a vertical window as a madd weight pair and two row pointers (weight 0 and
// the same row again for an odd last tap).
UPRES_AVX2 inline void tap_pair(const int16_t* const* rows, const int16_t* w, int32_t n, int32_t k, __m256i& weight,
                                const int16_t*& a, const int16_t*& b) {
    const uint16_t lo = uint16_t(w[k]), hi = k + 1 < n ? uint16_t(w[k + 1]) : 0;
    weight = _mm256_set1_epi32(int32_t(uint32_t(lo) | (uint32_t(hi) << 16)));
    a = rows[k];
    b = k + 1 < n ? rows[k + 1] : rows[k];
}

// v_mid_to_acc's exact sums of 8 pixels kept in registers and un-premultiplied at once (no row of
// sums through the cache). The rows' blocks in fixed16::avx512::h_mid_to_mid_blocks' order
// (R0-3 B0-3 | R4-7 B4-7, G0-3 A0-3 | G4-7 A4-7) make unpacklo/unpackhi with the madd pairs give
// one channel per vector.
// `Pairs` > 0: the tap pairs' weights and rows held in wk, ra, rb (in registers); 0: from n.
template <int Pairs>
UPRES_AVX2 inline __m256i fused8(const int16_t* const* rows, const int16_t* w, int32_t n, const __m256i* wk_held,
                                 const int16_t* const* ra_held, const int16_t* const* rb_held, int32_t x, MemoState& state) {
    const size_t o = size_t(x) * 4;
    __m256i r = _mm256_setzero_si256(), g = r, b = r, a = r;
    const int32_t pairs = Pairs > 0 ? Pairs : (n + 1) / 2;
    for (int32_t t = 0; t < pairs; ++t) {
        __m256i wk;
        const int16_t *ra, *rb;
        if constexpr (Pairs > 0) wk = wk_held[t], ra = ra_held[t], rb = rb_held[t];
        else tap_pair(rows, w, n, 2 * t, wk, ra, rb);
        ra += o;
        rb += o;
        const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ra));
        const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rb));
        const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ra + 16));
        const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rb + 16));
        r = _mm256_add_epi32(r, _mm256_madd_epi16(_mm256_unpacklo_epi16(a0, b0), wk));
        b = _mm256_add_epi32(b, _mm256_madd_epi16(_mm256_unpackhi_epi16(a0, b0), wk));
        g = _mm256_add_epi32(g, _mm256_madd_epi16(_mm256_unpacklo_epi16(a1, b1), wk));
        a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_unpackhi_epi16(a1, b1), wk));
    }
    return unpremultiply8(r, g, b, a, x, state);
}

template <int Pairs, bool Stream>
UPRES_AVX2 int32_t v_unpremultiply_rgba(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out,
                                        int32_t pixels, ScaleMemo& memo) {
    MemoState state(&memo);
    constexpr int kHeld = Pairs > 0 ? Pairs : 1;
    __m256i wk[kHeld];
    const int16_t* ra[kHeld];
    const int16_t* rb[kHeld];
    if constexpr (Pairs > 0)
        for (int g = 0; g < Pairs; ++g) tap_pair(rows, w, n, 2 * g, wk[g], ra[g], rb[g]);
    int32_t x = 0;
    // Streaming: both halves of a 64-byte line back to back (a line left half written in the
    // write-combining buffer may go to memory in halves).
    if constexpr (Stream)
        for (; x + 16 <= pixels; x += 16) {
            const __m256i lo = fused8<Pairs>(rows, w, n, wk, ra, rb, x, state);
            const __m256i hi = fused8<Pairs>(rows, w, n, wk, ra, rb, x + 8, state);
            store8<true>(out + size_t(x) * 4, lo);
            store8<true>(out + size_t(x) * 4 + 32, hi);
        }
    for (; x + 8 <= pixels; x += 8) store8<false>(out + size_t(x) * 4, fused8<Pairs>(rows, w, n, wk, ra, rb, x, state));
    memo.opaque_groups = state.opaque_groups;
    return x;
}

}  // namespace

int32_t unpremultiply_rgba(const int32_t* in, uint8_t* out, int32_t pixels, ScaleMemo* memo, bool stream) {
    if (stream && reinterpret_cast<uintptr_t>(out) % 32 == 0) return unpremultiply_rgba_impl<true>(in, out, pixels, memo);
    return unpremultiply_rgba_impl<false>(in, out, pixels, memo);
}

int32_t v_mid_unpremultiply_rgba(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out, int32_t pixels,
                                 bool stream, ScaleMemo& memo) {
    stream = stream && reinterpret_cast<uintptr_t>(out) % 64 == 0;
    auto run = [&](auto pairs) {
        constexpr int P = decltype(pairs)::value;
        return stream ? v_unpremultiply_rgba<P, true>(rows, w, n, out, pixels, memo)
                      : v_unpremultiply_rgba<P, false>(rows, w, n, out, pixels, memo);
    };
    switch (n) {
        case 1:
        case 2: return run(std::integral_constant<int, 1>());
        case 3:
        case 4: return run(std::integral_constant<int, 2>());
        case 5:
        case 6: return run(std::integral_constant<int, 3>());
        default: return run(std::integral_constant<int, 0>());
    }
}

}  // namespace upres::classical::alpha16::avx2
