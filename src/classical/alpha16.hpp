// Premultiplied alpha for u8 images in fixed point: rows go to int16 "mid" samples (6 fractional
// bits) premultiplied by alpha, are resampled with the fixed16 kernels, and the second pass's raw
// sums (20 fractional bits) are divided by their alpha exactly. Where the neighbourhood is opaque
// this gives the very bytes of the image without alpha; where alpha is 0, colour is 0.
#pragma once
#include <cstdint>
#include <vector>

namespace upres::classical::alpha16 {

// The widest kernels a call may use for 4 channels (the caller checks the CPU and the ISA limit);
// every choice gives the same bits.
enum class Vector { none, avx2, avx512 };

// u8 pixels (2 or 4 channels, alpha last) -> colour round(c * a * 64 / 255), alpha a * 64.
void premultiply_row(const uint8_t* in, int16_t* out, int32_t pixels, int channels, Vector v);
// The alpha sums and scales 255 / A of the previous row's 8-pixel groups, for the vector kernels:
// alpha often repeats from row to row (opaque or flat regions; it starts as opaque), and a group
// whose eight sums all repeat reuses the scales instead of dividing (the same bits); a group
// known to be opaque is just rounded, in integers.
struct ScaleMemo {
    explicit ScaleMemo(int32_t pixels);
    std::vector<int32_t> alpha;
    std::vector<double> scale;
    std::vector<uint8_t> opaque;  // per group
    int32_t opaque_groups = 0;    // how many (none: the kernels skip the test)
};

// Raw second-pass sums (value << 20) -> u8: alpha rounded, colour round(255 * C / A), 0 where A <= 0.
// `v`: the vector kernels for 4 channels, with `memo` (optional; one per thread, sized for
// `pixels`) carried from row to row. `stream`: the AVX2 kernel writes `out` with non-temporal
// stores (where it is 32-byte aligned; see v_mid_unpremultiply_rgba_avx512 and end_streaming).
void unpremultiply_row(const int32_t* in, uint8_t* out, int32_t pixels, int channels, Vector v,
                       ScaleMemo* memo = nullptr, bool stream = false);

// The second pass and the un-premultiply at once, 4 channels, AVX-512BW (the caller checks the
// CPU): output pixels [0, returned) (a multiple of 8) of the row whose window is `rows` (mid
// samples) with weights `w` (n taps). The same bytes as fixed16::v_mid_to_acc then
// unpremultiply_row, without the row of sums; the caller finishes the row that way. The rows'
// whole 8-pixel blocks are in fixed16::avx512::h_mid_to_mid_blocks' order (the rest of a row, in
// pixel order). `stream`: write `out` with non-temporal stores (where it is 64-byte aligned), for
// outputs too large to stay in the cache anyway; the thread then calls end_streaming() once
// before its rows are handed over (a fence per row would wait on memory).
int32_t v_mid_unpremultiply_rgba_avx512(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out,
                                        int32_t pixels, bool stream, ScaleMemo& memo);
void end_streaming();

// The AVX2 twins of the RGBA kernels (alpha16_avx2.cpp), 8 pixels per step: each returns where it
// stopped and the portable code finishes the row. They need AVX2 and FMA (available()).
namespace avx2 {
bool available();
int32_t premultiply_rgba(const uint8_t* in, int16_t* out, int32_t pixels);
int32_t unpremultiply_rgba(const int32_t* in, uint8_t* out, int32_t pixels, ScaleMemo* memo, bool stream);
// v_mid_unpremultiply_rgba_avx512, the rows' whole blocks in the same order (written by
// fixed16::avx2::h_mid_to_mid_blocks); `stream` where `out` is 64-byte aligned, then
// end_streaming() as there.
int32_t v_mid_unpremultiply_rgba(const int16_t* const* rows, const int16_t* w, int32_t n, uint8_t* out, int32_t pixels,
                                 bool stream, ScaleMemo& memo);
}  // namespace avx2

}  // namespace upres::classical::alpha16
