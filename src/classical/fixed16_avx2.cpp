// AVX2 kernels of the u8 passes with an int16 intermediate (portable twins in fixed16.cpp).
// Products are summed with _mm256_madd_epi16 on pairs of taps: int16 x int16 summed exactly in
// int32, so the order of the additions cannot change the result.
#include <immintrin.h>

#include <array>
#include <cstring>
#include <vector>

#include "classical/fixed16.hpp"

#define UPRES_AVX2 __attribute__((target("avx2")))

namespace upres::classical::fixed16::avx2 {

namespace {

UPRES_AVX2 inline __m256i mid_rounding(MidFinish f) {
    return _mm256_set1_epi32(f == MidFinish::matlab ? 1 << (kWeightBits - 1) : 1 << (kWeightBits - kMidBits - 1));
}

// Accumulators (rounding already added) of 16 samples -> 16 int16 mid samples, in order when
// lo/hi come from unpacklo/unpackhi of the same inputs.
UPRES_AVX2 inline __m256i finish_mid(__m256i lo, __m256i hi, MidFinish f) {
    if (f == MidFinish::matlab) {
        const __m256i v = _mm256_packs_epi32(_mm256_srai_epi32(lo, kWeightBits), _mm256_srai_epi32(hi, kWeightBits));
        const __m256i c = _mm256_min_epi16(_mm256_max_epi16(v, _mm256_setzero_si256()), _mm256_set1_epi16(255));
        return _mm256_slli_epi16(c, kMidBits);
    }
    const int s = kWeightBits - kMidBits;
    const __m256i v = _mm256_packs_epi32(_mm256_srai_epi32(lo, s), _mm256_srai_epi32(hi, s));
    if (f == MidFinish::exact) return v;
    return _mm256_min_epi16(_mm256_max_epi16(v, _mm256_setzero_si256()), _mm256_set1_epi16(255 << kMidBits));
}

UPRES_AVX2 inline __m256i pair_weight(const int16_t* w, int32_t k, int32_t n) {
    const uint16_t a = uint16_t(w[k]), b = k + 1 < n ? uint16_t(w[k + 1]) : 0;
    return _mm256_set1_epi32(int32_t(uint32_t(a) | (uint32_t(b) << 16)));
}

// A window's taps as madd weight pairs, one int32 per pair (broadcast from memory in the loops:
// a load, not the scalar packing per step), with its two rows (the same row again, weight 0, for
// an odd last tap).
struct PairTable {
    std::array<int32_t, 64> local;
    std::vector<int32_t> heap;  // wider windows (large downscales)
    const int32_t* pairs;
    PairTable(const int16_t* w, int32_t n) {
        int32_t* t = local.data();
        if ((n + 1) / 2 > int32_t(local.size())) heap.resize(size_t(n + 1) / 2), t = heap.data();
        for (int32_t k = 0; k < n; k += 2)
            t[k / 2] = int32_t(uint32_t(uint16_t(w[k])) | (uint32_t(k + 1 < n ? uint16_t(w[k + 1]) : 0) << 16));
        pairs = t;
    }
};

// Adds the weighted sums of 16 mid samples at x over the window's rows, by tap pairs (madd):
// acc0 gets the unpacklo half of each 128-bit lane, acc1 the unpackhi half.
UPRES_AVX2 inline void add_pair_sums(const int16_t* const* rows, const PairTable& table, int32_t n, size_t x, __m256i& acc0,
                                     __m256i& acc1) {
    for (int32_t k = 0; k < n; k += 2) {
        const __m256i wk = _mm256_set1_epi32(table.pairs[k / 2]);
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[k] + x));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>((k + 1 < n ? rows[k + 1] : rows[k]) + x));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), wk));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), wk));
    }
}

// Channel-slot shuffles: two neighbouring pixels -> int16 [p0c0 p1c0 p0c1 p1c1 p0c2 p1c2 p0c3 p1c3].
UPRES_AVX2 inline __m256i u8_pair_shuffle(int channels) {
    return channels == 3 ? _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,  //
                                            0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1)
                         : _mm256_setr_epi8(0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1,  //
                                            0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1);
}

UPRES_AVX2 inline __m256i i16_pair_shuffle(int channels) {
    return channels == 3 ? _mm256_setr_epi8(0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1,  //
                                            0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1)
                         : _mm256_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15,  //
                                            0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
}

UPRES_AVX2 inline __m256i two_halves(__m128i lo, __m128i hi) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

// Two output pixels per vector (one per 128-bit lane), one tap pair per step.
template <int C>
UPRES_AVX2 void h_u8_to_mid_c(const AxisPlan& p, const uint8_t* in, int16_t* out, int32_t i0, int32_t i_end, MidFinish f) {
    const __m256i shuffle = u8_pair_shuffle(C), round = mid_rounding(f);
    const int32_t pairs = p.pairs;
    const int32_t* first = p.pair_first.data();
    for (int32_t i = i0; i < i_end; i += 2) {
        const uint8_t* s0 = in + size_t(first[i]) * C;
        const uint8_t* s1 = in + size_t(first[i + 1]) * C;
        const int16_t* w = p.pair_weights.data() + size_t(i / 2) * size_t(pairs) * 16;
        __m256i acc = round;
        for (int32_t g = 0; g < pairs; ++g) {
            const __m128i a = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s0 + 2 * g * C));
            const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s1 + 2 * g * C));
            const __m256i v = _mm256_shuffle_epi8(two_halves(a, b), shuffle);
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * 16))));
        }
        const __m256i r = finish_mid(acc, acc, f);  // each lane: the pixel's 4 slots, twice
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + size_t(i) * C), _mm256_castsi256_si128(r));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + size_t(i + 1) * C), _mm256_extracti128_si256(r, 1));
    }
}

template <int C>
UPRES_AVX2 void h_mid_to_u8_c(const AxisPlan& p, const int16_t* in, uint8_t* out, int32_t i0, int32_t i_end) {
    const __m256i shuffle = i16_pair_shuffle(C);
    const __m256i round = _mm256_set1_epi32(1 << (kWeightBits + kMidBits - 1));
    const int32_t pairs = p.pairs;
    const int32_t* first = p.pair_first.data();
    for (int32_t i = i0; i < i_end; i += 2) {
        const int16_t* s0 = in + size_t(first[i]) * C;
        const int16_t* s1 = in + size_t(first[i + 1]) * C;
        const int16_t* w = p.pair_weights.data() + size_t(i / 2) * size_t(pairs) * 16;
        __m256i acc = round;
        for (int32_t g = 0; g < pairs; ++g) {
            const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s0 + 2 * g * C));
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s1 + 2 * g * C));
            const __m256i v = _mm256_shuffle_epi8(two_halves(a, b), shuffle);
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * 16))));
        }
        const __m256i v = _mm256_srai_epi32(acc, kWeightBits + kMidBits);
        const __m256i b = _mm256_packus_epi16(_mm256_packs_epi32(v, v), _mm256_setzero_si256());
        const int32_t p0 = _mm_cvtsi128_si32(_mm256_castsi256_si128(b));
        const int32_t p1 = _mm_cvtsi128_si32(_mm256_extracti128_si256(b, 1));
        std::memcpy(out + size_t(i) * C, &p0, 4);
        std::memcpy(out + size_t(i + 1) * C, &p1, 4);
    }
}

// Premultiplied alpha, 4 channels: the exact sums of output pixels i (low 128-bit lane) and i + 1
// (high lane), 4 channels each, as in h_mid_to_u8_c.
UPRES_AVX2 inline __m256i rgba_sums2(const AxisPlan& p, const int16_t* in, int32_t i, __m256i shuffle) {
    const int32_t pairs = p.pairs;
    const int16_t* s0 = in + size_t(p.pair_first[size_t(i)]) * 4;
    const int16_t* s1 = in + size_t(p.pair_first[size_t(i + 1)]) * 4;
    const int16_t* w = p.pair_weights.data() + size_t(i / 2) * size_t(pairs) * 16;
    __m256i acc = _mm256_setzero_si256();
    for (int32_t g = 0; g < pairs; ++g) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s0 + 2 * g * 4));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s1 + 2 * g * 4));
        const __m256i v = _mm256_shuffle_epi8(two_halves(a, b), shuffle);
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * 16))));
    }
    return acc;
}

// Sums of mid samples (rounding already added) -> mid samples (14-bit shift), clamped for Pillow;
// in order when lo/hi come from unpacklo/unpackhi of the same inputs.
UPRES_AVX2 inline __m256i mid_from_mid(__m256i lo, __m256i hi, MidFinish f) {
    const __m256i v = _mm256_packs_epi32(_mm256_srai_epi32(lo, kWeightBits), _mm256_srai_epi32(hi, kWeightBits));
    if (f != MidFinish::clamp) return v;
    return _mm256_min_epi16(_mm256_max_epi16(v, _mm256_setzero_si256()), _mm256_set1_epi16(255 << kMidBits));
}

// One channel: output pixels i, i + 1, one per 128-bit lane, 8 taps per madd from the gray table
// (avx512's gray_sums4 at half width); every slot of a lane ends with its pixel's exact sum.
template <class In>
UPRES_AVX2 inline __m256i gray_sums2(const AxisPlan& p, const In* in, int32_t i) {
    const In* s0 = in + p.pair_first[size_t(i)];
    const In* s1 = in + p.pair_first[size_t(i + 1)];
    const int16_t* w = p.gray_weights.data() + size_t(i) * 8;
    const size_t group_stride = size_t(p.gray_outputs) * 8;
    __m256i acc = _mm256_setzero_si256();
    for (int32_t q = 0; q < p.gray_groups; ++q) {
        const size_t o = size_t(8 * q);
        __m256i v;
        if constexpr (sizeof(In) == 1) {
            v = two_halves(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(s0 + o)),
                           _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s1 + o)));
            v = _mm256_unpacklo_epi8(v, _mm256_setzero_si256());  // 8 bytes -> 8 int16 per lane
        } else {
            v = two_halves(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s0 + o)),
                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(s1 + o)));
        }
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + size_t(q) * group_stride))));
    }
    acc = _mm256_add_epi32(acc, _mm256_shuffle_epi32(acc, 0xB1));
    return _mm256_add_epi32(acc, _mm256_shuffle_epi32(acc, 0x4E));
}

// The sums of pixels i..i+3 in order, in the low 128 bits.
template <class In>
UPRES_AVX2 inline __m256i gray_sums4(const AxisPlan& p, const In* in, int32_t i) {
    const __m256i a = gray_sums2(p, in, i), b = gray_sums2(p, in, i + 2);
    const __m128i ab = _mm_unpacklo_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    const __m128i cd = _mm_unpacklo_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
    return _mm256_castsi128_si256(_mm_unpacklo_epi64(ab, cd));
}

}  // namespace

bool available() {
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
}

UPRES_AVX2 void h_u8_to_mid(const AxisPlan& p, int channels, const uint8_t* in, int16_t* out, int32_t i0,
                            int32_t i_end, MidFinish f) {
    if (channels == 3) h_u8_to_mid_c<3>(p, in, out, i0, i_end, f);
    else h_u8_to_mid_c<4>(p, in, out, i0, i_end, f);
}

UPRES_AVX2 void h_mid_to_u8(const AxisPlan& p, int channels, const int16_t* in, uint8_t* out, int32_t i0, int32_t i_end) {
    if (channels == 3) h_mid_to_u8_c<3>(p, in, out, i0, i_end);
    else h_mid_to_u8_c<4>(p, in, out, i0, i_end);
}

UPRES_AVX2 size_t v_u8_to_mid(const uint8_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t x0,
                              size_t len, MidFinish f) {
    const __m256i round = mid_rounding(f);
    size_t x = x0;
    for (; x + 32 <= len; x += 32) {
        __m256i acc0 = round, acc1 = round, acc2 = round, acc3 = round;
        for (int32_t k = 0; k < n; k += 2) {
            const __m256i wk = pair_weight(w, k, n);
            const uint8_t* ra = rows[k] + x;
            const uint8_t* rb = k + 1 < n ? rows[k + 1] + x : ra;  // weight 0 for the odd tap
            const __m256i a0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ra)));
            const __m256i b0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rb)));
            const __m256i a1 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ra + 16)));
            const __m256i b1 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rb + 16)));
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(a0, b0), wk));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(a0, b0), wk));
            acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(_mm256_unpacklo_epi16(a1, b1), wk));
            acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(_mm256_unpackhi_epi16(a1, b1), wk));
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x), finish_mid(acc0, acc1, f));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x + 16), finish_mid(acc2, acc3, f));
    }
    return x;
}

UPRES_AVX2 size_t v_mid_to_u8(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out, size_t x0,
                              size_t len) {
    const __m256i round = _mm256_set1_epi32(1 << (kWeightBits + kMidBits - 1));
    const int shift = kWeightBits + kMidBits;
    size_t x = x0;
    for (; x + 32 <= len; x += 32) {
        __m256i acc0 = round, acc1 = round, acc2 = round, acc3 = round;
        for (int32_t k = 0; k < n; k += 2) {
            const __m256i wk = pair_weight(w, k, n);
            const int16_t* ra = rows[k] + x;
            const int16_t* rb = k + 1 < n ? rows[k + 1] + x : ra;
            const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ra));
            const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rb));
            const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ra + 16));
            const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rb + 16));
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(a0, b0), wk));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(a0, b0), wk));
            acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(_mm256_unpacklo_epi16(a1, b1), wk));
            acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(_mm256_unpackhi_epi16(a1, b1), wk));
        }
        const __m256i lo = _mm256_packs_epi32(_mm256_srai_epi32(acc0, shift), _mm256_srai_epi32(acc1, shift));
        const __m256i hi = _mm256_packs_epi32(_mm256_srai_epi32(acc2, shift), _mm256_srai_epi32(acc3, shift));
        const __m256i bytes = _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xD8);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x), bytes);
    }
    return x;
}

UPRES_AVX2 void h_mid_to_mid_rgba(const AxisPlan& p, const int16_t* in, int16_t* out, int32_t i0, int32_t i_end,
                                  MidFinish f) {
    const __m256i shuffle = i16_pair_shuffle(4), round = _mm256_set1_epi32(1 << (kWeightBits - 1));
    int32_t i = i0;
    // Four pixels per step: packs leaves pixels i, i + 2 | i + 1, i + 3; the permute orders them.
    for (; i + 4 <= i_end; i += 4) {
        const __m256i lo = _mm256_add_epi32(rgba_sums2(p, in, i, shuffle), round);
        const __m256i hi = _mm256_add_epi32(rgba_sums2(p, in, i + 2, shuffle), round);
        const __m256i v = _mm256_permute4x64_epi64(mid_from_mid(lo, hi, f), 0xD8);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + size_t(i) * 4), v);
    }
    for (; i < i_end; i += 2) {
        const __m256i acc = _mm256_add_epi32(rgba_sums2(p, in, i, shuffle), round);
        const __m256i v = mid_from_mid(acc, acc, f);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + size_t(i) * 4), _mm256_castsi256_si128(v));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + size_t(i + 1) * 4), _mm256_extracti128_si256(v, 1));
    }
}

// fixed16::avx512::h_mid_to_mid_blocks' block order from two pixels per vector: the 8 pixels'
// sums as pixels j | j + 4, a 4 x 4 transpose per 128-bit lane into channel vectors, and packs
// of R with B and G with A give R0-3 B0-3 | R4-7 B4-7 and G0-3 A0-3 | G4-7 A4-7.
UPRES_AVX2 int32_t h_mid_to_mid_blocks(const AxisPlan& p, const int16_t* in, int16_t* out, int32_t i_end, MidFinish f) {
    const __m256i shuffle = i16_pair_shuffle(4), round = _mm256_set1_epi32(1 << (kWeightBits - 1));
    int32_t i = 0;
    for (; i + 8 <= i_end; i += 8) {
        __m256i s[4];  // pixels 2j | 2j + 1
        for (int j = 0; j < 4; ++j)
            s[j] = _mm256_srai_epi32(_mm256_add_epi32(rgba_sums2(p, in, i + 2 * j, shuffle), round), kWeightBits);
        const __m256i p04 = _mm256_permute2x128_si256(s[0], s[2], 0x20), p15 = _mm256_permute2x128_si256(s[0], s[2], 0x31);
        const __m256i p26 = _mm256_permute2x128_si256(s[1], s[3], 0x20), p37 = _mm256_permute2x128_si256(s[1], s[3], 0x31);
        const __m256i rg01 = _mm256_unpacklo_epi32(p04, p15), ba01 = _mm256_unpackhi_epi32(p04, p15);
        const __m256i rg23 = _mm256_unpacklo_epi32(p26, p37), ba23 = _mm256_unpackhi_epi32(p26, p37);
        __m256i rb = _mm256_packs_epi32(_mm256_unpacklo_epi64(rg01, rg23), _mm256_unpacklo_epi64(ba01, ba23));
        __m256i ga = _mm256_packs_epi32(_mm256_unpackhi_epi64(rg01, rg23), _mm256_unpackhi_epi64(ba01, ba23));
        if (f == MidFinish::clamp) {
            const __m256i top = _mm256_set1_epi16(255 << kMidBits), zero = _mm256_setzero_si256();
            rb = _mm256_min_epi16(_mm256_max_epi16(rb, zero), top);
            ga = _mm256_min_epi16(_mm256_max_epi16(ga, zero), top);
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + size_t(i) * 4), rb);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + size_t(i) * 4 + 16), ga);
    }
    return i;
}

UPRES_AVX2 void h_mid_to_acc_rgba(const AxisPlan& p, const int16_t* in, int32_t* out, int32_t i0, int32_t i_end) {
    const __m256i shuffle = i16_pair_shuffle(4);
    for (int32_t i = i0; i < i_end; i += 2)  // 2 pixels x 4 sums, in order
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + size_t(i) * 4), rgba_sums2(p, in, i, shuffle));
}

// The vertical mid kernels: v_mid_to_u8's sums, 16 samples per step, then a 14-bit shift or the
// raw sums in order.
UPRES_AVX2 size_t v_mid_to_mid(const int16_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t x0,
                               size_t len, MidFinish f) {
    const __m256i round = _mm256_set1_epi32(1 << (kWeightBits - 1));
    const PairTable table(w, n);
    size_t x = x0;
    for (; x + 16 <= len; x += 16) {
        __m256i acc0 = round, acc1 = round;
        add_pair_sums(rows, table, n, x, acc0, acc1);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x), mid_from_mid(acc0, acc1, f));
    }
    return x;
}

// Two output rows over the union of their windows (as the AVX-512 kernel): each source row loaded
// once for both.
UPRES_AVX2 size_t v_mid_to_mid2(const int16_t* const* rows, const int16_t* w0, const int16_t* w1, int32_t n,
                                int16_t* out0, int16_t* out1, size_t x0, size_t len, MidFinish f) {
    const __m256i round = _mm256_set1_epi32(1 << (kWeightBits - 1));
    const PairTable t0(w0, n), t1(w1, n);
    size_t x = x0;
    for (; x + 16 <= len; x += 16) {
        __m256i a0 = round, a1 = round, b0 = round, b1 = round;
        for (int32_t k = 0; k < n; k += 2) {
            const __m256i wa = _mm256_set1_epi32(t0.pairs[k / 2]), wb = _mm256_set1_epi32(t1.pairs[k / 2]);
            const __m256i p = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[k] + x));
            const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>((k + 1 < n ? rows[k + 1] : rows[k]) + x));
            const __m256i lo = _mm256_unpacklo_epi16(p, q), hi = _mm256_unpackhi_epi16(p, q);
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(lo, wa));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(hi, wa));
            b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(lo, wb));
            b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(hi, wb));
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out0 + x), mid_from_mid(a0, a1, f));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out1 + x), mid_from_mid(b0, b1, f));
    }
    return x;
}

UPRES_AVX2 size_t v_mid_to_acc(const int16_t* const* rows, const int16_t* w, int32_t n, int32_t* out, size_t x0,
                               size_t len) {
    const PairTable table(w, n);
    size_t x = x0;
    for (; x + 16 <= len; x += 16) {
        __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
        add_pair_sums(rows, table, n, x, acc0, acc1);
        // Per 128-bit lane, acc0 holds samples 0-3 and acc1 samples 4-7.
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x), _mm256_permute2x128_si256(acc0, acc1, 0x20));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x + 8), _mm256_permute2x128_si256(acc0, acc1, 0x31));
    }
    return x;
}

UPRES_AVX2 void h_u8_to_mid_gray(const AxisPlan& p, const uint8_t* in, int16_t* out, int32_t i0, int32_t i_end, MidFinish f) {
    const __m256i round = mid_rounding(f);
    for (int32_t i = i0; i + 4 <= i_end; i += 4) {
        const __m256i acc = _mm256_add_epi32(gray_sums4(p, in, i), round);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm256_castsi256_si128(finish_mid(acc, acc, f)));
    }
}

UPRES_AVX2 void h_mid_to_u8_gray(const AxisPlan& p, const int16_t* in, uint8_t* out, int32_t i0, int32_t i_end) {
    const __m256i round = _mm256_set1_epi32(1 << (kWeightBits + kMidBits - 1));
    for (int32_t i = i0; i + 4 <= i_end; i += 4) {
        const __m256i v = _mm256_srai_epi32(_mm256_add_epi32(gray_sums4(p, in, i), round), kWeightBits + kMidBits);
        const __m256i b = _mm256_packus_epi16(_mm256_packs_epi32(v, v), _mm256_setzero_si256());
        const int32_t four = _mm_cvtsi128_si32(_mm256_castsi256_si128(b));
        std::memcpy(out + i, &four, 4);
    }
}

}  // namespace upres::classical::fixed16::avx2
