// Horizontal f32 pass over a group of rows at once, written once for any vector width. Included
// by float_rows16_avx512.cpp (16 rows, 512-bit vectors) and float_rows8_avx2.cpp (8 rows, 256-bit),
// each compiled for its instruction set with its own vector traits `V`:
//   reg, W (lanes = rows per group), zero(), load/store (aligned), set1, sub, fmadd,
//   loadu(const float*) / loadu(const uint16_t*) (W samples, u16 converted exactly), storeu,
//   transpose(reg v[W]) (v[r] = W samples of row r  ->  v[i] = sample i of every row).
// The rows are transposed in W x W blocks, so one vector holds one sample position of all the
// group's rows; every output sample is then h_pixel's anchor + FMA chain with a broadcast weight
// per tap: no gathers, inserts or permutes per tap whatever the channel count and window
// positions, and the same IEEE operations in the same order as the portable kernel (the same bits).
// Not a standalone header: the including file opens its namespace and defines UPRES_ROWS_TARGET,
// the target attribute every function and lambda here carries (attributes, not a file-wide
// pragma, so library templates instantiated here stay compiled for the baseline).

// W samples of a source row from `in`, the first n of them (n <= W; the rest are zero).
template <class V, class In>
UPRES_ROWS_TARGET inline typename V::reg load_part(const In* in, size_t n) {
    if (n == size_t(V::W)) return V::loadu(in);
    alignas(64) In part[V::W] = {};
    for (size_t j = 0; j < n; ++j) part[j] = in[j];
    return V::loadu(part);
}

// One pass along the rows: blocks are transposed into t just before the outputs that read them,
// and outputs are transposed back into rows as soon as W samples are ready, so both buffers are
// touched while still in L1.
template <class V, int C, class In>
UPRES_ROWS_TARGET void filter_rows(const AxisPlan& p, const In* const* in, float* const* out, float* t, float* o) {
    using reg = typename V::reg;
    constexpr int W = V::W;
    const size_t len_in = size_t(p.in_size) * C, len_out = size_t(p.out_size) * C;
    const int32_t taps = p.float_taps;
    // Next lines requested this far ahead: a group's interleaved row streams are more than the
    // hardware prefetcher follows.
    constexpr size_t kAhead = 128;
    reg v[W];
    size_t done_in = 0, done_out = 0;
    auto transpose_in = [&](size_t need) UPRES_ROWS_TARGET {
        for (; done_in < need; done_in += W) {
            const size_t x = done_in, n = std::min<size_t>(W, len_in - x);
            if (n == size_t(W)) {  // unrolled and branch-light, so v stays in registers
#pragma GCC unroll 16
                for (int r = 0; r < W; ++r) {
                    v[r] = in[r] ? V::loadu(in[r] + x) : V::zero();
                    if (in[r] && x + kAhead < len_in) _mm_prefetch(reinterpret_cast<const char*>(in[r] + x + kAhead), _MM_HINT_T0);
                }
            } else {
                for (int r = 0; r < W; ++r) v[r] = in[r] ? load_part<V>(in[r] + x, n) : V::zero();
            }
            V::transpose(v);
            // A fixed count for whole blocks keeps v in registers (a variable one became a memcpy).
            if (n == size_t(W)) {
                for (int j = 0; j < W; ++j) V::store(t + (x + size_t(j)) * W, v[j]);
            } else {
                for (int j = 0; j < W; ++j)
                    if (size_t(j) < n) V::store(t + (x + size_t(j)) * W, v[j]);
            }
        }
    };
    auto transpose_out = [&](size_t ready) UPRES_ROWS_TARGET {
        for (; done_out < len_out; done_out += W) {
            const size_t x = done_out, n = std::min<size_t>(W, len_out - x);
            if (x + n > ready) break;  // wait for the block's last samples
            if (n == size_t(W)) {  // unrolled, so v stays in registers
#pragma GCC unroll 16
                for (int j = 0; j < W; ++j) v[j] = V::load(o + (x + size_t(j)) * W);
                V::transpose(v);
#pragma GCC unroll 16
                for (int r = 0; r < W; ++r)
                    if (out[r]) V::storeu(out[r] + x, v[r]);
            } else {
                for (int j = 0; j < W; ++j) v[j] = size_t(j) < n ? V::load(o + (x + size_t(j)) * W) : V::zero();
                V::transpose(v);
                for (int r = 0; r < W; ++r) {
                    if (!out[r]) continue;
                    alignas(64) float part[W];
                    V::store(part, v[r]);
                    std::copy(part, part + n, out[r] + x);
                }
            }
        }
    };
    // N outputs per step: N * C independent FMA chains hide the FMA latency.
    auto run = [&](int32_t i, auto count) UPRES_ROWS_TARGET {
        constexpr int N = decltype(count)::value;
        const float* s[N];
        const float* w[N];
        reg anchor[N][C], acc[N][C];
        size_t need = 0;
        for (int j = 0; j < N; ++j) need = std::max(need, size_t(p.float_first[size_t(i + j)] + taps) * C);
        transpose_in(std::min(need, len_in));
        for (int j = 0; j < N; ++j) {
            s[j] = t + size_t(p.float_first[size_t(i + j)]) * C * W;
            w[j] = p.float_group(i + j) + size_t((i + j) % 4) * 4;
            for (int c = 0; c < C; ++c) anchor[j][c] = acc[j][c] = V::load(s[j] + c * W);
        }
        for (int32_t k = 1; k < taps; ++k)
            for (int j = 0; j < N; ++j) {
                const reg wk = V::set1(w[j][size_t(k) * 16]);
                const float* sk = s[j] + size_t(k) * C * W;
                for (int c = 0; c < C; ++c) acc[j][c] = V::fmadd(wk, V::sub(V::load(sk + c * W), anchor[j][c]), acc[j][c]);
            }
        for (int j = 0; j < N; ++j)
            for (int c = 0; c < C; ++c) V::store(o + (size_t(i + j) * C + c) * W, acc[j][c]);
        transpose_out(size_t(i + N) * C);
    };
    constexpr int P = V::outputs_per_step(C);
    int32_t i = 0;
    for (; i + P <= p.out_size; i += P) run(i, std::integral_constant<int, P>{});
    for (; i < p.out_size; ++i) run(i, std::integral_constant<int, 1>{});
    transpose_out(len_out);
}

// scratch: W * (in_size + out_size) * channels + 16 floats (aligned here).
template <class V, class In>
UPRES_ROWS_TARGET void filter_rows_any(const AxisPlan& p, int channels, const In* const* in, float* const* out, float* scratch) {
    float* t = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~uintptr_t(63));
    float* o = t + size_t(p.in_size) * size_t(channels) * V::W;
    switch (channels) {
        case 1: return filter_rows<V, 1>(p, in, out, t, o);
        case 2: return filter_rows<V, 2>(p, in, out, t, o);
        case 3: return filter_rows<V, 3>(p, in, out, t, o);
        default: return filter_rows<V, 4>(p, in, out, t, o);
    }
}
