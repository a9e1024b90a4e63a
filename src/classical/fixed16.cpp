// Portable kernels of the u8 passes with an int16 intermediate: the reference the AVX2 kernels
// must match bit for bit (exact int32 sums, then the same rounding shifts and clamps).
#include "classical/fixed16.hpp"

#include <algorithm>

namespace upres::classical::fixed16 {

namespace {

inline int32_t shift_round(int32_t v, int bits) { return (v + (int32_t(1) << (bits - 1))) >> bits; }

inline int16_t finish_mid(int32_t acc, MidFinish f) {
    switch (f) {
        case MidFinish::exact: return int16_t(shift_round(acc, kWeightBits - kMidBits));
        case MidFinish::clamp: return int16_t(std::clamp(shift_round(acc, kWeightBits - kMidBits), 0, 255 << kMidBits));
        case MidFinish::matlab: return int16_t(std::clamp(shift_round(acc, kWeightBits), 0, 255) << kMidBits);
    }
    return 0;
}

// Mid input (6 fractional bits) to mid output: a 14-bit shift.
inline int16_t finish_mid_from_mid(int32_t acc, MidFinish f) {
    const int32_t v = shift_round(acc, kWeightBits);
    return int16_t(f == MidFinish::clamp ? std::clamp(v, 0, 255 << kMidBits) : v);
}

inline uint8_t finish_u8(int32_t acc) { return uint8_t(std::clamp(shift_round(acc, kWeightBits + kMidBits), 0, 255)); }

template <class In, class Out, class Finish>
void horizontal(const AxisPlan& p, int channels, const In* in, Out* out, int32_t i0, Finish finish) {
    for (int32_t i = i0; i < p.out_size; ++i) {
        const int32_t n = p.count[size_t(i)];
        const int16_t* w = p.weights_q.data() + p.offset[size_t(i)];
        const In* s = in + size_t(p.first[size_t(i)]) * size_t(channels);
        for (int c = 0; c < channels; ++c) {
            int32_t acc = 0;
            for (int32_t k = 0; k < n; ++k) acc += int32_t(w[k]) * int32_t(s[size_t(k * channels + c)]);
            out[size_t(i) * size_t(channels) + size_t(c)] = finish(acc);
        }
    }
}

template <class In, class Out, class Finish>
void vertical(const In* const* rows, const int16_t* w, int32_t n, Out* out, size_t x0, size_t len, Finish finish) {
    for (size_t x = x0; x < len; ++x) {
        int32_t acc = 0;
        for (int32_t k = 0; k < n; ++k) acc += int32_t(w[k]) * int32_t(rows[k][x]);
        out[x] = finish(acc);
    }
}

}  // namespace

bool fits(const AxisPlan& first_pass, const AxisPlan& second_pass) {
    // First pass: |mid| <= 255 * 2^6 * sum|w| <= 32640 when sum|w| <= 2 (in units of 2^14).
    // Second pass: |acc| <= 32768 * sum|w| + rounding stays below 2^31 when sum|w| <= 3.
    return first_pass.max_abs_sum_q <= (int64_t(2) << kWeightBits) &&
           second_pass.max_abs_sum_q <= (int64_t(3) << kWeightBits);
}

void h_u8_to_mid(const AxisPlan& p, int channels, const uint8_t* in, int16_t* out, int32_t i0, MidFinish f) {
    horizontal(p, channels, in, out, i0, [f](int32_t a) { return finish_mid(a, f); });
}

void h_mid_to_u8(const AxisPlan& p, int channels, const int16_t* in, uint8_t* out, int32_t i0) {
    horizontal(p, channels, in, out, i0, finish_u8);
}

void v_u8_to_mid(const uint8_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t x0, size_t len,
                 MidFinish f) {
    vertical(rows, w, n, out, x0, len, [f](int32_t a) { return finish_mid(a, f); });
}

void v_mid_to_u8(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out, size_t x0, size_t len) {
    vertical(rows, w, n, out, x0, len, finish_u8);
}

void h_mid_to_mid(const AxisPlan& p, int channels, const int16_t* in, int16_t* out, int32_t i0, MidFinish f) {
    horizontal(p, channels, in, out, i0, [f](int32_t a) { return finish_mid_from_mid(a, f); });
}

void h_mid_to_acc(const AxisPlan& p, int channels, const int16_t* in, int32_t* out, int32_t i0) {
    horizontal(p, channels, in, out, i0, [](int32_t a) { return a; });
}

void v_mid_to_mid(const int16_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t x0, size_t len,
                  MidFinish f) {
    vertical(rows, w, n, out, x0, len, [f](int32_t a) { return finish_mid_from_mid(a, f); });
}

void v_mid_to_acc(const int16_t* const* rows, const int16_t* w, int32_t n, int32_t* out, size_t x0, size_t len) {
    vertical(rows, w, n, out, x0, len, [](int32_t a) { return a; });
}

}  // namespace upres::classical::fixed16
