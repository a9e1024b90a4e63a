#include "classical/separable.hpp"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "classical/alpha16.hpp"
#include "classical/fixed16.hpp"
#include "classical/float_passes.hpp"
#include "core/thread_pool.hpp"

namespace upres::classical {

namespace {

// The widest vector kernels allowed (tests lower it to compare the paths).
std::atomic<int> g_max_isa{int(Isa::avx512)};
bool allowed(Isa isa) { return g_max_isa.load(std::memory_order_relaxed) >= int(isa); }

// Sample traits: how samples are accumulated, stored between passes and written out.
template <class T>
struct Traits;

template <>
struct Traits<uint8_t> {
    using Mid = int32_t;   // value << kMidBits
    using Acc = int32_t;
    static constexpr int kMidBits = 6;
    static constexpr int32_t kMax = 255;
};

template <>
struct Traits<uint16_t> {
    using Mid = int32_t;
    using Acc = int64_t;   // 65535 << 2 times 2^14 overflows 32 bits
    static constexpr int kMidBits = 2;
    static constexpr int32_t kMax = 65535;
};

template <class Acc>
inline Acc shift_round(Acc v, int bits) {
    return (v + (Acc(1) << (bits - 1))) >> bits;  // arithmetic shift: floor, the same everywhere
}

// ---- integer passes ---------------------------------------------------------------------------
// By default the intermediate keeps its overshoot, so the result is the exact separable 2-D filter
// (as OpenCV computes it); with clamp_intermediate it is clamped to the sample range (as Pillow).
// A pass reads rows of `In` and writes rows of `Out`. Horizontal: each output pixel is a weighted
// sum of a window of input pixels on the same row. Vertical: each output row is a weighted sum
// of a window of input rows. `finish` turns an accumulator into the stored value.

template <int C, class In, class Out, class Acc, class Finish>
void horizontal_rows(const AxisPlan& p, const int16_t* w, const uint8_t* in_base, int64_t in_stride,
                     uint8_t* out_base, int64_t out_stride, int64_t r0, int64_t r1, int channels, Finish finish) {
    for (int64_t r = r0; r < r1; ++r) {
        const In* in = reinterpret_cast<const In*>(in_base + r * in_stride);
        Out* out = reinterpret_cast<Out*>(out_base + r * out_stride);
        for (int32_t i = 0; i < p.out_size; ++i) {
            const int32_t n = p.count[size_t(i)];
            const int16_t* wi = w + p.offset[size_t(i)];
            const In* s = in + size_t(p.first[size_t(i)]) * size_t(C > 0 ? C : channels);
            if constexpr (C > 0) {
                Acc acc[C] = {};
                for (int32_t k = 0; k < n; ++k)
                    for (int c = 0; c < C; ++c) acc[c] += Acc(wi[k]) * Acc(s[k * C + c]);
                for (int c = 0; c < C; ++c) out[size_t(i) * C + size_t(c)] = finish(acc[c]);
            }
        }
    }
}

// Vertical pass over a band of output rows, vectorisable across the row.
template <class In, class Out, class Acc, class Finish>
__attribute__((always_inline)) inline void vertical_rows_impl(const AxisPlan& p, const int16_t* w, const uint8_t* in_base, int64_t in_stride,
                               uint8_t* out_base, int64_t out_stride, int64_t r0, int64_t r1, size_t row_len,
                               Acc* acc, Finish finish) {
    for (int64_t r = r0; r < r1; ++r) {
        const int32_t n = p.count[size_t(r)], first = p.first[size_t(r)];
        const int16_t* wr = w + p.offset[size_t(r)];
        std::fill(acc, acc + row_len, Acc(0));
        for (int32_t k = 0; k < n; ++k) {
            const In* s = reinterpret_cast<const In*>(in_base + int64_t(first + k) * in_stride);
            const Acc wk = wr[k];
            for (size_t x = 0; x < row_len; ++x) acc[x] += wk * Acc(s[x]);
        }
        Out* out = reinterpret_cast<Out*>(out_base + r * out_stride);
        for (size_t x = 0; x < row_len; ++x) out[x] = finish(acc[x]);
    }
}

}  // namespace

void set_force_scalar(bool on) { g_max_isa.store(int(on ? Isa::portable : Isa::avx512)); }
void set_max_isa(Isa isa) { g_max_isa.store(int(isa)); }

namespace {

// Row bands: work is reported between bands (calling thread) and split inside a band.
constexpr int64_t kBand = 64;

template <class Body>
void banded(int64_t rows, int threads, RunContext& run, uint64_t& done, uint64_t total, const Body& body,
            int64_t band = kBand) {
    for (int64_t b0 = 0; b0 < rows; b0 += band) {
        const int64_t b1 = std::min(rows, b0 + band);
        parallel_for(b1 - b0, threads, [&](int64_t s, int64_t e) {
            run.check_cancelled();
            body(b0 + s, b0 + e);
        });
        done += uint64_t(b1 - b0);
        run.report(done, total);
    }
}

// Fused passes: the second pass runs right after the first, row by row, so the intermediate
// never exists as a whole image (no large allocation, no page faults, rows stay in cache).
// Horizontal first keeps a ring of intermediate rows per band, each computed once per band
// (the n - 1 rows a window shares with the previous band are recomputed, hence long bands).
constexpr int64_t kFusedBand = 256;
// Outputs at least this large are written with non-temporal stores where a kernel offers them:
// they cannot stay cached, and streaming avoids reading every line before overwriting it.
constexpr int64_t kStreamOutputBytes = int64_t(32) << 20;

template <class T>
class RowRing {
public:
    RowRing(int32_t slots, int64_t row_bytes)
        : slots_(size_t(std::max(slots, 1))), stride_((row_bytes + 63) / 64 * 64 + 64),
          bytes_(new uint8_t[slots_ * size_t(stride_) + 64]), held_(slots_, -1) {}
    // The intermediate row y, made by fill(y, row) unless the ring still holds it. A window of
    // at most `slots` consecutive rows never has two rows in the same slot.
    template <class Fill>
    T* row(int64_t y, const Fill& fill) {
        const size_t slot = size_t(y) % slots_;
        T* r = reinterpret_cast<T*>(bytes_.get() + slot * size_t(stride_));
        if (held_[slot] != y) fill(y, r);
        held_[slot] = y;
        return r;
    }

private:
    size_t slots_;
    int64_t stride_;
    std::unique_ptr<uint8_t[]> bytes_;
    std::vector<int64_t> held_;
};

// Each vertical kernel is compiled twice, for AVX2 and for the baseline, and chosen at run time;
// integer arithmetic makes both give identical bits (tests compare them).
#define UPRES_DEFINE_VERTICAL(NAME, PARAMS, ARGS, ...)                                          \
    __attribute__((always_inline)) inline void NAME##_body PARAMS __VA_ARGS__                      \
    __attribute__((target("avx2"), flatten)) void NAME##_avx2 PARAMS { NAME##_body ARGS; }   \
    __attribute__((flatten)) void NAME##_base PARAMS { NAME##_body ARGS; }                    \
    void NAME PARAMS {                                                                         \
        static const bool avx2 = __builtin_cpu_supports("avx2");                               \
        if (avx2 && allowed(Isa::avx2))                                                          \
            NAME##_avx2 ARGS;                                                                  \
        else                                                                                   \
            NAME##_base ARGS;                                                                  \
    }

#define UPRES_V_PARAMS(ACC) (const AxisPlan& p, const int16_t* w, const uint8_t* in, int64_t is, uint8_t* out, \
                             int64_t os, int64_t r0, int64_t r1, size_t len, ACC* acc, bool matlab, bool clamp)
#define UPRES_V_ARGS (p, w, in, is, out, os, r0, r1, len, acc, matlab, clamp)

UPRES_DEFINE_VERTICAL(vertical_u8_to_mid, UPRES_V_PARAMS(int32_t), UPRES_V_ARGS, {
    if (matlab)
        vertical_rows_impl<uint8_t, int32_t, int32_t>(p, w, in, is, out, os, r0, r1, len, acc, [](int32_t a) {
            return std::clamp(shift_round<int32_t>(a, kWeightBits), 0, 255) << Traits<uint8_t>::kMidBits;
        });
    else
        vertical_rows_impl<uint8_t, int32_t, int32_t>(p, w, in, is, out, os, r0, r1, len, acc, [clamp](int32_t a) {
            const int32_t v = shift_round<int32_t>(a, kWeightBits - Traits<uint8_t>::kMidBits);
            return clamp ? std::clamp(v, 0, 255 << Traits<uint8_t>::kMidBits) : v;
        });
})

UPRES_DEFINE_VERTICAL(vertical_mid_to_u8, UPRES_V_PARAMS(int32_t), UPRES_V_ARGS, {
    (void)matlab;
    (void)clamp;
    vertical_rows_impl<int32_t, uint8_t, int32_t>(p, w, in, is, out, os, r0, r1, len, acc, [](int32_t a) {
        return uint8_t(std::clamp(shift_round<int32_t>(a, kWeightBits + Traits<uint8_t>::kMidBits), 0, 255));
    });
})

UPRES_DEFINE_VERTICAL(vertical_u16_to_mid, UPRES_V_PARAMS(int64_t), UPRES_V_ARGS, {
    if (matlab)
        vertical_rows_impl<uint16_t, int32_t, int64_t>(p, w, in, is, out, os, r0, r1, len, acc, [](int64_t a) {
            return int32_t(std::clamp<int64_t>(shift_round<int64_t>(a, kWeightBits), 0, 65535))
                   << Traits<uint16_t>::kMidBits;
        });
    else
        vertical_rows_impl<uint16_t, int32_t, int64_t>(p, w, in, is, out, os, r0, r1, len, acc, [clamp](int64_t a) {
            const int64_t v = shift_round<int64_t>(a, kWeightBits - Traits<uint16_t>::kMidBits);
            return int32_t(clamp ? std::clamp<int64_t>(v, 0, int64_t(65535) << Traits<uint16_t>::kMidBits) : v);
        });
})

UPRES_DEFINE_VERTICAL(vertical_mid_to_u16, UPRES_V_PARAMS(int64_t), UPRES_V_ARGS, {
    (void)matlab;
    (void)clamp;
    vertical_rows_impl<int32_t, uint16_t, int64_t>(p, w, in, is, out, os, r0, r1, len, acc, [](int64_t a) {
        return uint16_t(std::clamp<int64_t>(shift_round<int64_t>(a, kWeightBits + Traits<uint16_t>::kMidBits), 0, 65535));
    });
})

// Horizontal passes dispatch on the channel count so the inner loops unroll.
template <class In, class Out, class Acc, class Finish>
void horizontal_any(const AxisPlan& p, const uint8_t* in, int64_t is, uint8_t* out, int64_t os, int64_t r0,
                    int64_t r1, int channels, Finish f) {
    const int16_t* w = p.weights_q.data();
    switch (channels) {
        case 1: return horizontal_rows<1, In, Out, Acc>(p, w, in, is, out, os, r0, r1, 1, f);
        case 2: return horizontal_rows<2, In, Out, Acc>(p, w, in, is, out, os, r0, r1, 2, f);
        case 3: return horizontal_rows<3, In, Out, Acc>(p, w, in, is, out, os, r0, r1, 3, f);
        default: return horizontal_rows<4, In, Out, Acc>(p, w, in, is, out, os, r0, r1, 4, f);
    }
}

struct Buffer {
    std::unique_ptr<uint8_t[]> bytes;
    int64_t stride = 0;
    Buffer(int64_t rows, int64_t stride_bytes) : bytes(new uint8_t[size_t(rows * stride_bytes)]), stride(stride_bytes) {}
};

// u8 with an int16 intermediate (when the weights allow it, see fixed16::fits): half the memory
// traffic of int32 and vector kernels for both passes. Gives the same bits as the int32 pipeline.
void run_u8_fixed16(const SeparableJob& job, const ImageView& src, const ImageView& dst, RunContext& run) {
    namespace f16 = fixed16;
    const int ch = src.desc.channels;
    const AxisPlan& px = *job.x;
    const AxisPlan& py = *job.y;
    const f16::MidFinish finish = job.round_between_passes ? f16::MidFinish::matlab
                                  : job.clamp_intermediate ? f16::MidFinish::clamp
                                                           : f16::MidFinish::exact;
    const bool vec = f16::avx2::available() && allowed(Isa::avx2);
    const bool wide = vec && f16::avx512::available() && allowed(Isa::avx512);
    const bool vec_h = vec && px.pairs > 0 && (ch == 3 || ch == 4);
    // One channel: pixels whose 8-tap groups stay inside the source row.
    int32_t gray_end = 0;
    if (vec && ch == 1 && px.gray_groups > 0) {
        while (gray_end < px.out_size && px.pair_first[size_t(gray_end)] + 8 * px.gray_groups <= px.in_size) ++gray_end;
        gray_end &= ~3;
    }
    uint64_t done = 0;
    const uint64_t total = uint64_t(py.out_size);
    const int threads = job.threads;
    const int16_t* wy = py.weights_q.data();
    if (!job.vertical_first) {
        // Pixels whose 8-byte loads stay inside the source row (3 channels read 2 bytes past a window).
        int32_t h_end = 0;
        if (vec_h) {
            while (h_end < px.out_size && (ch == 4 || px.pair_first[size_t(h_end)] + 2 * px.pairs < px.in_size)) ++h_end;
            h_end &= ~1;
        }
        // The ring's rows have 64 bytes of slack: the vector kernels store 4 samples per pixel and read 8.
        auto fill = [&](int64_t y, int16_t* row) {
            if (gray_end > 0) {
                const int32_t i0 = wide ? f16::avx512::h_u8_to_mid_gray(px, src.row(y), row, gray_end, finish) : 0;
                if (gray_end > i0) f16::avx2::h_u8_to_mid_gray(px, src.row(y), row, i0, gray_end, finish);
                f16::h_u8_to_mid(px, ch, src.row(y), row, gray_end, finish);
                return;
            }
            const int32_t i0 = wide ? f16::avx512::h_u8_to_mid(px, ch, src.row(y), row, h_end, finish) : 0;
            if (h_end > i0) f16::avx2::h_u8_to_mid(px, ch, src.row(y), row, i0, h_end, finish);
            f16::h_u8_to_mid(px, ch, src.row(y), row, h_end, finish);
        };
        const size_t len = size_t(px.out_size) * size_t(ch);
        // Outputs far larger than the caches are written with non-temporal stores.
        const bool stream = int64_t(py.out_size) * int64_t(len) >= kStreamOutputBytes;
        banded(py.out_size, threads, run, done, total, [&](int64_t r0, int64_t r1) {
            RowRing<int16_t> ring(py.max_count, int64_t(len) * 2);
            std::vector<const int16_t*> rows(size_t(py.max_count));
            for (int64_t r = r0; r < r1; ++r) {
                const int32_t n = py.count[size_t(r)], first = py.first[size_t(r)];
                for (int32_t k = 0; k < n; ++k) rows[size_t(k)] = ring.row(first + k, fill);
                const int16_t* w = wy + py.offset[size_t(r)];
                size_t x0 = wide ? f16::avx512::v_mid_to_u8(rows.data(), w, n, dst.row(r), len, stream) : 0;
                if (vec) x0 = f16::avx2::v_mid_to_u8(rows.data(), w, n, dst.row(r), x0, len);
                f16::v_mid_to_u8(rows.data(), w, n, dst.row(r), x0, len);
            }
        }, kFusedBand);
    } else {
        const size_t len = size_t(px.in_size) * size_t(ch);
        // 3 channels store 4 bytes per pixel: the row's last pixel is left to the portable code.
        const int32_t h_end = vec_h ? (ch == 3 ? px.out_size - 1 : px.out_size) & ~1 : 0;
        banded(py.out_size, threads, run, done, total, [&](int64_t r0, int64_t r1) {
            // One intermediate row, with slack for the kernels' wide loads.
            std::vector<int16_t> mid(len + 64);
            std::vector<const uint8_t*> rows(size_t(py.max_count));
            for (int64_t r = r0; r < r1; ++r) {
                const int32_t n = py.count[size_t(r)], first = py.first[size_t(r)];
                for (int32_t k = 0; k < n; ++k) rows[size_t(k)] = src.row(first + k);
                const int16_t* w = wy + py.offset[size_t(r)];
                size_t x0 = wide ? f16::avx512::v_u8_to_mid(rows.data(), w, n, mid.data(), len, finish) : 0;
                if (vec) x0 = f16::avx2::v_u8_to_mid(rows.data(), w, n, mid.data(), x0, len, finish);
                f16::v_u8_to_mid(rows.data(), w, n, mid.data(), x0, len, finish);
                if (gray_end > 0) {
                    const int32_t i0 = wide ? f16::avx512::h_mid_to_u8_gray(px, mid.data(), dst.row(r), gray_end) : 0;
                    if (gray_end > i0) f16::avx2::h_mid_to_u8_gray(px, mid.data(), dst.row(r), i0, gray_end);
                    f16::h_mid_to_u8(px, ch, mid.data(), dst.row(r), gray_end);
                    continue;
                }
                const int32_t i0 = wide ? f16::avx512::h_mid_to_u8(px, ch, mid.data(), dst.row(r), h_end) : 0;
                if (h_end > i0) f16::avx2::h_mid_to_u8(px, ch, mid.data(), dst.row(r), i0, h_end);
                f16::h_mid_to_u8(px, ch, mid.data(), dst.row(r), h_end);
            }
        });
    }
}

// u8 with alpha, premultiplied in fixed point (alpha16.hpp): source rows become premultiplied mid
// samples as they are read, both passes use the int16 kernels and the output rows are divided by
// alpha. Vertical first fuses everything per output row (a ring of premultiplied source rows).
void run_u8_premultiplied(const SeparableJob& job, const ImageView& src, const ImageView& dst, RunContext& run) {
    namespace f16 = fixed16;
    const int ch = src.desc.channels;
    const AxisPlan& px = *job.x;
    const AxisPlan& py = *job.y;
    const f16::MidFinish finish = job.clamp_intermediate ? f16::MidFinish::clamp : f16::MidFinish::exact;
    const bool vec = f16::avx2::available() && alpha16::avx2::available() && allowed(Isa::avx2);
    const bool wide = vec && f16::avx512::available() && allowed(Isa::avx512);
    const bool vec_h = vec && px.pairs > 0 && ch == 4;
    const bool wide_h = wide && vec_h;
    const alpha16::Vector kernels = wide ? alpha16::Vector::avx512 : vec ? alpha16::Vector::avx2 : alpha16::Vector::none;
    const int32_t h_end = vec_h ? px.out_size & ~1 : 0;  // the AVX2 horizontal kernels' pixels
    const size_t in_len = size_t(px.in_size) * size_t(ch), out_len = size_t(px.out_size) * size_t(ch);
    uint64_t done = 0;
    const int threads = job.threads;
    auto vertical_to_acc = [&](const int16_t* const* rows, const int16_t* w, int32_t n, int32_t* acc) {
        size_t x0 = wide ? f16::avx512::v_mid_to_acc(rows, w, n, acc, out_len) : 0;
        if (vec) x0 = f16::avx2::v_mid_to_acc(rows, w, n, acc, x0, out_len);
        f16::v_mid_to_acc(rows, w, n, acc, x0, out_len);
    };
    if (!job.vertical_first) {
        // RGBA: whole 8-pixel blocks in the fused second pass's order (the rest in pixel order;
        // the AVX2 kernels write the same order without the gather tables).
        const f16::avx512::RgbaBlocks blocks = wide_h ? f16::avx512::rgba_blocks(px) : f16::avx512::RgbaBlocks{};
        // An output larger than a last-level cache has its first rows evicted before anyone reads
        // them: non-temporal stores save reading every line from memory before writing it.
        const bool stream = int64_t(py.out_size) * int64_t(out_len) >= kStreamOutputBytes;
        // Longer bands than the other paths (up to a quarter of the rows): each band's chunks
        // set up their buffers, restart their ring and memo and join the other threads.
        const int64_t band = std::clamp<int64_t>((py.out_size + 3) / 4, kFusedBand, 4 * kFusedBand);
        banded(py.out_size, threads, run, done, uint64_t(py.out_size), [&](int64_t r0, int64_t r1) {
            std::vector<int16_t> pre(in_len + 32);  // slack for the blocks' window loads
            auto fill = [&](int64_t y, int16_t* row) {
                alpha16::premultiply_row(src.row(y), pre.data(), px.in_size, ch, kernels);
                int32_t i0 = wide_h  ? f16::avx512::h_mid_to_mid_blocks(px, blocks, pre.data(), row, px.out_size, finish)
                             : vec_h ? f16::avx2::h_mid_to_mid_blocks(px, pre.data(), row, px.out_size, finish)
                                     : 0;
                if (h_end > i0) f16::avx2::h_mid_to_mid_rgba(px, pre.data(), row, i0, h_end, finish), i0 = h_end;
                f16::h_mid_to_mid(px, ch, pre.data(), row, i0, finish);
            };
            RowRing<int16_t> ring(py.max_count, int64_t(out_len) * 2);
            std::vector<const int16_t*> rows(size_t(py.max_count)), tail(size_t(py.max_count));
            // Sums of a whole row, or with the fused kernel of a row's last pixels (fewer than 8).
            std::vector<int32_t> acc(vec_h ? 32 : out_len);
            alpha16::ScaleMemo memo(px.out_size);
            for (int64_t r = r0; r < r1; ++r) {
                const int32_t n = py.count[size_t(r)], first = py.first[size_t(r)];
                for (int32_t k = 0; k < n; ++k) rows[size_t(k)] = ring.row(first + k, fill);
                const int16_t* w = py.weights_q.data() + py.offset[size_t(r)];
                // RGBA: both steps per 8 pixels in registers; the rest through a row of sums.
                const int32_t i0 = wide_h  ? alpha16::v_mid_unpremultiply_rgba_avx512(rows.data(), w, n, dst.row(r),
                                                                                      px.out_size, stream, memo)
                                   : vec_h ? alpha16::avx2::v_mid_unpremultiply_rgba(rows.data(), w, n, dst.row(r),
                                                                                      px.out_size, stream, memo)
                                           : 0;
                if (i0 == px.out_size) continue;
                const size_t x0 = size_t(i0) * size_t(ch);
                if (i0 == 0) {
                    vertical_to_acc(rows.data(), w, n, acc.data());
                } else {
                    for (int32_t k = 0; k < n; ++k) tail[size_t(k)] = rows[size_t(k)] + x0;
                    f16::v_mid_to_acc(tail.data(), w, n, acc.data(), 0, out_len - x0);
                }
                alpha16::unpremultiply_row(acc.data(), dst.row(r) + x0, px.out_size - i0, ch, kernels, i0 == 0 ? &memo : nullptr,
                                           stream && i0 == 0);
            }
            if (stream && vec) alpha16::end_streaming();
        }, band);
    } else {
        banded(py.out_size, threads, run, done, uint64_t(py.out_size), [&](int64_t r0, int64_t r1) {
            // Ring of premultiplied source rows, room for two neighbouring windows (see below).
            int32_t widest = py.max_count;
            for (int64_t r = r0; r + 1 < r1; ++r)
                widest = std::max(widest, py.first[size_t(r + 1)] + py.count[size_t(r + 1)] - py.first[size_t(r)]);
            const size_t slots = size_t(std::min(widest, 2 * py.max_count));
            // Rows one cache line further apart than their length: image rows are often a multiple
            // of 4 KiB long and would all fall into the same few L1 sets.
            const size_t ring_stride = (in_len + 31) / 32 * 32 + 32;
            std::vector<int16_t> ring(slots * ring_stride);
            std::vector<int64_t> held(slots, -1);
            std::vector<const int16_t*> rows(slots);
            std::vector<int16_t> mid(2 * in_len), w0(slots + 1), w1(slots + 1);
            std::vector<int32_t> acc(out_len);
            alpha16::ScaleMemo memo(px.out_size);
            auto gather = [&](int32_t first, int32_t n) {
                for (int32_t k = 0; k < n; ++k) {
                    const int64_t y = first + k;
                    const size_t slot = size_t(y) % slots;
                    int16_t* row = ring.data() + slot * ring_stride;
                    if (held[slot] != y) alpha16::premultiply_row(src.row(y), row, px.in_size, ch, kernels);
                    held[slot] = y;
                    rows[size_t(k)] = row;
                }
            };
            auto finish_row = [&](int64_t r, const int16_t* m) {
                int32_t i0 = wide_h ? f16::avx512::h_mid_to_acc(px, m, acc.data(), px.out_size) : 0;
                if (h_end > i0) f16::avx2::h_mid_to_acc_rgba(px, m, acc.data(), i0, h_end), i0 = h_end;
                f16::h_mid_to_acc(px, ch, m, acc.data(), i0);
                alpha16::unpremultiply_row(acc.data(), dst.row(r), px.out_size, ch, kernels, &memo);
            };
            for (int64_t r = r0; r < r1; ++r) {
                const int32_t n = py.count[size_t(r)], first = py.first[size_t(r)];
                const int16_t* w = py.weights_q.data() + py.offset[size_t(r)];
                // Downscales: rows r and r + 1 in one sweep over the union of their windows, so
                // each source row is read once for both (the same exact sums).
                if (vec && r + 1 < r1) {
                    const int32_t n1 = py.count[size_t(r + 1)], first1 = py.first[size_t(r + 1)];
                    const int32_t nu = std::max(first + n, first1 + n1) - first;
                    if (first1 >= first && size_t(nu) <= slots && nu < n + n1) {
                        gather(first, nu);
                        // The rows the next sweep adds, requested now: premultiplying them waits
                        // on memory otherwise (the sweep's arithmetic hides the latency).
                        if (r + 3 < r1) {
                            const int64_t y_end = std::min<int64_t>(py.first[size_t(r + 3)] + py.count[size_t(r + 3)], py.in_size);
                            for (int64_t y = first + nu; y < y_end; ++y) {
                                const char* row = reinterpret_cast<const char*>(src.row(y));
                                for (size_t b = 0; b < size_t(px.in_size) * size_t(ch); b += 64) _mm_prefetch(row + b, _MM_HINT_T0);
                            }
                        }
                        std::fill(w0.begin(), w0.end(), int16_t(0));
                        std::fill(w1.begin(), w1.end(), int16_t(0));
                        std::copy(w, w + n, w0.begin());
                        const int16_t* wn = py.weights_q.data() + py.offset[size_t(r + 1)];
                        std::copy(wn, wn + n1, w1.begin() + (first1 - first));
                        int16_t* m0 = mid.data();
                        int16_t* m1 = mid.data() + in_len;
                        size_t x0 = wide ? f16::avx512::v_mid_to_mid2(rows.data(), w0.data(), w1.data(), nu, m0, m1, in_len, finish) : 0;
                        x0 = f16::avx2::v_mid_to_mid2(rows.data(), w0.data(), w1.data(), nu, m0, m1, x0, in_len, finish);
                        f16::v_mid_to_mid(rows.data(), w, n, m0, x0, in_len, finish);
                        f16::v_mid_to_mid(rows.data() + (first1 - first), wn, n1, m1, x0, in_len, finish);
                        finish_row(r, m0);
                        finish_row(r + 1, m1);
                        ++r;
                        continue;
                    }
                }
                gather(first, n);
                size_t x0 = wide ? f16::avx512::v_mid_to_mid(rows.data(), w, n, mid.data(), in_len, finish) : 0;
                if (vec) x0 = f16::avx2::v_mid_to_mid(rows.data(), w, n, mid.data(), x0, in_len, finish);
                f16::v_mid_to_mid(rows.data(), w, n, mid.data(), x0, in_len, finish);
                finish_row(r, mid.data());
            }
        });
    }
}

void run_float(const SeparableJob& job, const ImageView& src, const ImageView& dst, RunContext& run);

// Integer pipeline for u8 / u16.
template <class T>
void run_integer(const SeparableJob& job, const ImageView& src, const ImageView& dst, RunContext& run) {
    // u16 goes through the f32 kernels (exact conversion, rounded at the end): 14-bit fixed-point
    // weights on 16-bit samples would cost accuracy, and the float passes are vectorised. MATLAB's
    // rounding and Pillow's clamp between the passes stay on the integer pipeline below.
    if constexpr (sizeof(T) == 2)
        if (!job.round_between_passes && !job.clamp_intermediate) return run_float(job, src, dst, run);
    if constexpr (sizeof(T) == 1) {
        const bool fits = job.vertical_first ? fixed16::fits(*job.y, *job.x) : fixed16::fits(*job.x, *job.y);
        if (fits) return run_u8_fixed16(job, src, dst, run);
    }
    using Tr = Traits<T>;
    using Acc = typename Tr::Acc;
    const int ch = src.desc.channels;
    const AxisPlan& px = *job.x;
    const AxisPlan& py = *job.y;
    const bool matlab = job.round_between_passes;
    const bool clamp = job.clamp_intermediate;
    // Pass 1 writes an intermediate of int32 "mid" samples.
    const int64_t mid_w = job.vertical_first ? px.in_size : px.out_size;
    const int64_t mid_h = job.vertical_first ? py.out_size : py.in_size;
    Buffer mid(mid_h, mid_w * ch * int64_t(sizeof(int32_t)));
    uint64_t done = 0;
    const uint64_t total = uint64_t(mid_h + py.out_size);
    auto h_to_mid = [&](const uint8_t* in, int64_t is, int64_t r0, int64_t r1) {
        if (matlab)
            horizontal_any<T, int32_t, Acc>(px, in, is, mid.bytes.get(), mid.stride, r0, r1, ch, [](Acc a) {
                return int32_t(std::clamp<Acc>(shift_round<Acc>(a, kWeightBits), 0, Tr::kMax)) << Tr::kMidBits;
            });
        else
            horizontal_any<T, int32_t, Acc>(px, in, is, mid.bytes.get(), mid.stride, r0, r1, ch, [clamp](Acc a) {
                const Acc v = shift_round<Acc>(a, kWeightBits - Tr::kMidBits);
                return int32_t(clamp ? std::clamp<Acc>(v, 0, Acc(Tr::kMax) << Tr::kMidBits) : v);
            });
    };
    const int threads = job.threads;
    if (!job.vertical_first) {
        banded(mid_h, threads, run, done, total, [&](int64_t r0, int64_t r1) { h_to_mid(src.data, src.desc.stride, r0, r1); });
        const size_t len = size_t(px.out_size) * size_t(ch);
        banded(py.out_size, threads, run, done, total, [&](int64_t r0, int64_t r1) {
            std::vector<Acc> acc(len);
            if constexpr (sizeof(T) == 1)
                vertical_mid_to_u8(py, py.weights_q.data(), mid.bytes.get(), mid.stride, dst.data, dst.desc.stride, r0,
                                   r1, len, acc.data(), false, false);
            else
                vertical_mid_to_u16(py, py.weights_q.data(), mid.bytes.get(), mid.stride, dst.data, dst.desc.stride,
                                    r0, r1, len, acc.data(), false, false);
        });
    } else {
        const size_t len = size_t(px.in_size) * size_t(ch);
        banded(mid_h, threads, run, done, total, [&](int64_t r0, int64_t r1) {
            std::vector<Acc> acc(len);
            if constexpr (sizeof(T) == 1)
                vertical_u8_to_mid(py, py.weights_q.data(), src.data, src.desc.stride, mid.bytes.get(), mid.stride, r0,
                                   r1, len, acc.data(), matlab, clamp);
            else
                vertical_u16_to_mid(py, py.weights_q.data(), src.data, src.desc.stride, mid.bytes.get(), mid.stride,
                                    r0, r1, len, acc.data(), matlab, clamp);
        });
        banded(py.out_size, threads, run, done, total, [&](int64_t r0, int64_t r1) {
            horizontal_any<int32_t, T, Acc>(px, mid.bytes.get(), mid.stride, dst.data, dst.desc.stride, r0, r1, ch,
                                            [](Acc a) {
                                                return T(std::clamp<Acc>(shift_round<Acc>(a, kWeightBits + Tr::kMidBits),
                                                                         0, Tr::kMax));
                                            });
        });
    }
}

// Per-thread buffers reused across calls: a fresh buffer of a few hundred KiB is a new mapping
// whose page faults cost a tenth of a fast resize. Larger ones live in `fallback` (per call), so
// no thread keeps more than 2 x 4 MiB.
float* thread_buffer(int which, size_t floats, std::vector<float>& fallback) {
    constexpr size_t kKeepFloats = size_t(1) << 20;
    thread_local std::vector<float> kept[2];
    if (floats > kKeepFloats) {
        fallback.resize(floats);
        return fallback.data();
    }
    if (kept[which].size() < floats) kept[which].resize(floats);
    return kept[which].data();
}

// Source rows as floats: f32 rows as they are; u16 rows converted (exactly) into a ring the
// first time a band reads them. Every row a caller holds at once fits in `slots`.
class FloatSource {
public:
    FloatSource(const ImageView& src, int32_t slots)
        : src_(src), u16_(src.desc.type == SampleType::u16), len_(size_t(src.desc.width) * size_t(src.desc.channels)),
          slots_(u16_ ? size_t(std::max(slots, 1)) : 0), rows_(slots_ * len_), held_(slots_, -1) {}
    bool converts() const { return u16_; }
    const float* row(int64_t y) {
        if (!u16_) return reinterpret_cast<const float*>(src_.row(y));
        const size_t s = size_t(y) % slots_;
        float* r = rows_.data() + s * len_;
        if (held_[s] != y) {
            floatpass::u16_to_float(reinterpret_cast<const uint16_t*>(src_.row(y)), r, len_);
            held_[s] = y;
        }
        return r;
    }

private:
    const ImageView& src_;
    bool u16_;
    size_t len_, slots_;
    std::vector<float> rows_;
    std::vector<int64_t> held_;
};

// Output rows as floats: f32 written in place; u16 through two row buffers, rounded and clamped
// when committed.
class FloatSink {
public:
    explicit FloatSink(const ImageView& dst)
        : dst_(dst), u16_(dst.desc.type == SampleType::u16), len_(size_t(dst.desc.width) * size_t(dst.desc.channels)),
          rows_(u16_ ? 2 * len_ : 0), wide_(floatpass::avx512::available() && allowed(Isa::avx512)) {}
    float* row(int64_t y, int which = 0) {
        return u16_ ? rows_.data() + size_t(which) * len_ : reinterpret_cast<float*>(dst_.row(y));
    }
    void commit(int64_t y, int which = 0) {
        if (!u16_) return;
        const float* in = rows_.data() + size_t(which) * len_;
        uint16_t* out = reinterpret_cast<uint16_t*>(dst_.row(y));
        const size_t x0 = wide_ ? floatpass::avx512::float_to_u16(in, out, len_) : 0;
        floatpass::float_to_u16(in, out, x0, len_);
    }

private:
    const ImageView& dst_;
    bool u16_;
    size_t len_;
    std::vector<float> rows_;
    bool wide_;
};

// f32 (and u16, see run_integer): float accumulation with FMA, anchored on each window's first
// sample (float_passes.hpp). (round_between_passes is never set here: MATLAB keeps floats unrounded.)
void run_float(const SeparableJob& job, const ImageView& src, const ImageView& dst, RunContext& run) {
    namespace fp = floatpass;
    const int ch = src.desc.channels;
    const AxisPlan& px = *job.x;
    const AxisPlan& py = *job.y;
    const bool vec = fp::avx2::available() && allowed(Isa::avx2);
    const bool wide = vec && fp::avx512::available() && allowed(Isa::avx512);
    const bool vec_h = vec && px.float_taps > 0;
    auto horizontal = [&](const float* in, float* out) {
        if (wide && vec_h) fp::avx512::h_row(px, ch, in, out);
        else if (vec_h) fp::avx2::h_row(px, ch, in, out);
        else fp::h_row(px, ch, in, out, 0);
    };
    auto vertical = [&](const float* const* rows, int64_t r, float* out, size_t len) {
        const int32_t n = py.count[size_t(r)];
        const float* w = py.weights_f.data() + py.offset[size_t(r)];
        if (wide) {
            fp::avx512::v_row(rows, w, n, out, len);
        } else {
            const size_t x0 = vec ? fp::avx2::v_row(rows, w, n, out, len) : 0;
            fp::v_row(rows, w, n, out, x0, len);
        }
    };
    uint64_t done = 0;
    const uint64_t total = uint64_t(py.out_size);
    if (!job.vertical_first && vec_h && px.out_size < px.in_size) {
        // Downscaled rows: the horizontal pass runs on a group of G source rows at once (16 with
        // AVX-512, 8 with AVX2; transposed, see float_rows_kernel.hpp), into a ring of
        // intermediate rows made G at a time.
        const int G = wide ? 16 : 8;
        const size_t len = size_t(px.out_size) * size_t(ch);
        const size_t stride = (len + 15) / 16 * 16;
        const int64_t slots = (2 * int64_t(py.max_count) + 2 * G + 15) / 16 * 16;
        banded(py.out_size, job.threads, run, done, total, [&](int64_t r0, int64_t r1) {
            std::vector<float> big_ring, big_scratch;
            float* ring = thread_buffer(0, size_t(slots) * stride, big_ring);
            float* scratch = thread_buffer(1, size_t(G) * (size_t(px.in_size) + size_t(px.out_size)) * size_t(ch) + 16, big_scratch);
            std::vector<int64_t> held(size_t(slots), -1);
            std::vector<const float*> rows(2 * size_t(py.max_count));
            const bool u16 = src.desc.type == SampleType::u16;  // converted as the blocks are read
            FloatSink sink(dst);
            auto slot = [&](int64_t y) { return ring + size_t(y % slots) * stride; };
            // Intermediate row y, made with the aligned group of G rows holding it. Rows wanted
            // together (a window or two overlapping ones) span at most slots - 2 G rows, so making
            // a group never evicts one of them.
            auto row = [&](int64_t y) {
                if (held[size_t(y % slots)] != y) {
                    const float* in_f32[16];
                    const uint16_t* in_u16[16];
                    float* out_rows[16];
                    const int64_t g = y / G * G;
                    for (int j = 0; j < G; ++j) {
                        const bool real = g + j < py.in_size;
                        in_f32[j] = real && !u16 ? reinterpret_cast<const float*>(src.row(g + j)) : nullptr;
                        in_u16[j] = real && u16 ? reinterpret_cast<const uint16_t*>(src.row(g + j)) : nullptr;
                        out_rows[j] = real ? slot(g + j) : nullptr;
                        if (real) held[size_t((g + j) % slots)] = g + j;
                    }
                    if (wide && u16) fp::avx512::h_rows16(px, ch, in_u16, out_rows, scratch);
                    else if (wide) fp::avx512::h_rows16(px, ch, in_f32, out_rows, scratch);
                    else if (u16) fp::avx2::h_rows8(px, ch, in_u16, out_rows, scratch);
                    else fp::avx2::h_rows8(px, ch, in_f32, out_rows, scratch);
                }
                return slot(y);
            };
            for (int64_t r = r0; r < r1; ++r) {
                const int32_t n = py.count[size_t(r)], first = py.first[size_t(r)];
                // Two output rows in one sweep over the union of their windows (see v_rows).
                if (wide && r + 1 < r1) {
                    const int32_t n1 = py.count[size_t(r + 1)], first1 = py.first[size_t(r + 1)];
                    const int32_t nu = std::max(first + n, first1 + n1) - first;
                    if (first1 >= first && nu < n + n1 && nu + 2 * G <= slots) {
                        for (int32_t k = 0; k < nu; ++k) rows[size_t(k)] = row(first + k);
                        const int32_t off[2] = {0, first1 - first}, cnt[2] = {n, n1};
                        const float* ws[2] = {py.weights_f.data() + py.offset[size_t(r)], py.weights_f.data() + py.offset[size_t(r + 1)]};
                        float* outs[2] = {sink.row(r, 0), sink.row(r + 1, 1)};
                        fp::avx512::v_rows(rows.data(), nu, 2, off, cnt, ws, outs, len, nullptr, 0);
                        sink.commit(r, 0);
                        sink.commit(r + 1, 1);
                        ++r;
                        continue;
                    }
                }
                for (int32_t k = 0; k < n; ++k) rows[size_t(k)] = row(first + k);
                vertical(rows.data(), r, sink.row(r), len);
                sink.commit(r);
            }
        }, kFusedBand);
    } else if (!job.vertical_first) {
        const size_t len = size_t(px.out_size) * size_t(ch);
        banded(py.out_size, job.threads, run, done, total, [&](int64_t r0, int64_t r1) {
            RowRing<float> ring(py.max_count, int64_t(len * sizeof(float)));
            std::vector<const float*> rows(size_t(py.max_count));
            FloatSource source(src, 1);
            FloatSink sink(dst);
            auto fill = [&](int64_t y, float* row) { horizontal(source.row(y), row); };
            for (int64_t r = r0; r < r1; ++r) {
                const int32_t n = py.count[size_t(r)], first = py.first[size_t(r)];
                for (int32_t k = 0; k < n; ++k) rows[size_t(k)] = ring.row(first + k, fill);
                vertical(rows.data(), r, sink.row(r), len);
                sink.commit(r);
            }
        }, kFusedBand);
    } else {
        const size_t len = size_t(px.in_size) * size_t(ch);
        constexpr int kSweep = fp::avx512::kSweepRows;
        banded(py.out_size, job.threads, run, done, total, [&](int64_t r0, int64_t r1) {
            const size_t mid_stride = (len + 16 + 15) / 16 * 16;
            std::vector<float> mid(mid_stride * kSweep);
            std::vector<const float*> rows(size_t(py.max_count) * kSweep), next(size_t(kSweep) * 8);
            FloatSource source(src, py.max_count * kSweep);
            FloatSink sink(dst);
            for (int64_t r = r0; r < r1; ++r) {
                const int32_t n = py.count[size_t(r)], first = py.first[size_t(r)];
                // Downscales: several output rows per sweep over the union of their windows, each
                // source row loaded once for all of them (the same operations per output).
                int outputs = 1;
                int32_t end = first + n, sum = n;
                int32_t off[kSweep] = {0}, cnt[kSweep] = {n};
                const float* ws[kSweep] = {py.weights_f.data() + py.offset[size_t(r)]};
                float* outs[kSweep] = {mid.data()};
                while (wide && outputs < kSweep && r + outputs < r1) {
                    const size_t q = size_t(r + outputs);
                    const int32_t f = py.first[q], c = py.count[q];
                    if (f < py.first[q - 1] || std::max(end, f + c) - first > int32_t(rows.size())) break;
                    off[outputs] = f - first;
                    cnt[outputs] = c;
                    ws[outputs] = py.weights_f.data() + py.offset[q];
                    outs[outputs] = mid.data() + mid_stride * size_t(outputs);
                    end = std::max(end, f + c);
                    sum += c;
                    ++outputs;
                }
                if (outputs > 1 && end - first < sum) {
                    for (int32_t k = 0; k < end - first; ++k) rows[size_t(k)] = source.row(first + k);
                    // The rows past this union that the next sweep brings in (prefetched meanwhile;
                    // converted rows are made when read).
                    const size_t after = size_t(std::min<int64_t>(r + 2 * outputs, py.out_size) - 1);
                    int32_t n_next = std::min(py.first[after] + py.count[after] - end, int32_t(next.size()));
                    if (source.converts()) n_next = 0;
                    for (int32_t k = 0; k < n_next; ++k) next[size_t(k)] = reinterpret_cast<const float*>(src.row(end + k));
                    fp::avx512::v_rows(rows.data(), end - first, outputs, off, cnt, ws, outs, len, next.data(), std::max(n_next, 0));
                    for (int o = 0; o < outputs; ++o) {
                        horizontal(outs[o], sink.row(r + o));
                        sink.commit(r + o);
                    }
                    r += outputs - 1;
                    continue;
                }
                for (int32_t k = 0; k < n; ++k) rows[size_t(k)] = source.row(first + k);
                vertical(rows.data(), r, mid.data(), len);
                horizontal(mid.data(), sink.row(r));
                sink.commit(r);
            }
        });
    }
}

}  // namespace

bool run_separable_premultiplied(const SeparableJob& job, const ImageView& src, const ImageView& dst, RunContext& run) {
    const int ch = src.desc.channels;
    if (src.desc.type != SampleType::u8 || (ch != 2 && ch != 4) || job.round_between_passes) return false;
    if (!(job.vertical_first ? fixed16::fits(*job.y, *job.x) : fixed16::fits(*job.x, *job.y))) return false;
    run_u8_premultiplied(job, src, dst, run);
    return true;
}

void run_separable(const SeparableJob& job, const ImageView& src, const ImageView& dst, RunContext& run) {
    switch (src.desc.type) {
        case SampleType::u8: return run_integer<uint8_t>(job, src, dst, run);
        case SampleType::u16: return run_integer<uint16_t>(job, src, dst, run);
        case SampleType::f32: return run_float(job, src, dst, run);
    }
}

}  // namespace upres::classical
