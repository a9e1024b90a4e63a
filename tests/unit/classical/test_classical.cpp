// Classical resamplers: an Eigen dense-matrix oracle, invariants that need no oracle, and parity
// with Pillow, OpenCV and MATLAB (through the LR images MATLAB made for Set5/Set14).
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "classical/alpha16.hpp"
#include "classical/classical.hpp"
#include "classical/coefficients.hpp"
#include "classical/filters.hpp"
#include "classical/fixed16.hpp"
#include "classical/separable.hpp"
#include "io/image_file.hpp"
#include "test_support.hpp"

using namespace upres;
using namespace upres::classical;

namespace {

const char* kFilters[] = {"nearest", "box", "bilinear", "bicubic", "catmull-rom", "mitchell",
                          "bspline", "lanczos2", "lanczos3", "lanczos4", "matlab"};

Image random_image(int w, int h, int ch, SampleType t, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Image f = Image::allocate(w, h, ch, SampleType::f32);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w * ch; ++x) f.view().row_as<float>(y)[x] = u(rng);
    Image out = Image::allocate(w, h, ch, t);
    convert_samples(f.view(), out.view());
    return out;
}

Image resize(const std::string& method, const ImageView& src, int w, int h, Options o = {}) {
    auto r = create(method, o);
    REQUIRE(r);
    Image dst = Image::allocate(w, h, src.desc.channels, src.desc.type);
    dst.set_flags(src.desc.flags);
    RunContext run;
    r->resample(src, dst.view(), run);
    return dst;
}

bool same_bytes(const Image& a, const Image& b) {
    if (!a.desc().same_shape(b.desc())) return false;
    for (int y = 0; y < a.desc().height; ++y)
        if (std::memcmp(a.view().row(y), b.view().row(y), a.desc().row_bytes()) != 0) return false;
    return true;
}

// The resampling matrix of one axis, built here from the kernel definitions, not from the plan.
Eigen::MatrixXd oracle_matrix(const Kernel& k, int in, int out, bool antialias, EdgeMode edge) {
    Eigen::MatrixXd W = Eigen::MatrixXd::Zero(out, in);
    const double step = double(in) / out;
    const double fs = (antialias && step > 1 && k.kind != KernelKind::nearest) ? step : 1.0;
    for (int i = 0; i < out; ++i) {
        const double centre = (i + 0.5) * step;
        double sum = 0;
        std::vector<std::pair<long, double>> taps;
        if (k.kind == KernelKind::nearest) {
            taps.push_back({long(std::floor(centre)), 1.0});
            sum = 1;
        } else {
            for (long j = long(std::floor(centre - k.support * fs)) - 2; j <= long(std::ceil(centre + k.support * fs)) + 2; ++j) {
                const double w = k((j + 0.5 - centre) / fs);
                if (w != 0) taps.push_back({j, w}), sum += w;
            }
        }
        if (edge == EdgeMode::truncate && k.kind != KernelKind::nearest) {
            double inside = 0;
            for (auto [j, w] : taps)
                if (j >= 0 && j < in) inside += w;
            for (auto [j, w] : taps)
                if (j >= 0 && j < in) W(i, j) += w / inside;
            continue;
        }
        for (auto [j, w] : taps) {
            long m = j;
            if (edge == EdgeMode::clamp) m = std::clamp<long>(j, 0, in - 1);
            if (edge == EdgeMode::wrap) m = ((j % in) + in) % in;
            if (edge == EdgeMode::reflect) {
                long p = ((j % (2 * in)) + 2 * in) % (2 * in);
                m = p < in ? p : 2 * in - 1 - p;
            }
            W(i, m) += w / sum;
        }
    }
    return W;
}

int max_abs_diff(const Image& a, const Image& b) {
    int worst = 0;
    for (int y = 0; y < a.desc().height; ++y)
        for (size_t x = 0; x < a.desc().row_bytes(); ++x)
            worst = std::max(worst, std::abs(int(a.view().row(y)[x]) - int(b.view().row(y)[x])));
    return worst;
}

// A row of RGBA mid samples with its whole 8-pixel blocks reordered as fixed16.hpp documents for
// h_mid_to_mid_blocks: 128-bit lanes R0-3 B0-3 | R4-7 B4-7 | G0-3 A0-3 | G4-7 A4-7.
std::vector<int16_t> rgba_blocks(const std::vector<int16_t>& row, int32_t pixels) {
    std::vector<int16_t> out = row;
    const int lane_channel[4][2] = {{0, 2}, {0, 2}, {1, 3}, {1, 3}};
    for (int32_t b = 0; b + 8 <= pixels; b += 8)
        for (int lane = 0; lane < 4; ++lane)
            for (int half = 0; half < 2; ++half)
                for (int j = 0; j < 4; ++j) {
                    const int pixel = b + (lane % 2 == 0 ? j : 4 + j), channel = lane_channel[lane][half];
                    out[size_t(b) * 4 + size_t(lane * 8 + half * 4 + j)] = row[size_t(pixel) * 4 + size_t(channel)];
                }
    return out;
}

}  // namespace

TEST_CASE("f32 results equal the Eigen oracle W_y X W_x^T within 1e-5") {
    const int sizes[][4] = {{17, 13, 40, 29}, {40, 31, 9, 14}, {23, 19, 23 * 3, 7}, {64, 48, 37, 100}};
    for (const char* name : {"bilinear", "bicubic", "mitchell", "bspline", "lanczos3", "lanczos4", "box"}) {
        for (const char* edge : {"clamp", "reflect", "wrap", "truncate"}) {
            for (bool aa : {true, false}) {
                for (auto& s : sizes) {
                    CAPTURE(name);
                    CAPTURE(edge);
                    CAPTURE(aa);
                    CAPTURE(s[2]);
                    Options o;
                    o.set_string("edge", edge);
                    o.set_int("antialias", aa);
                    MethodSpec spec;
                    REQUIRE(method_spec(name, o, spec));
                    Image src = random_image(s[0], s[1], 2, SampleType::f32, 3);
                    src.set_flags(kPremultiplied);  // keep the linear path: no alpha handling
                    Image dst = resize(name, src.view(), s[2], s[3], o);
                    const EdgeMode e = std::string(edge) == "reflect"    ? EdgeMode::reflect
                                       : std::string(edge) == "wrap"     ? EdgeMode::wrap
                                       : std::string(edge) == "truncate" ? EdgeMode::truncate
                                                                         : EdgeMode::clamp;
                    const Eigen::MatrixXd Wx = oracle_matrix(spec.kernel, s[0], s[2], aa, e);
                    const Eigen::MatrixXd Wy = oracle_matrix(spec.kernel, s[1], s[3], aa, e);
                    double worst = 0;
                    for (int c = 0; c < 2; ++c) {
                        Eigen::MatrixXd X(s[1], s[0]);
                        for (int y = 0; y < s[1]; ++y)
                            for (int x = 0; x < s[0]; ++x) X(y, x) = src.view().row_as<float>(y)[x * 2 + c];
                        const Eigen::MatrixXd Y = Wy * X * Wx.transpose();
                        for (int y = 0; y < s[3]; ++y)
                            for (int x = 0; x < s[2]; ++x)
                                worst = std::max(worst, std::fabs(Y(y, x) - dst.view().row_as<float>(y)[x * 2 + c]));
                    }
                    CHECK(worst < 1e-5);
                }
            }
        }
    }
}

TEST_CASE("a constant image stays exactly constant for every filter, type and size") {
    for (const char* name : kFilters)
        for (SampleType t : {SampleType::u8, SampleType::u16, SampleType::f32})
            for (int ch : {1, 3, 4}) {
                CAPTURE(name);
                CAPTURE(int(t));
                Image src = Image::allocate(31, 17, ch, t);
                for (int y = 0; y < 17; ++y)
                    for (int x = 0; x < 31 * ch; ++x) {
                        if (t == SampleType::u8) src.view().row(y)[x] = 201;
                        if (t == SampleType::u16) src.view().row_as<uint16_t>(y)[x] = 54321;
                        if (t == SampleType::f32) src.view().row_as<float>(y)[x] = 0.3137f;
                    }
                for (auto [w, h] : {std::pair{97, 51}, std::pair{8, 5}, std::pair{31, 40}, std::pair{13, 17}}) {
                    Image dst = resize(name, src.view(), w, h);
                    Image expect = Image::allocate(w, h, ch, t);
                    for (int y = 0; y < h; ++y) std::memcpy(expect.view().row(y), src.view().row(0), expect.desc().row_bytes());
                    CHECK(same_bytes(dst, expect));
                }
            }
}

TEST_CASE("same-size resize is the identity; integer nearest upscale is pure replication") {
    Image src = random_image(29, 23, 3, SampleType::u8, 5);
    for (const char* name : kFilters) CHECK(same_bytes(resize(name, src.view(), 29, 23), src));
    Image up = resize("nearest", src.view(), 29 * 3, 23 * 2);
    bool ok = true;
    for (int y = 0; y < 46; ++y)
        for (int x = 0; x < 87; ++x)
            for (int c = 0; c < 3; ++c) ok &= up.view().row(y)[x * 3 + c] == src.view().row(y / 2)[(x / 3) * 3 + c];
    CHECK(ok);
    // Pixel-centre exact nearest on a downscale: source index floor((i + 0.5) * in / out).
    Image down = resize("nearest", src.view(), 10, 7);
    for (int x = 0; x < 10; ++x) CHECK(down.view().row(0)[x * 3] == src.view().row(int((0 + 0.5) * 23 / 7))[int((x + 0.5) * 29 / 10) * 3]);
}

TEST_CASE("coefficient rows sum to one (fixed point exactly 2^14) and kernels are symmetric") {
    Options o;
    for (const char* name : kFilters) {
        MethodSpec spec;
        REQUIRE(method_spec(name, o, spec));
        // (box and nearest are half-open at +-0.5 by design, so one tap wins a tie)
        for (double x : {0.1, 0.4, 0.9, 1.3, 1.7, 2.5, 3.2})
            CHECK(spec.kernel(x) == doctest::Approx(spec.kernel(-x)).epsilon(1e-15));
        for (auto [in, out] : {std::pair{10, 37}, std::pair{100, 7}, std::pair{33, 33 * 4}, std::pair{1, 5}, std::pair{5, 1}}) {
            const AxisPlan p = build_axis(spec.kernel, {in, out, 0.0, double(in), true, EdgeMode::clamp});
            for (int i = 0; i < out; ++i) {
                double s = 0;
                int q = 0;
                for (int k = 0; k < p.count[i]; ++k) {
                    s += p.weights[p.offset[i] + k];
                    q += p.weights_q[p.offset[i] + k];
                    CHECK(p.first[i] + k >= 0);
                    CHECK(p.first[i] + k < in);
                }
                CHECK(s == doctest::Approx(1.0).epsilon(1e-12));
                CHECK(q == (1 << kWeightBits));
            }
        }
    }
}

TEST_CASE("u16 results are the Eigen oracle rounded (within 0.5 level plus float error), both pass orders") {
    // u16 keeps all 16 bits through the passes: every output within 0.5 + 0.02 of W_y X W_x^T
    // clamped to [0, 65535]. Shrinking and enlarging rows (both pass orders), 1-4 channels.
    const int sizes[][4] = {{97, 61, 23, 15}, {23, 15, 97, 61}, {160, 40, 37, 41}, {33, 70, 80, 17}};
    for (const char* name : {"bilinear", "bicubic", "lanczos3"})
        for (int ch : {1, 3, 4})
            for (auto& s : sizes) {
                CAPTURE(name);
                CAPTURE(ch);
                CAPTURE(s[2]);
                Options o;
                MethodSpec spec;
                REQUIRE(method_spec(name, o, spec));
                Image src = random_image(s[0], s[1], ch, SampleType::u16, 5);
                src.set_flags(kPremultiplied);  // the plain path: no alpha handling
                Image dst = resize(name, src.view(), s[2], s[3], o);
                const Eigen::MatrixXd Wx = oracle_matrix(spec.kernel, s[0], s[2], true, EdgeMode::clamp);
                const Eigen::MatrixXd Wy = oracle_matrix(spec.kernel, s[1], s[3], true, EdgeMode::clamp);
                double worst = 0;
                for (int c = 0; c < ch; ++c) {
                    Eigen::MatrixXd X(s[1], s[0]);
                    for (int y = 0; y < s[1]; ++y)
                        for (int x = 0; x < s[0]; ++x) X(y, x) = src.view().row_as<uint16_t>(y)[x * ch + c];
                    const Eigen::MatrixXd Y = Wy * X * Wx.transpose();
                    for (int y = 0; y < s[3]; ++y)
                        for (int x = 0; x < s[2]; ++x) {
                            const double want = std::clamp(Y(y, x), 0.0, 65535.0);
                            worst = std::max(worst, std::fabs(want - dst.view().row_as<uint16_t>(y)[x * ch + c]));
                        }
                }
                CHECK(worst <= 0.52);
            }
}

TEST_CASE("bit-identical for any thread count and for the vectorised and portable paths") {
    for (SampleType t : {SampleType::u8, SampleType::u16, SampleType::f32}) {
        Image src = random_image(211, 157, 3, t, 9);
        for (const char* name : {"bicubic", "lanczos3", "matlab"}) {
            for (auto [w, h] : {std::pair{640, 480}, std::pair{70, 50}}) {
                CAPTURE(name);
                Options o1;
                o1.set_int("threads", 1);
                Image ref = resize(name, src.view(), w, h, o1);
                for (int threads : {2, 3, 7}) {
                    Options o;
                    o.set_int("threads", threads);
                    CHECK(same_bytes(resize(name, src.view(), w, h, o), ref));
                }
                set_force_scalar(true);
                CHECK(same_bytes(resize(name, src.view(), w, h, o1), ref));
                set_force_scalar(false);
            }
        }
    }
}

TEST_CASE("vector and portable kernels agree for every channel count, edge and odd geometry") {
    // Covers the window padding at both ends, the 3-channel tails and windows wider than the source;
    // the AVX2 kernels are compared on their own too (on AVX-512 machines they only do remainders).
    const int sizes[][4] = {{37, 29, 149, 117}, {149, 117, 37, 29}, {5, 3, 41, 23}, {300, 7, 13, 90}, {64, 64, 63, 65},
                            {1, 9, 6, 4}, {2, 2, 11, 3}};
    for (SampleType t : {SampleType::u8, SampleType::f32})
        for (int ch : {1, 2, 3, 4})
            for (const char* name : {"bilinear", "bicubic", "lanczos3", "box", "bspline"})
                for (const char* edge : {"clamp", "reflect", "wrap", "truncate"})
                    for (auto& s : sizes) {
                        CAPTURE(int(t));
                        CAPTURE(ch);
                        CAPTURE(name);
                        CAPTURE(edge);
                        CAPTURE(s[0]);
                        CAPTURE(s[2]);
                        Image src = random_image(s[0], s[1], ch, t, 21);
                        // The plain path; u8 with alpha also through the fixed-point premultiplied one.
                        const bool premultiply = t == SampleType::u8 && (ch == 2 || ch == 4) && s[1] % 2;
                        if (!premultiply) src.set_flags(kPremultiplied);
                        Options o;
                        o.set_string("edge", edge);
                        o.set_int("clamp_intermediate", s[0] % 2);
                        Image fast = resize(name, src.view(), s[2], s[3], o);
                        set_max_isa(Isa::avx2);
                        Image avx2 = resize(name, src.view(), s[2], s[3], o);
                        set_force_scalar(true);
                        Image portable = resize(name, src.view(), s[2], s[3], o);
                        set_force_scalar(false);
                        CHECK(same_bytes(fast, portable));
                        CHECK(same_bytes(avx2, portable));
                    }
}

TEST_CASE("downscale fast paths (several rows per sweep, periodic taps) give the generic path's bits") {
    // Integer and fractional ratios, widths that leave strip and vector tails, every channel count;
    // large enough that the vertical pass runs first and sweeps several output rows at once (u8;
    // f32 only where rows do not shrink), or, for f32 rows that shrink, that rows are filtered 16
    // at a time with partial groups at the bottom.
    const int sizes[][4] = {{256, 200, 64, 50},  {263, 211, 65, 52}, {300, 160, 100, 40}, {250, 190, 93, 71},
                            {97, 400, 24, 100},  {60, 400, 64, 100}, {61, 333, 64, 90},   {1500, 37, 150, 9}};
    for (SampleType t : {SampleType::f32, SampleType::u8})
        for (int ch : {1, 2, 3, 4})
            for (const char* name : {"bilinear", "bicubic", "lanczos3"})
                for (auto& s : sizes) {
                    CAPTURE(int(t));
                    CAPTURE(ch);
                    CAPTURE(name);
                    CAPTURE(s[0]);
                    Image src = random_image(s[0], s[1], ch, t, 33);
                    if (ch % 2) src.set_flags(kPremultiplied);
                    Image fast = resize(name, src.view(), s[2], s[3]);
                    set_max_isa(Isa::avx2);
                    Image avx2 = resize(name, src.view(), s[2], s[3]);
                    set_force_scalar(true);
                    Image portable = resize(name, src.view(), s[2], s[3]);
                    set_force_scalar(false);
                    CHECK(same_bytes(fast, portable));
                    CHECK(same_bytes(avx2, portable));
                }
}

TEST_CASE("outputs of 32 MiB and more (non-temporal stores) give the portable path's bytes") {
    // 3 and 4 channels, rows 64-byte aligned (streamed) and not (4097 pixels: plain stores).
    for (int ch : {3, 4})
        for (int w : {4096, 4097}) {
            CAPTURE(ch);
            CAPTURE(w);
            Image src = random_image(w / 4, 700, ch, SampleType::u8, 8);
            if (ch == 4) src.set_flags(kPremultiplied);
            Image fast = resize("bilinear", src.view(), w, 2800);
            REQUIRE(size_t(fast.desc().stride) * 2800 >= size_t(32) << 20);
            set_force_scalar(true);
            Image portable = resize("bilinear", src.view(), w, 2800);
            set_force_scalar(false);
            CHECK(same_bytes(fast, portable));
        }
}

TEST_CASE("random geometries: AVX-512, AVX2 and portable paths agree (f32, u16, u8)") {
    // Shrinking rows send f32 and u16 through the 16- / 8-row transposed kernels: widths below
    // one block, partial row groups, windows wider than the source, every channel count and edge.
    std::mt19937 rng(77);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const char* names[] = {"bilinear", "bicubic", "lanczos3", "box", "mitchell"};
    const char* edges[] = {"clamp", "reflect", "wrap", "truncate"};
    const SampleType types[] = {SampleType::f32, SampleType::u16, SampleType::u8};
    for (int i = 0; i < 150; ++i) {
        const int in_w = pick(1, 300), in_h = pick(1, 70), ch = pick(1, 4);
        const int out_w = i % 3 ? pick(1, std::max(1, in_w - 1)) : pick(1, 400), out_h = pick(1, 90);
        const SampleType t = types[i % 3];
        const char* name = names[pick(0, 4)];
        const char* edge = edges[pick(0, 3)];
        CAPTURE(in_w);
        CAPTURE(in_h);
        CAPTURE(out_w);
        CAPTURE(out_h);
        CAPTURE(ch);
        CAPTURE(int(t));
        CAPTURE(name);
        CAPTURE(edge);
        Image src = random_image(in_w, in_h, ch, t, unsigned(i));
        src.set_flags(kPremultiplied);
        Options o;
        o.set_string("edge", edge);
        o.set_int("threads", pick(1, 3));
        Image fast = resize(name, src.view(), out_w, out_h, o);
        set_max_isa(Isa::avx2);
        Image avx2 = resize(name, src.view(), out_w, out_h, o);
        set_force_scalar(true);
        Image portable = resize(name, src.view(), out_w, out_h, o);
        set_force_scalar(false);
        CHECK(same_bytes(fast, portable));
        CHECK(same_bytes(avx2, portable));
    }
}

TEST_CASE("u8 results stay within one level of the double-precision path") {
    // The fixed-point passes (14-bit weights, int16 intermediate) against the f32 path's doubles.
    for (int ch : {3, 4})
        for (const char* name : {"bilinear", "bicubic", "lanczos3"})
            for (auto [w, h] : {std::pair{400, 300}, std::pair{31, 23}, std::pair{150, 40}}) {
                CAPTURE(ch);
                CAPTURE(name);
                CAPTURE(w);
                Image src8 = random_image(101, 77, ch, SampleType::u8, 4);
                src8.set_flags(kPremultiplied);
                Image srcf = Image::allocate(101, 77, ch, SampleType::f32);
                convert_samples(src8.view(), srcf.view());
                srcf.set_flags(kPremultiplied);
                Image out8 = resize(name, src8.view(), w, h);
                Image outf = resize(name, srcf.view(), w, h);
                int worst = 0;
                for (int y = 0; y < h; ++y)
                    for (int x = 0; x < w * ch; ++x) {
                        const double v = std::clamp(double(outf.view().row_as<float>(y)[x]) * 255.0, 0.0, 255.0);
                        worst = std::max(worst, int(std::ceil(std::fabs(v - out8.view().row(y)[x]) - 0.5 - 1e-9)));
                    }
                CHECK(worst <= 1);
            }
}

TEST_CASE("alpha: an RGBA upscale to 32 MiB (streaming stores, fused passes) gives the portable bytes") {
    // Alpha varying along rows and columns, with transparent and opaque runs; width not a multiple
    // of 8 or 16 (the rows' tails and unaligned rows take the other stores).
    for (int out_w : {4096, 4100}) {
        CAPTURE(out_w);
        Image src = random_image(out_w / 4, 512, 4, SampleType::u8, 31);
        for (int y = 0; y < 512; ++y)
            for (int x = 0; x < out_w / 4; ++x) {
                uint8_t& a = src.view().row(y)[x * 4 + 3];
                a = (x / 16 + y / 8) % 5 == 0 ? 0 : (x / 16 + y / 8) % 5 == 1 ? 255 : a;
            }
        Image fast = resize("bilinear", src.view(), out_w, 2048);
        set_max_isa(Isa::avx2);
        Image avx2 = resize("bilinear", src.view(), out_w, 2048);
        set_force_scalar(true);
        Image portable = resize("bilinear", src.view(), out_w, 2048);
        set_force_scalar(false);
        CHECK(same_bytes(fast, portable));
        CHECK(same_bytes(avx2, portable));
    }
}

TEST_CASE("alpha: opaque alpha changes nothing; transparent pixels never bleed colour") {
    Image rgb = random_image(40, 30, 3, SampleType::u8, 12);
    Image rgba = Image::allocate(40, 30, 4, SampleType::u8);
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 40; ++x) {
            std::memcpy(rgba.view().row(y) + x * 4, rgb.view().row(y) + x * 3, 3);
            rgba.view().row(y)[x * 4 + 3] = 255;
        }
    for (const char* name : {"bilinear", "bicubic", "lanczos3"}) {
        Image a = resize(name, rgb.view(), 97, 71), b = resize(name, rgba.view(), 97, 71);
        bool same = true;
        for (int y = 0; y < 71; ++y)
            for (int x = 0; x < 97; ++x) same &= std::memcmp(a.view().row(y) + x * 3, b.view().row(y) + x * 4, 3) == 0;
        CHECK(same);
    }
    // Left half opaque white, right half fully transparent but coloured pure red.
    Image half = Image::allocate(20, 10, 4, SampleType::u8);
    for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 20; ++x) {
            uint8_t* p = half.view().row(y) + x * 4;
            if (x < 10) p[0] = p[1] = p[2] = p[3] = 255;
            else p[0] = 255, p[1] = p[2] = p[3] = 0;
        }
    Image out = resize("lanczos3", half.view(), 53, 10);
    for (int x = 0; x < 53; ++x) {
        const uint8_t* p = out.view().row(5) + x * 4;
        if (p[3] > 0) {  // wherever anything is visible, it is white: no red from transparent pixels
            CHECK(p[0] == 255);
            CHECK(p[1] == 255);
            CHECK(p[2] == 255);
        }
    }
}

namespace {

// The alpha16 kernel sets this CPU runs: the portable code and each vector width it has.
std::vector<alpha16::Vector> alpha_kernels() {
    std::vector<alpha16::Vector> v{alpha16::Vector::none};
    if (alpha16::avx2::available()) v.push_back(alpha16::Vector::avx2);
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) v.push_back(alpha16::Vector::avx512);
    return v;
}

// The vector ones only (nothing to compare on a CPU without AVX2).
std::vector<alpha16::Vector> alpha_vector_kernels() {
    std::vector<alpha16::Vector> v = alpha_kernels();
    v.erase(v.begin());
    return v;
}

}  // namespace

TEST_CASE("alpha in fixed point: premultiplied samples are round(c * a * 64 / 255) for every c and a") {
    int wrong = 0;
    for (alpha16::Vector v : alpha_kernels())
    for (int a = 0; a < 256; ++a) {
        uint8_t px[256 * 4];
        int16_t pre[256 * 4];
        for (int c = 0; c < 256; ++c) px[c * 4] = px[c * 4 + 1] = px[c * 4 + 2] = uint8_t(c), px[c * 4 + 3] = uint8_t(a);
        alpha16::premultiply_row(px, pre, 256, 4, v);
        for (int c = 0; c < 256; ++c) {
            wrong += pre[c * 4] != int(std::floor(c * a * 64.0 / 255.0 + 0.5)) || pre[c * 4 + 3] != a * 64;
            wrong += pre[c * 4 + 1] != pre[c * 4] || pre[c * 4 + 2] != pre[c * 4];
        }
    }
    CHECK(wrong == 0);
}

TEST_CASE("alpha in fixed point: the vector un-premultiply gives the portable bytes for any sums") {
    // Raw second-pass sums (20 fractional bits) with overshoot, negative values, tiny and zero alpha.
    std::mt19937 rng(5);
    std::uniform_int_distribution<int32_t> colour(-(40 << 20), 300 << 20), alpha(-(2 << 20), 300 << 20);
    const int32_t pixels = 4099;
    std::vector<int32_t> sums(size_t(pixels) * 4);
    for (int32_t x = 0; x < pixels; ++x) {
        for (int c = 0; c < 3; ++c) sums[size_t(x) * 4 + size_t(c)] = colour(rng);
        const int32_t pick = x % 7;
        sums[size_t(x) * 4 + 3] = pick == 0 ? 255 << 20 : pick == 1 ? int32_t(rng() % 1024) : pick == 2 ? 0 : alpha(rng);
        if (pick == 0) sums[size_t(x) * 4] = int32_t(x % 256) << 20 | (1 << 19);  // exact ties where opaque
    }
    std::vector<uint8_t> portable(size_t(pixels) * 4);
    alpha16::unpremultiply_row(sums.data(), portable.data(), pixels, 4, alpha16::Vector::none);
    int wrong = 0;
    for (int32_t x = 0; x < pixels; x += 7) wrong += portable[size_t(x) * 4] != std::min(255, x % 256 + 1);
    CHECK(wrong == 0);
    std::vector<int32_t> next = sums;
    for (int32_t x = 0; x < pixels; ++x) {
        for (int c = 0; c < 3; ++c) next[size_t(x) * 4 + size_t(c)] = colour(rng);
        if ((x / 8) % 3 == 0) next[size_t(x) * 4 + 3] = alpha(rng);
    }
    for (alpha16::Vector v : alpha_vector_kernels()) {
    CAPTURE(int(v));
    std::vector<uint8_t> vec(size_t(pixels) * 4);
    alpha16::unpremultiply_row(sums.data(), vec.data(), pixels, 4, v);
    CHECK(vec == portable);
    // Row to row with the memo of scales: a second row repeating some groups' alpha sums (the
    // first row starts from the opaque memo, so its opaque groups are reused too).
    alpha16::ScaleMemo memo(pixels);
    std::vector<uint8_t> memo_out(size_t(pixels) * 4), next_portable(size_t(pixels) * 4);
    alpha16::unpremultiply_row(sums.data(), memo_out.data(), pixels, 4, v, &memo);
    CHECK(memo_out == portable);
    alpha16::unpremultiply_row(next.data(), memo_out.data(), pixels, 4, v, &memo);
    alpha16::unpremultiply_row(next.data(), next_portable.data(), pixels, 4, alpha16::Vector::none);
    CHECK(memo_out == next_portable);
    // Whole opaque groups (rounded in integers once the memo knows them), colour sums up to the
    // int32 limit, then the same row again with the groups' alpha changed.
    std::vector<int32_t> opaque = next;
    for (int32_t x = 0; x < pixels; ++x)
        if (x / 8 % 3 != 1) {
            opaque[size_t(x) * 4 + 3] = 255 << 20;
            if (x % 5 == 0) opaque[size_t(x) * 4] = x % 2 ? INT32_MAX : INT32_MIN;
        }
    alpha16::ScaleMemo opaque_memo(pixels);
    for (int round = 0; round < 3; ++round) {
        if (round == 2)
            for (int32_t x = 0; x < pixels; x += 16) opaque[size_t(x) * 4 + 3] -= 1;
        std::vector<uint8_t> want(size_t(pixels) * 4), got(size_t(pixels) * 4);
        alpha16::unpremultiply_row(opaque.data(), want.data(), pixels, 4, alpha16::Vector::none);
        alpha16::unpremultiply_row(opaque.data(), got.data(), pixels, 4, v, &opaque_memo);
        CHECK(got == want);
    }
    }
}

TEST_CASE("alpha in fixed point: the vector un-premultiply rounds exact ties as the portable code") {
    // Colour sums on a half level, 510 C = (2k - 1) A, and one either side of it, for small and
    // large alpha sums: where 255 / A is inexact the vector code's rounding differs from the
    // portable code's (one FMA instead of a multiply and an add) and must still give its bytes.
    std::vector<int32_t> sums;
    int inexact_ties = 0;
    auto add_ties = [&](int64_t a) {
        for (int64_t k = -1; k <= 257; ++k) {
            const int64_t num = (2 * k - 1) * a;
            if (num % 510 != 0 || num / 510 > INT32_MAX || num / 510 < INT32_MIN + 1) continue;
            const int32_t c = int32_t(num / 510);
            sums.insert(sums.end(), {c, c - 1, c + 1, int32_t(a)});
            int64_t odd = a / std::gcd(a, int64_t(255));
            while (odd % 2 == 0) odd /= 2;
            inexact_ties += odd != 1;
        }
    };
    for (int64_t a = 1; a <= 70000; ++a) add_ties(a);
    for (int64_t a = 70001; a <= (int64_t(320) << 20); a += 9973) add_ties(a);
    add_ties(int64_t(255) << 20);
    const int32_t pixels = int32_t(sums.size() / 4);
    std::vector<uint8_t> portable(sums.size());
    alpha16::unpremultiply_row(sums.data(), portable.data(), pixels, 4, alpha16::Vector::none);
    CHECK(inexact_ties > 1000);
    for (alpha16::Vector v : alpha_vector_kernels()) {
        CAPTURE(int(v));
        std::vector<uint8_t> vec(sums.size());
        alpha16::unpremultiply_row(sums.data(), vec.data(), pixels, 4, v);
        CHECK(vec == portable);
    }
}

TEST_CASE("alpha in fixed point: the fused vertical un-premultiply gives the unfused portable bytes") {
    if (!alpha16::avx2::available()) {
        MESSAGE("no AVX2 and FMA: the fused kernels are not used on this CPU");
        return;
    }
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    if (!avx512) MESSAGE("no AVX-512BW: only the AVX2 fused kernel is checked");
    // Mid samples (6 fractional bits) with overshoot and negative colour, and alpha drawn from
    // transparent, opaque, tiny, random and negative (a ringing filter's overshoot) values.
    std::mt19937 rng(17);
    std::uniform_int_distribution<int> colour(-3000, 20000), any_alpha(-2000, 16320), pick(0, 5);
    auto alpha_sample = [&](int kind) -> int16_t {
        switch (kind) {
            case 0: return 0;
            case 1: return 255 << 6;
            case 2: return int16_t(rng() % 8);
            case 3: return int16_t(-int(rng() % 500));
            default: return int16_t(any_alpha(rng));
        }
    };
    // Weights of n taps summing to 2^14, some negative, with sum |w| <= 3 * 2^14 (fixed16::fits).
    auto weights = [&](int n) {
        std::vector<int16_t> w(static_cast<size_t>(n));
        int sum = 0;
        for (int k = 0; k + 1 < n; ++k) {
            w[size_t(k)] = int16_t(int(rng() % 12000) - 3000 / n);
            sum += w[size_t(k)];
        }
        w[size_t(n - 1)] = int16_t((1 << 14) - sum);
        int abs_sum = 0;
        for (int16_t v : w) abs_sum += std::abs(int(v));
        if (abs_sum > 3 << 14 || std::abs((1 << 14) - sum) > 32767) std::fill(w.begin(), w.end(), int16_t(0)), w[0] = 1 << 14;
        return w;
    };
    int wrong = 0, checked = 0;
    for (int n = 1; n <= 9; ++n)
        for (int32_t pixels : {1, 7, 8, 9, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 200, 203}) {
            CAPTURE(n);
            CAPTURE(pixels);
            const size_t len = size_t(pixels) * 4;
            // Source rows with slack for reads past the end, as the ring gives them.
            std::vector<std::vector<int16_t>> src(size_t(n) + 4, std::vector<int16_t>(len + 64, int16_t(0x5555)));
            for (auto& row : src)
                for (int32_t x = 0; x < pixels; ++x) {
                    for (int c = 0; c < 3; ++c) row[size_t(x) * 4 + size_t(c)] = int16_t(colour(rng));
                    // Every fourth group opaque in all rows (the rounding shortcut), colour overshooting.
                    row[size_t(x) * 4 + 3] = x / 8 % 4 == 2 ? int16_t(255 << 6) : alpha_sample(x % 6 == 5 ? pick(rng) : x % 6);
                }
            // Several output rows in turn with one memo: the later ones share alpha with the first
            // (columns of constant alpha, the usual case) except in some groups, so scales are
            // reused across rows and recomputed where alpha changes (opaque groups included). The
            // memo starts out opaque everywhere.
            alpha16::ScaleMemo memo(pixels), memo2(pixels);
            for (int out_row = 0; out_row < 6; ++out_row) {
                std::vector<const int16_t*> rows(static_cast<size_t>(n));
                for (int k = 0; k < n; ++k) rows[size_t(k)] = src[size_t(k + out_row % 2)].data();
                if (out_row == 2)  // same alpha in every row: any weights give back that alpha
                    for (auto& row : src)
                        for (int32_t x = 0; x < pixels; ++x) row[size_t(x) * 4 + 3] = src[0][size_t(x) * 4 + 3];
                if (out_row == 3)
                    for (int32_t x = 8; x < pixels; x += 24) src[0][size_t(x) * 4 + 3] ^= 64;
                if (out_row == 4)  // no opaque group left: the memo stops testing for them
                    for (auto& row : src)
                        for (int32_t x = 0; x < pixels; ++x) row[size_t(x) * 4 + 3] = int16_t(100 << 6);
                if (out_row == 5)  // opaque again from the start of the row
                    for (auto& row : src)
                        for (int32_t x = 0; x < std::min(pixels, 16); ++x) row[size_t(x) * 4 + 3] = int16_t(255 << 6);
                const std::vector<int16_t> w = weights(n);
                std::vector<int32_t> acc(len);
                fixed16::v_mid_to_acc(rows.data(), w.data(), n, acc.data(), 0, len);
                // Output 64-byte aligned (streaming stores) for even sizes, 4 bytes off for odd ones.
                std::vector<uint8_t> expected(len), storage(len + 8 + 128);
                uint8_t* fused = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) + (pixels % 2) * 4;
                alpha16::unpremultiply_row(acc.data(), expected.data(), pixels, 4, alpha16::Vector::none);
                // The rows with their blocks in h_mid_to_mid_blocks' order; streaming stores on
                // every other row.
                std::vector<std::vector<int16_t>> reordered;
                std::vector<const int16_t*> in = rows;
                for (int k = 0; k < n; ++k) reordered.push_back(rgba_blocks(src[size_t(k + out_row % 2)], pixels));
                for (int k = 0; k < n; ++k) in[size_t(k)] = reordered[size_t(k)].data();
                auto compare = [&](int32_t done) {
                    CHECK(done == pixels / 8 * 8);
                    for (size_t i = 0; i < len + 8; ++i) {
                        // Bytes past `done` pixels are left for the caller: untouched.
                        const uint8_t want = i < size_t(done) * 4 ? expected[i] : uint8_t(0xAB);
                        wrong += fused[i] != want;
                    }
                    checked += done;
                };
                if (avx512) {
                    std::fill(fused, fused + len + 8, uint8_t(0xAB));
                    const int32_t done = alpha16::v_mid_unpremultiply_rgba_avx512(in.data(), w.data(), n, fused, pixels,
                                                                                 out_row % 2 == 0, memo);
                    alpha16::end_streaming();
                    compare(done);
                    if (out_row == 4) CHECK(memo.opaque_groups == 0);
                }
                std::fill(fused, fused + len + 8, uint8_t(0xAB));
                const int32_t done = alpha16::avx2::v_mid_unpremultiply_rgba(in.data(), w.data(), n, fused, pixels,
                                                                            out_row % 2 == 0, memo2);
                alpha16::end_streaming();
                compare(done);
                if (out_row == 4) CHECK(memo2.opaque_groups == 0);
            }
        }
    CHECK(checked > 0);
    CHECK(wrong == 0);
}

TEST_CASE("alpha in fixed point: the horizontal pass in 8-pixel blocks gives the portable samples, reordered") {
    if (!fixed16::avx2::available()) {
        MESSAGE("no AVX2: the block layout is not used on this CPU");
        return;
    }
    const bool avx512 = fixed16::avx512::available();
    if (!avx512) MESSAGE("no AVX-512BW: only the AVX2 block kernel is checked");
    std::mt19937 rng(23);
    std::uniform_int_distribution<int> sample(0, 255 << 6);
    int wrong = 0, planned = 0, gathered = 0, general = 0;
    for (const char* name : {"bilinear", "bicubic", "lanczos3", "lanczos4"})
        for (auto [in, out] : {std::pair{1024, 4096}, std::pair{37, 149}, std::pair{5, 23}, std::pair{64, 63}, std::pair{9, 8},
                               std::pair{40, 57}, std::pair{19, 200}}) {
            CAPTURE(std::string(name));
            CAPTURE(out);
            MethodSpec spec;
            REQUIRE(method_spec(name, Options{}, spec));
            const AxisPlan p = build_axis(spec.kernel, {in, out, 0.0, double(in), true, EdgeMode::clamp});
            if (p.pairs == 0) continue;  // windows wider than the source: no vector layout
            ++planned;
            const fixed16::avx512::RgbaBlocks table = fixed16::avx512::rgba_blocks(p);
            for (int32_t base : table.base) gathered += base >= 0, general += base < 0;
            std::vector<int16_t> src(size_t(in) * 4 + 64);
            for (auto& v : src) v = int16_t(sample(rng));
            for (auto f : {fixed16::MidFinish::exact, fixed16::MidFinish::clamp}) {
                std::vector<int16_t> portable(size_t(out) * 4 + 64, 0), blocks(size_t(out) * 4 + 64, 0);
                fixed16::h_mid_to_mid(p, 4, src.data(), portable.data(), 0, f);
                const std::vector<int16_t> want = rgba_blocks(portable, out);
                if (avx512) {
                    const int32_t done = fixed16::avx512::h_mid_to_mid_blocks(p, table, src.data(), blocks.data(), out, f);
                    CHECK(done == out / 8 * 8);
                    for (size_t i = 0; i < size_t(done) * 4; ++i) wrong += blocks[i] != want[i];
                }
                std::vector<int16_t> blocks2(size_t(out) * 4 + 64, 0);
                const int32_t done = fixed16::avx2::h_mid_to_mid_blocks(p, src.data(), blocks2.data(), out, f);
                CHECK(done == out / 8 * 8);
                for (size_t i = 0; i < size_t(done) * 4; ++i) wrong += blocks2[i] != want[i];
            }
        }
    CHECK(planned >= 10);
    CHECK(gathered > 100);  // blocks from one window load (upscales)
    CHECK(general > 0);     // and blocks whose taps span more than 8 pixels
    CHECK(wrong == 0);
}

TEST_CASE("alpha in fixed point: within one level of the float path, exact where opaque") {
    // Independent reference: the same image as f32, premultiplied and resampled in float.
    for (int ch : {2, 4})
        for (const char* name : {"bilinear", "bicubic", "lanczos3"})
            for (auto [w, h] : {std::pair{300, 220}, std::pair{23, 17}, std::pair{111, 40}}) {
                CAPTURE(ch);
                CAPTURE(name);
                CAPTURE(w);
                Image src8 = random_image(71, 53, ch, SampleType::u8, 8);
                for (int y = 0; y < 53; ++y)  // a few fully transparent and fully opaque pixels too
                    for (int x = 0; x < 71; x += 5) src8.view().row(y)[x * ch + ch - 1] = (x + y) % 2 ? 255 : 0;
                Image srcf = Image::allocate(71, 53, ch, SampleType::f32);
                convert_samples(src8.view(), srcf.view());
                Image out8 = resize(name, src8.view(), w, h);
                Image outf = resize(name, srcf.view(), w, h);
                int worst_alpha = 0, worst_colour = 0;
                for (int y = 0; y < h; ++y)
                    for (int x = 0; x < w; ++x) {
                        const float* f = outf.view().row_as<float>(y) + x * ch;
                        const uint8_t* b = out8.view().row(y) + x * ch;
                        auto level = [](float v) { return int(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
                        worst_alpha = std::max(worst_alpha, std::abs(level(f[ch - 1]) - b[ch - 1]));
                        if (b[ch - 1] >= 32)  // colour error grows as 1 / alpha
                            for (int c = 0; c < ch - 1; ++c) worst_colour = std::max(worst_colour, std::abs(level(f[c]) - b[c]));
                    }
                CHECK(worst_alpha <= 1);
                CHECK(worst_colour <= 1);
            }
    // Opaque everywhere but a transparent corner: away from the corner, the bytes of the RGB resize.
    Image rgb = random_image(60, 48, 3, SampleType::u8, 13);
    Image rgba = Image::allocate(60, 48, 4, SampleType::u8);
    for (int y = 0; y < 48; ++y)
        for (int x = 0; x < 60; ++x) {
            std::memcpy(rgba.view().row(y) + x * 4, rgb.view().row(y) + x * 3, 3);
            rgba.view().row(y)[x * 4 + 3] = x < 6 && y < 6 ? 0 : 255;
        }
    for (const char* name : {"bilinear", "bicubic", "lanczos3"})
        for (auto [w, h] : {std::pair{150, 130}, std::pair{30, 24}}) {
            CAPTURE(name);
            CAPTURE(w);
            Image a = resize(name, rgb.view(), w, h), b = resize(name, rgba.view(), w, h);
            bool same = true;
            for (int y = h / 2; y < h; ++y)
                for (int x = w / 2; x < w; ++x) same &= std::memcmp(a.view().row(y) + x * 3, b.view().row(y) + x * 4, 3) == 0;
            CHECK(same);
        }
}

TEST_CASE("linear light: a 1-px checkerboard halved gives 188, 128 when encoded") {
    Image cb = Image::allocate(64, 64, 1, SampleType::u8);
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x) cb.view().row(y)[x] = ((x + y) & 1) ? 255 : 0;
    Options lin;
    lin.set_int("linear_light", 1);
    Image l = resize("bilinear", cb.view(), 32, 32, lin);
    Image e = resize("bilinear", cb.view(), 32, 32);
    CHECK(int(l.view().row(10)[10]) == doctest::Approx(188).epsilon(0.01));
    CHECK(std::abs(int(e.view().row(10)[10]) - 128) <= 1);
}

TEST_CASE("crop boxes: sub-pixel regions and clear errors outside the image") {
    Image src = random_image(50, 40, 3, SampleType::f32, 2);
    Options o;
    o.set_double("crop_x", 10);
    o.set_double("crop_y", 5);
    o.set_double("crop_width", 20);
    o.set_double("crop_height", 20);
    // A crop of whole pixels at scale 1 with nearest is a plain copy of the region.
    Image c = resize("nearest", src.view(), 20, 20, o);
    CHECK(std::memcmp(c.view().row(0), src.view().row(5) + 10 * 12, 20 * 12) == 0);
    o.set_double("crop_x", 40);
    auto r = create("bilinear", o);
    Image dst = Image::allocate(10, 10, 3, SampleType::f32);
    RunContext run;
    CHECK_THROWS_AS(r->resample(src.view(), dst.view(), run), Error);
}

TEST_CASE("MATLAB parity: the matlab downscale reproduces Set5/Set14 LR images") {
    UPRES_SKIP_UNLESS_SHARED("data/Set5/x2/hr");
    for (const char* set : {"Set5", "Set14"}) {
        for (int scale : {2, 3, 4}) {
            const std::string dir = test::shared_dir() + "/data/" + set + "/x" + std::to_string(scale);
            std::vector<std::string> names;
            for (const char* n : {"baby", "bird", "butterfly", "head", "woman", "baboon", "barbara", "bridge",
                                  "coastguard", "comic", "face", "flowers", "foreman", "lenna", "man", "monarch",
                                  "pepper", "ppt3", "zebra"}) {
                FILE* f = std::fopen((dir + "/hr/" + n + ".png").c_str(), "rb");
                if (f) names.push_back(n), std::fclose(f);
            }
            REQUIRE(!names.empty());
            double identical_sum = 0;
            int worst_inner = 0;
            for (const auto& n : names) {
                Image hr = io::load_pixels(dir + "/hr/" + n + ".png");
                Image lr = io::load_pixels(dir + "/lr/" + n + ".png");
                Image ours = resize("matlab", hr.view(), lr.desc().width, lr.desc().height);
                const int ch = lr.desc().channels;
                size_t same = 0, total = 0;
                for (int y = 0; y < lr.desc().height; ++y)
                    for (int x = 0; x < lr.desc().width; ++x)
                        for (int c = 0; c < ch; ++c) {
                            const int d = std::abs(int(ours.view().row(y)[x * ch + c]) - int(lr.view().row(y)[x * ch + c]));
                            same += d == 0;
                            ++total;
                            if (x >= 3 && y >= 3 && x < lr.desc().width - 3 && y < lr.desc().height - 3)
                                worst_inner = std::max(worst_inner, d);
                        }
                identical_sum += double(same) / double(total);
            }
            const double mean_identical = identical_sum / double(names.size());
            MESSAGE(set << " x" << scale << ": " << mean_identical * 100 << "% identical, worst inner " << worst_inner);
            CHECK(mean_identical >= 0.98);
            CHECK(worst_inner <= 2);
        }
    }
}

TEST_CASE("Pillow parity on the astronaut photo (antialiased)") {
    UPRES_SKIP_UNLESS_PYTHON("PIL, skimage");
    const std::string script = std::string(UPRES_SOURCE_DIR) + "/tests/reference/peer_resize.py";
    const std::string photo = test::temp_path("astronaut.png");
    REQUIRE(test::run_python(script + " astronaut " + photo) == 0);
    Image src = io::load_pixels(photo);
    const int targets[][2] = {{2048, 2048}, {128, 128}, {189, 189}, {333, 777}};
    for (auto [name, tolerance] : {std::pair{"bilinear", 1}, std::pair{"bicubic", 2}, std::pair{"lanczos3", 2}}) {
        for (auto& t : targets) {
            CAPTURE(name);
            CAPTURE(t[0]);
            const std::string out = test::temp_path(std::string("pillow_") + name + ".png");
            REQUIRE(test::run_python(script + " pillow " + name + " " + photo + " " + std::to_string(t[0]) + " " +
                                     std::to_string(t[1]) + " " + out) == 0);
            Image theirs = io::load_pixels(out);
            Options pillow_edges;
            pillow_edges.set_string("edge", "truncate");       // Pillow cuts the kernel at the border
            pillow_edges.set_int("clamp_intermediate", 1);      // and clamps between the passes
            Image ours = resize(name, src.view(), t[0], t[1], pillow_edges);
            CHECK(max_abs_diff(ours, theirs) <= tolerance);
        }
    }
}

TEST_CASE("OpenCV parity: INTER_CUBIC upscaling with a = -0.75 and no antialias") {
    UPRES_SKIP_UNLESS_PYTHON("cv2, PIL, skimage");
    const std::string script = std::string(UPRES_SOURCE_DIR) + "/tests/reference/peer_resize.py";
    const std::string photo = test::temp_path("astronaut_cv.png");
    REQUIRE(test::run_python(script + " astronaut " + photo) == 0);
    Image src = io::load_pixels(photo);
    Options o;
    o.set_double("cubic_a", -0.75);
    o.set_int("antialias", 0);
    for (auto [w, h] : {std::pair{2048, 2048}, std::pair{700, 1100}}) {
        const std::string out = test::temp_path("opencv_cubic.png");
        REQUIRE(test::run_python(script + " opencv-cubic " + photo + " " + std::to_string(w) + " " + std::to_string(h) +
                                 " " + out) == 0);
        Image theirs = io::load_pixels(out);
        Image ours = resize("bicubic", src.view(), w, h, o);
        CHECK(max_abs_diff(ours, theirs) <= 1);
    }
}
