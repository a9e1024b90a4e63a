// AVX-512BW kernels of the u8 passes with an int16 intermediate: the AVX2 kernels twice as wide
// (same pair tables, same exact int32 sums and rounding, so the same bits). They stop at a whole
// vector; the caller hands the remainder to the AVX2 and portable kernels.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "classical/fixed16.hpp"

// GCC 12 warns inside its own _mm512_cast* headers (the undefined upper half is intended).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#define UPRES_AVX512 __attribute__((target("avx512f,avx512bw")))

namespace upres::classical::fixed16::avx512 {

namespace {

UPRES_AVX512 inline __m512i mid_rounding(MidFinish f) {
    return _mm512_set1_epi32(f == MidFinish::matlab ? 1 << (kWeightBits - 1) : 1 << (kWeightBits - kMidBits - 1));
}

// As in the AVX2 file: per 128-bit lane, unpacklo/unpackhi accumulators pack back in order.
UPRES_AVX512 inline __m512i finish_mid(__m512i lo, __m512i hi, MidFinish f) {
    if (f == MidFinish::matlab) {
        const __m512i v = _mm512_packs_epi32(_mm512_srai_epi32(lo, kWeightBits), _mm512_srai_epi32(hi, kWeightBits));
        const __m512i c = _mm512_min_epi16(_mm512_max_epi16(v, _mm512_setzero_si512()), _mm512_set1_epi16(255));
        return _mm512_slli_epi16(c, kMidBits);
    }
    const int s = kWeightBits - kMidBits;
    const __m512i v = _mm512_packs_epi32(_mm512_srai_epi32(lo, s), _mm512_srai_epi32(hi, s));
    if (f == MidFinish::exact) return v;
    return _mm512_min_epi16(_mm512_max_epi16(v, _mm512_setzero_si512()), _mm512_set1_epi16(255 << kMidBits));
}

UPRES_AVX512 inline __m512i pair_weight(const int16_t* w, int32_t k, int32_t n) {
    const uint16_t a = uint16_t(w[k]), b = k + 1 < n ? uint16_t(w[k + 1]) : 0;
    return _mm512_set1_epi32(int32_t(uint32_t(a) | (uint32_t(b) << 16)));
}

UPRES_AVX512 inline __m512i lane_shuffle(const int8_t (&pattern)[16]) {
    return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pattern)));
}

// Channel slots of two neighbouring pixels, as in the AVX2 kernels.
constexpr int8_t kU8Pair3[16] = {0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1};
constexpr int8_t kU8Pair4[16] = {0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1};
constexpr int8_t kI16Pair3[16] = {0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1};
constexpr int8_t kI16Pair4[16] = {0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15};

UPRES_AVX512 inline __m512i four_lanes(__m128i a, __m128i b, __m128i c, __m128i d) {
    const __m256i ab = _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
    const __m256i cd = _mm256_inserti128_si256(_mm256_castsi128_si256(c), d, 1);
    return _mm512_inserti64x4(_mm512_castsi256_si512(ab), cd, 1);
}

// Pair weights of pixels i, i+1 (one 256-bit row of the table) and i+2, i+3.
UPRES_AVX512 inline __m512i weights4(const int16_t* w01, const int16_t* w23) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w01))),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w23)), 1);
}

template <int C>
UPRES_AVX512 int32_t h_u8_to_mid_c(const AxisPlan& p, const uint8_t* in, int16_t* out, int32_t i_end, MidFinish f) {
    const __m512i shuffle = lane_shuffle(C == 3 ? kU8Pair3 : kU8Pair4), round = mid_rounding(f);
    const int32_t pairs = p.pairs;
    const int32_t* first = p.pair_first.data();
    int32_t i = 0;
    for (; i + 4 <= i_end; i += 4) {
        const uint8_t* s[4];
        for (int j = 0; j < 4; ++j) s[j] = in + size_t(first[i + j]) * C;
        const int16_t* w01 = p.pair_weights.data() + size_t(i / 2) * size_t(pairs) * 16;
        const int16_t* w23 = w01 + size_t(pairs) * 16;
        __m512i acc = round;
        for (int32_t g = 0; g < pairs; ++g) {
            const size_t o = size_t(2 * g * C);
            const __m512i v = four_lanes(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(s[0] + o)),
                                         _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s[1] + o)),
                                         _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s[2] + o)),
                                         _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s[3] + o)));
            acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_shuffle_epi8(v, shuffle), weights4(w01 + g * 16, w23 + g * 16)));
        }
        const __m512i r = finish_mid(acc, acc, f);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + size_t(i) * C), _mm512_castsi512_si128(r));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + size_t(i + 1) * C), _mm512_extracti32x4_epi32(r, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + size_t(i + 2) * C), _mm512_extracti32x4_epi32(r, 2));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + size_t(i + 3) * C), _mm512_extracti32x4_epi32(r, 3));
    }
    return i;
}

template <int C>
UPRES_AVX512 int32_t h_mid_to_u8_c(const AxisPlan& p, const int16_t* in, uint8_t* out, int32_t i_end) {
    const __m512i shuffle = lane_shuffle(C == 3 ? kI16Pair3 : kI16Pair4);
    const __m512i round = _mm512_set1_epi32(1 << (kWeightBits + kMidBits - 1));
    const int32_t pairs = p.pairs;
    const int32_t* first = p.pair_first.data();
    int32_t i = 0;
    for (; i + 4 <= i_end; i += 4) {
        const int16_t* s[4];
        for (int j = 0; j < 4; ++j) s[j] = in + size_t(first[i + j]) * C;
        const int16_t* w01 = p.pair_weights.data() + size_t(i / 2) * size_t(pairs) * 16;
        const int16_t* w23 = w01 + size_t(pairs) * 16;
        __m512i acc = round;
        for (int32_t g = 0; g < pairs; ++g) {
            const size_t o = size_t(2 * g * C);
            const __m512i v = four_lanes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s[0] + o)),
                                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[1] + o)),
                                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[2] + o)),
                                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[3] + o)));
            acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_shuffle_epi8(v, shuffle), weights4(w01 + g * 16, w23 + g * 16)));
        }
        const __m512i v = _mm512_srai_epi32(acc, kWeightBits + kMidBits);
        const __m512i b = _mm512_packus_epi16(_mm512_packs_epi32(v, v), _mm512_setzero_si512());
        const int32_t p0 = _mm_cvtsi128_si32(_mm512_castsi512_si128(b));
        const int32_t p1 = _mm_cvtsi128_si32(_mm512_extracti32x4_epi32(b, 1));
        const int32_t p2 = _mm_cvtsi128_si32(_mm512_extracti32x4_epi32(b, 2));
        const int32_t p3 = _mm_cvtsi128_si32(_mm512_extracti32x4_epi32(b, 3));
        std::memcpy(out + size_t(i) * C, &p0, 4);
        std::memcpy(out + size_t(i + 1) * C, &p1, 4);
        std::memcpy(out + size_t(i + 2) * C, &p2, 4);
        std::memcpy(out + size_t(i + 3) * C, &p3, 4);
    }
    return i;
}

// Premultiplied alpha, 4 channels: the h_mid_to_u8 loop's exact sums of output pixels i..i+3
// (4 pixels x 4 channels, in order).
UPRES_AVX512 inline __m512i rgba_sums4(const AxisPlan& p, const int16_t* in, int32_t i, __m512i shuffle) {
    const int32_t pairs = p.pairs;
    const int32_t* first = p.pair_first.data();
    const int16_t* s[4];
    for (int j = 0; j < 4; ++j) s[j] = in + size_t(first[i + j]) * 4;
    const int16_t* w01 = p.pair_weights.data() + size_t(i / 2) * size_t(pairs) * 16;
    const int16_t* w23 = w01 + size_t(pairs) * 16;
    __m512i acc = _mm512_setzero_si512();
    for (int32_t g = 0; g < pairs; ++g) {
        const size_t o = size_t(2 * g * 4);
        const __m512i v = four_lanes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s[0] + o)),
                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[1] + o)),
                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[2] + o)),
                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[3] + o)));
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_shuffle_epi8(v, shuffle), weights4(w01 + g * 16, w23 + g * 16)));
    }
    return acc;
}

// Sums (14 fractional bits) -> mid samples, clamped for Pillow.
UPRES_AVX512 inline __m512i mid_of_sums(__m512i acc, MidFinish f) {
    __m512i v = _mm512_srai_epi32(_mm512_add_epi32(acc, _mm512_set1_epi32(1 << (kWeightBits - 1))), kWeightBits);
    if (f == MidFinish::clamp)
        v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_setzero_si512()), _mm512_set1_epi32(255 << kMidBits));
    return v;
}

enum class Out { mid, acc };

}  // namespace

bool available() {
    static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    return yes;
}

namespace {

// One channel: output pixels i..i+3, one per 128-bit lane, 8 taps per madd from the gray table;
// each lane's four partial sums are added at the end (exact integer sums, so any order gives
// the portable code's bits). Every slot of lane j holds pixel i + j's sum.
template <class In>
UPRES_AVX512 inline __m512i gray_sums4(const AxisPlan& p, const In* in, int32_t i) {
    const In* s[4];
    for (int j = 0; j < 4; ++j) s[j] = in + p.pair_first[size_t(i + j)];
    const int16_t* w = p.gray_weights.data() + size_t(i) * 8;
    const size_t group_stride = size_t(p.gray_outputs) * 8;
    __m512i acc = _mm512_setzero_si512();
    for (int32_t q = 0; q < p.gray_groups; ++q) {
        const size_t o = size_t(8 * q);
        __m512i v;
        if constexpr (sizeof(In) == 1) {
            v = four_lanes(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(s[0] + o)),
                           _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s[1] + o)),
                           _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s[2] + o)),
                           _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s[3] + o)));
            v = _mm512_unpacklo_epi8(v, _mm512_setzero_si512());  // 8 bytes -> 8 int16 per lane
        } else {
            v = four_lanes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s[0] + o)),
                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[1] + o)),
                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[2] + o)),
                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(s[3] + o)));
        }
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(v, _mm512_loadu_si512(w + size_t(q) * group_stride)));
    }
    acc = _mm512_add_epi32(acc, _mm512_shuffle_epi32(acc, _MM_PERM_CDAB));
    return _mm512_add_epi32(acc, _mm512_shuffle_epi32(acc, _MM_PERM_BADC));
}

// The four lanes' sums into the low 128 bits (int32, pixel order).
UPRES_AVX512 inline __m512i gray_pack4(__m512i sums) { return _mm512_maskz_compress_epi32(0x1111, sums); }

}  // namespace

UPRES_AVX512 int32_t h_u8_to_mid_gray(const AxisPlan& p, const uint8_t* in, int16_t* out, int32_t i_end, MidFinish f) {
    const __m512i round = mid_rounding(f);
    int32_t i = 0;
    for (; i + 4 <= i_end; i += 4) {
        const __m512i acc = _mm512_add_epi32(gray_pack4(gray_sums4(p, in, i)), round);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm512_castsi512_si128(finish_mid(acc, acc, f)));
    }
    return i;
}

UPRES_AVX512 int32_t h_mid_to_u8_gray(const AxisPlan& p, const int16_t* in, uint8_t* out, int32_t i_end) {
    const __m512i round = _mm512_set1_epi32(1 << (kWeightBits + kMidBits - 1));
    int32_t i = 0;
    for (; i + 4 <= i_end; i += 4) {
        const __m512i v = _mm512_srai_epi32(_mm512_add_epi32(gray_pack4(gray_sums4(p, in, i)), round), kWeightBits + kMidBits);
        const __m512i b = _mm512_packus_epi16(_mm512_packs_epi32(v, v), _mm512_setzero_si512());
        const int32_t four = _mm_cvtsi128_si32(_mm512_castsi512_si128(b));
        std::memcpy(out + i, &four, 4);
    }
    return i;
}

UPRES_AVX512 int32_t h_u8_to_mid(const AxisPlan& p, int channels, const uint8_t* in, int16_t* out, int32_t i_end,
                                 MidFinish f) {
    return channels == 3 ? h_u8_to_mid_c<3>(p, in, out, i_end, f) : h_u8_to_mid_c<4>(p, in, out, i_end, f);
}

UPRES_AVX512 int32_t h_mid_to_u8(const AxisPlan& p, int channels, const int16_t* in, uint8_t* out, int32_t i_end) {
    return channels == 3 ? h_mid_to_u8_c<3>(p, in, out, i_end) : h_mid_to_u8_c<4>(p, in, out, i_end);
}

UPRES_AVX512 size_t v_u8_to_mid(const uint8_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t len,
                                MidFinish f) {
    const __m512i round = mid_rounding(f);
    size_t x = 0;
    for (; x + 64 <= len; x += 64) {
        __m512i acc0 = round, acc1 = round, acc2 = round, acc3 = round;
        for (int32_t k = 0; k < n; k += 2) {
            const __m512i wk = pair_weight(w, k, n);
            const uint8_t* ra = rows[k] + x;
            const uint8_t* rb = k + 1 < n ? rows[k + 1] + x : ra;  // weight 0 for the odd tap
            const __m512i a0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ra)));
            const __m512i b0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rb)));
            const __m512i a1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ra + 32)));
            const __m512i b1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rb + 32)));
            acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(_mm512_unpacklo_epi16(a0, b0), wk));
            acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(_mm512_unpackhi_epi16(a0, b0), wk));
            acc2 = _mm512_add_epi32(acc2, _mm512_madd_epi16(_mm512_unpacklo_epi16(a1, b1), wk));
            acc3 = _mm512_add_epi32(acc3, _mm512_madd_epi16(_mm512_unpackhi_epi16(a1, b1), wk));
        }
        _mm512_storeu_si512(out + x, finish_mid(acc0, acc1, f));
        _mm512_storeu_si512(out + x + 32, finish_mid(acc2, acc3, f));
    }
    return x;
}

UPRES_AVX512 size_t v_mid_to_u8(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out, size_t len,
                                bool stream) {
    stream = stream && reinterpret_cast<uintptr_t>(out) % 64 == 0;
    const __m512i round = _mm512_set1_epi32(1 << (kWeightBits + kMidBits - 1));
    const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);  // undo packus' lane interleave
    const int shift = kWeightBits + kMidBits;
    size_t x = 0;
    for (; x + 64 <= len; x += 64) {
        __m512i acc0 = round, acc1 = round, acc2 = round, acc3 = round;
        for (int32_t k = 0; k < n; k += 2) {
            const __m512i wk = pair_weight(w, k, n);
            const int16_t* ra = rows[k] + x;
            const int16_t* rb = k + 1 < n ? rows[k + 1] + x : ra;
            const __m512i a0 = _mm512_loadu_si512(ra);
            const __m512i b0 = _mm512_loadu_si512(rb);
            const __m512i a1 = _mm512_loadu_si512(ra + 32);
            const __m512i b1 = _mm512_loadu_si512(rb + 32);
            acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(_mm512_unpacklo_epi16(a0, b0), wk));
            acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(_mm512_unpackhi_epi16(a0, b0), wk));
            acc2 = _mm512_add_epi32(acc2, _mm512_madd_epi16(_mm512_unpacklo_epi16(a1, b1), wk));
            acc3 = _mm512_add_epi32(acc3, _mm512_madd_epi16(_mm512_unpackhi_epi16(a1, b1), wk));
        }
        const __m512i lo = _mm512_packs_epi32(_mm512_srai_epi32(acc0, shift), _mm512_srai_epi32(acc1, shift));
        const __m512i hi = _mm512_packs_epi32(_mm512_srai_epi32(acc2, shift), _mm512_srai_epi32(acc3, shift));
        const __m512i bytes = _mm512_permutexvar_epi64(order, _mm512_packus_epi16(lo, hi));
        if (stream)
            _mm512_stream_si512(reinterpret_cast<__m512i*>(out + x), bytes);
        else
            _mm512_storeu_si512(out + x, bytes);
    }
    if (stream) _mm_sfence();
    return x;
}

// Within a block, sum e (0-15) of the R, G half and of the B, A half: 128-bit lane e / 4 holds
// pixels 0-3 or 4-7 of one channel.
inline int block_pixel(int e) { return 4 * (e / 4 % 2) + e % 4; }
inline int block_channel(int e, int half) { return e / 8 + 2 * half; }

RgbaBlocks rgba_blocks(const AxisPlan& p) {
    RgbaBlocks t;
    if (p.pairs == 0) return t;
    t.pairs = p.pairs;
    const int32_t blocks = p.out_size / 8;
    t.base.assign(size_t(blocks), -1);
    t.index.assign(size_t(blocks) * 64, 0);
    t.weights.assign(size_t(blocks) * size_t(p.pairs) * 32, 0);
    for (int32_t b = 0; b < blocks; ++b) {
        const int32_t* first = p.pair_first.data() + size_t(b) * 8;
        const int32_t lo = *std::min_element(first, first + 8), hi = *std::max_element(first, first + 8);
        if (hi + 2 * p.pairs - lo > 8) continue;
        t.base[size_t(b)] = lo;
        for (int half = 0; half < 2; ++half)
            for (int e = 0; e < 16; ++e) {
                const int px = block_pixel(e), i = b * 8 + px;
                const int16_t word = int16_t(4 * (first[px] - lo) + block_channel(e, half));
                t.index[size_t(b) * 64 + size_t(half) * 32 + size_t(2 * e)] = word;
                t.index[size_t(b) * 64 + size_t(half) * 32 + size_t(2 * e + 1)] = int16_t(word + 4);
                for (int32_t g = 0; g < p.pairs; ++g)
                    for (int tap = 0; tap < 2; ++tap)  // slot 0 of the pair table
                        t.weights[(size_t(b) * size_t(p.pairs) + size_t(g)) * 32 + size_t(2 * e + tap)] =
                            p.pair_weights[(size_t(i / 2) * size_t(p.pairs) + size_t(g)) * 16 + size_t(i % 2) * 8 + size_t(tap)];
            }
    }
    return t;
}

// Blocks of 8 pixels for the fused second pass (fixed16.hpp). Compact windows: the R, G and the
// B, A sums of a block from word permutations of one load (tap pair g 8 words further on). Others:
// rgba_sums4 twice, then packs puts pixels j and j + 4 in 128-bit lane j and a word permutation
// orders the block. `Pairs` > 0 fixes t.pairs; the tables' pointers are held in locals (the
// stores could alias the vectors' own pointers).
template <int Pairs, MidFinish F>
UPRES_AVX512 int32_t mid_blocks(const AxisPlan& p, const RgbaBlocks& t, const int16_t* in, int16_t* out, int32_t i_end) {
    const __m512i shuffle = lane_shuffle(kI16Pair4);
    alignas(64) int16_t order[32];
    for (int w = 0; w < 32; ++w) {
        const int e = w / 8 * 4 + w % 4, half = w / 4 % 2, px = block_pixel(e);
        order[w] = int16_t(8 * (px % 4) + 4 * (px / 4) + block_channel(e, half));
    }
    const __m512i to_block = _mm512_load_si512(order);
    const __m512i next_pair = _mm512_set1_epi16(8);
    const int32_t pairs = Pairs > 0 ? Pairs : t.pairs;
    const int32_t* base = t.base.data();
    const int16_t* index = t.index.data();
    const int16_t* weights = t.weights.data();
    int32_t i = 0;
    for (; i + 8 <= i_end; i += 8) {
        const size_t b = size_t(i / 8);
        __m512i block;
        if (base[b] >= 0) {
            const __m512i window = _mm512_loadu_si512(in + size_t(base[b]) * 4);
            __m512i rg_index = _mm512_loadu_si512(index + b * 64);
            __m512i ba_index = _mm512_loadu_si512(index + b * 64 + 32);
            const int16_t* w = weights + b * size_t(pairs) * 32;
            __m512i rg = _mm512_madd_epi16(_mm512_permutexvar_epi16(rg_index, window), _mm512_loadu_si512(w));
            __m512i ba = _mm512_madd_epi16(_mm512_permutexvar_epi16(ba_index, window), _mm512_loadu_si512(w));
            for (int32_t g = 1; g < pairs; ++g) {
                rg_index = _mm512_add_epi16(rg_index, next_pair);
                ba_index = _mm512_add_epi16(ba_index, next_pair);
                const __m512i wg = _mm512_loadu_si512(w + size_t(g) * 32);
                rg = _mm512_add_epi32(rg, _mm512_madd_epi16(_mm512_permutexvar_epi16(rg_index, window), wg));
                ba = _mm512_add_epi32(ba, _mm512_madd_epi16(_mm512_permutexvar_epi16(ba_index, window), wg));
            }
            block = _mm512_packs_epi32(mid_of_sums(rg, F), mid_of_sums(ba, F));
        } else {
            const __m512i lo = mid_of_sums(rgba_sums4(p, in, i, shuffle), F);
            const __m512i hi = mid_of_sums(rgba_sums4(p, in, i + 4, shuffle), F);
            block = _mm512_permutexvar_epi16(to_block, _mm512_packs_epi32(lo, hi));
        }
        _mm512_storeu_si512(out + size_t(i) * 4, block);
    }
    return i;
}

template <MidFinish F>
int32_t mid_blocks_finish(const AxisPlan& p, const RgbaBlocks& t, const int16_t* in, int16_t* out, int32_t i_end) {
    switch (t.pairs) {
        case 1: return mid_blocks<1, F>(p, t, in, out, i_end);
        case 2: return mid_blocks<2, F>(p, t, in, out, i_end);
        case 3: return mid_blocks<3, F>(p, t, in, out, i_end);
        default: return mid_blocks<0, F>(p, t, in, out, i_end);
    }
}

int32_t h_mid_to_mid_blocks(const AxisPlan& p, const RgbaBlocks& t, const int16_t* in, int16_t* out, int32_t i_end,
                            MidFinish f) {
    if (t.pairs == 0) return 0;
    return f == MidFinish::clamp ? mid_blocks_finish<MidFinish::clamp>(p, t, in, out, i_end)
                                 : mid_blocks_finish<MidFinish::exact>(p, t, in, out, i_end);
}

UPRES_AVX512 int32_t h_mid_to_acc(const AxisPlan& p, const int16_t* in, int32_t* out, int32_t i_end) {
    const __m512i shuffle = lane_shuffle(kI16Pair4);
    int32_t i = 0;
    for (; i + 4 <= i_end; i += 4)
        _mm512_storeu_si512(out + size_t(i) * 4, rgba_sums4(p, in, i, shuffle));  // 4 pixels x 4 sums, in order
    return i;
}

// Rounded sums of mid samples (14-bit shift) back to mid samples, clamped for Pillow.
UPRES_AVX512 inline __m512i mid_from_mid(__m512i lo, __m512i hi, MidFinish f) {
    const __m512i v = _mm512_packs_epi32(_mm512_srai_epi32(lo, kWeightBits), _mm512_srai_epi32(hi, kWeightBits));
    if (f != MidFinish::clamp) return v;
    return _mm512_min_epi16(_mm512_max_epi16(v, _mm512_setzero_si512()), _mm512_set1_epi16(255 << kMidBits));
}

// The vertical mid kernels: v_mid_to_u8's sums, then a 14-bit shift or the raw sums in order.
template <Out O>
UPRES_AVX512 size_t v_mid(const int16_t* const* rows, const int16_t* w, int32_t n, void* out_row, size_t len, MidFinish f) {
    const __m512i round = _mm512_set1_epi32(O == Out::acc ? 0 : 1 << (kWeightBits - 1));
    size_t x = 0;
    for (; x + 32 <= len; x += 32) {
        __m512i acc0 = round, acc1 = round;
        for (int32_t k = 0; k < n; k += 2) {
            const __m512i wk = pair_weight(w, k, n);
            const __m512i a = _mm512_loadu_si512(rows[k] + x);
            const __m512i b = _mm512_loadu_si512((k + 1 < n ? rows[k + 1] : rows[k]) + x);
            acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(_mm512_unpacklo_epi16(a, b), wk));
            acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(_mm512_unpackhi_epi16(a, b), wk));
        }
        if constexpr (O == Out::acc) {
            // Per 128-bit lane, acc0 holds samples 0-3 and acc1 samples 4-7: interleave the lanes.
            int32_t* o = static_cast<int32_t*>(out_row) + x;
            _mm512_storeu_si512(o, _mm512_permutex2var_epi64(acc0, _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), acc1));
            _mm512_storeu_si512(o + 16, _mm512_permutex2var_epi64(acc0, _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15), acc1));
        } else {
            _mm512_storeu_si512(static_cast<int16_t*>(out_row) + x, mid_from_mid(acc0, acc1, f));
        }
    }
    return x;
}

// Two output rows whose windows share most rows (downscales): each source row is loaded once for
// both; w0 and w1 are over the union of the windows, zero outside each (exact int32 sums, so the
// same bits as one row at a time).
UPRES_AVX512 size_t v_mid_to_mid2(const int16_t* const* rows, const int16_t* w0, const int16_t* w1, int32_t n,
                                  int16_t* out0, int16_t* out1, size_t len, MidFinish f) {
    const __m512i round = _mm512_set1_epi32(1 << (kWeightBits - 1));
    size_t x = 0;
    for (; x + 32 <= len; x += 32) {
        __m512i a0 = round, a1 = round, b0 = round, b1 = round;
        for (int32_t k = 0; k < n; k += 2) {
            const __m512i wa = pair_weight(w0, k, n), wb = pair_weight(w1, k, n);
            const __m512i p = _mm512_loadu_si512(rows[k] + x);
            const __m512i q = _mm512_loadu_si512((k + 1 < n ? rows[k + 1] : rows[k]) + x);
            const __m512i lo = _mm512_unpacklo_epi16(p, q), hi = _mm512_unpackhi_epi16(p, q);
            a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(lo, wa));
            a1 = _mm512_add_epi32(a1, _mm512_madd_epi16(hi, wa));
            b0 = _mm512_add_epi32(b0, _mm512_madd_epi16(lo, wb));
            b1 = _mm512_add_epi32(b1, _mm512_madd_epi16(hi, wb));
        }
        _mm512_storeu_si512(out0 + x, mid_from_mid(a0, a1, f));
        _mm512_storeu_si512(out1 + x, mid_from_mid(b0, b1, f));
    }
    return x;
}

UPRES_AVX512 size_t v_mid_to_mid(const int16_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t len,
                                 MidFinish f) {
    return v_mid<Out::mid>(rows, w, n, out, len, f);
}

UPRES_AVX512 size_t v_mid_to_acc(const int16_t* const* rows, const int16_t* w, int32_t n, int32_t* out, size_t len) {
    return v_mid<Out::acc>(rows, w, n, out, len, MidFinish::exact);
}

}  // namespace upres::classical::fixed16::avx512
