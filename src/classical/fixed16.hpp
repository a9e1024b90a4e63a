// Row kernels of the u8 passes that keep an int16 intermediate ("mid" = value << kMid16Bits).
// Every kernel has a portable version and, where the CPU has it, an AVX2 version; both compute
// the same exact integer sums and round the same way, so they give identical bits. The AVX2
// versions cover a prefix of the row (they return or take how far) and the portable code the rest.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "classical/coefficients.hpp"

namespace upres::classical::fixed16 {

constexpr int kMidBits = 6;  // fractional bits of the intermediate

// How the first pass turns its accumulator (14 fractional bits) into a mid sample.
enum class MidFinish {
    exact,   // keep the overshoot: the result is the exact separable 2-D filter (OpenCV)
    clamp,   // clamp to the sample range (Pillow)
    matlab,  // round to a whole u8 value first (MATLAB)
};

// True when the weights keep every intermediate and accumulator inside int16 / int32.
bool fits(const AxisPlan& first_pass, const AxisPlan& second_pass);

// Portable kernels: output pixels [i0, out_size) of one row (horizontal), or samples [x0, len) of
// output row r (vertical, `rows` are the source rows of r's window).
void h_u8_to_mid(const AxisPlan& p, int channels, const uint8_t* in, int16_t* out, int32_t i0, MidFinish f);
void h_mid_to_u8(const AxisPlan& p, int channels, const int16_t* in, uint8_t* out, int32_t i0);
void v_u8_to_mid(const uint8_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t x0, size_t len,
                 MidFinish f);
void v_mid_to_u8(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out, size_t x0, size_t len);

// Premultiplied alpha (alpha16.cpp): samples already in mid format, so the first pass is mid -> mid
// (14-bit shift; MidFinish exact or clamp) and the second keeps its raw int32 sums (20 fractional
// bits) for the exact un-premultiply.
void h_mid_to_mid(const AxisPlan& p, int channels, const int16_t* in, int16_t* out, int32_t i0, MidFinish f);
void h_mid_to_acc(const AxisPlan& p, int channels, const int16_t* in, int32_t* out, int32_t i0);
void v_mid_to_mid(const int16_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t x0, size_t len,
                  MidFinish f);
void v_mid_to_acc(const int16_t* const* rows, const int16_t* w, int32_t n, int32_t* out, size_t x0, size_t len);

// Vector kernels, AVX2 and AVX-512BW; both take and return positions so the wider one can do the
// bulk and the narrower one the remainder.
namespace avx2 {
bool available();
// Horizontal: pixels [i0, i_end), both even, p.pairs > 0, channels 3 or 4. The caller keeps every
// load inside the source row (see separable.cpp) and gives the output row slack for a wide store.
void h_u8_to_mid(const AxisPlan& p, int channels, const uint8_t* in, int16_t* out, int32_t i0, int32_t i_end,
                 MidFinish f);
void h_mid_to_u8(const AxisPlan& p, int channels, const int16_t* in, uint8_t* out, int32_t i0, int32_t i_end);
// One channel (avx512::h_*_gray at half width): pixels [i0, i_end), both multiples of 4.
void h_u8_to_mid_gray(const AxisPlan& p, const uint8_t* in, int16_t* out, int32_t i0, int32_t i_end, MidFinish f);
void h_mid_to_u8_gray(const AxisPlan& p, const int16_t* in, uint8_t* out, int32_t i0, int32_t i_end);
// Vertical: samples from x0 in whole vectors; returns where it stopped.
size_t v_u8_to_mid(const uint8_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t x0, size_t len,
                   MidFinish f);
size_t v_mid_to_u8(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out, size_t x0, size_t len);
// Premultiplied alpha: the horizontal ones 4 channels, pixels [i0, i_end) in pixel order (both
// even, p.pairs > 0); the vertical ones from x0 in whole vectors, returning where they stopped.
void h_mid_to_mid_rgba(const AxisPlan& p, const int16_t* in, int16_t* out, int32_t i0, int32_t i_end, MidFinish f);
void h_mid_to_acc_rgba(const AxisPlan& p, const int16_t* in, int32_t* out, int32_t i0, int32_t i_end);
// avx512::h_mid_to_mid_blocks' output (whole blocks of 8 pixels in its order) without the gather
// tables: returns where it stopped.
int32_t h_mid_to_mid_blocks(const AxisPlan& p, const int16_t* in, int16_t* out, int32_t i_end, MidFinish f);
size_t v_mid_to_mid(const int16_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t x0, size_t len,
                    MidFinish f);
size_t v_mid_to_mid2(const int16_t* const* rows, const int16_t* w0, const int16_t* w1, int32_t n, int16_t* out0,
                     int16_t* out1, size_t x0, size_t len, MidFinish f);
size_t v_mid_to_acc(const int16_t* const* rows, const int16_t* w, int32_t n, int32_t* out, size_t x0, size_t len);
}  // namespace avx2

namespace avx512 {
bool available();
// As avx2, four pixels per step: returns where it stopped (a multiple of 4 from i0).
int32_t h_u8_to_mid(const AxisPlan& p, int channels, const uint8_t* in, int16_t* out, int32_t i_end, MidFinish f);
int32_t h_mid_to_u8(const AxisPlan& p, int channels, const int16_t* in, uint8_t* out, int32_t i_end);
// One channel, from the gray table (p.gray_groups > 0): pixels [0, i_end) in steps of 4, each
// reading 8 * gray_groups samples from pair_first (the caller keeps that inside the row).
int32_t h_u8_to_mid_gray(const AxisPlan& p, const uint8_t* in, int16_t* out, int32_t i_end, MidFinish f);
int32_t h_mid_to_u8_gray(const AxisPlan& p, const int16_t* in, uint8_t* out, int32_t i_end);
size_t v_u8_to_mid(const uint8_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t len, MidFinish f);
// stream: non-temporal stores where out is 64-byte aligned (outputs far larger than the caches:
// no read-for-ownership of lines that are only written), fenced before returning.
size_t v_mid_to_u8(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out, size_t len, bool stream = false);
// Premultiplied alpha, 4 channels for the horizontal ones (the AVX2 and portable kernels finish
// the row).
// h_mid_to_mid's samples for whole blocks of 8 pixels (returns where it stopped, a multiple of 8), each
// block's 32 samples ordered as R0-3 B0-3 | R4-7 B4-7 | G0-3 A0-3 | G4-7 A4-7 (128-bit lanes):
// the order in which alpha16's fused second pass wants its sums (see alpha16.hpp). `t` (from
// rgba_blocks(p)) lets blocks whose taps lie within 8 source pixels (upscales) gather them from
// one load; `in` needs 32 samples of slack after the row.
struct RgbaBlocks {
    int32_t pairs = 0;
    std::vector<int32_t> base;     // per block: first source pixel of its window, -1: taps too far apart
    std::vector<int16_t> index;    // per block: 2 x 32 word indices into the window (R, G then B, A sums)
    std::vector<int16_t> weights;  // per block and tap pair: 32 words, the pair's weights per sum
};
RgbaBlocks rgba_blocks(const AxisPlan& p);
int32_t h_mid_to_mid_blocks(const AxisPlan& p, const RgbaBlocks& t, const int16_t* in, int16_t* out, int32_t i_end,
                            MidFinish f);
int32_t h_mid_to_acc(const AxisPlan& p, const int16_t* in, int32_t* out, int32_t i_end);
size_t v_mid_to_mid(const int16_t* const* rows, const int16_t* w, int32_t n, int16_t* out, size_t len, MidFinish f);
// Two output rows at once over the union of their windows (weights zero outside each window).
size_t v_mid_to_mid2(const int16_t* const* rows, const int16_t* w0, const int16_t* w1, int32_t n, int16_t* out0,
                     int16_t* out1, size_t len, MidFinish f);
size_t v_mid_to_acc(const int16_t* const* rows, const int16_t* w, int32_t n, int32_t* out, size_t len);
}  // namespace avx512

}  // namespace upres::classical::fixed16
