// Degradations: determinism, statistics, and the blur against scipy.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "quality/degradation.hpp"
#include "quality/metrics.hpp"
#include "test_support.hpp"

using namespace upres;
using namespace upres::quality;

namespace {
Image pattern(int w, int h, int ch, SampleType t = SampleType::u8) {
    Image f = Image::allocate(w, h, ch, SampleType::f32);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w * ch; ++x)
            f.view().row_as<float>(y)[x] = float(0.5 + 0.4 * std::sin(x * 0.21 + y * 0.13) * std::cos(y * 0.07));
    Image out = Image::allocate(w, h, ch, t);
    convert_samples(f.view(), out.view());
    return out;
}
bool same(const Image& a, const Image& b) {
    return a.desc().same_shape(b.desc()) &&
           std::memcmp(a.data(), b.data(), size_t(a.desc().stride) * size_t(a.desc().height)) == 0;
}
}  // namespace

TEST_CASE("the generator is portable: fixed SplitMix64 values") {
    // Reference values of SplitMix64 from its published definition (seed 0).
    Random r(0);
    CHECK(r.next() == 0xE220A8397B1DCDAFull);
    CHECK(r.next() == 0x6E789E6AA1B965F4ull);
}

TEST_CASE("the same seed gives the same image; another seed another") {
    Image src = pattern(48, 40, 3);
    const auto steps = parse_degradations("blur:0.5-2; noise:5-10; jpeg:40-90");
    Image a = degrade(src.view(), steps, 7), b = degrade(src.view(), steps, 7), c = degrade(src.view(), steps, 8);
    CHECK(same(a, b));
    CHECK(!same(a, c));
}

TEST_CASE("a constant image stays constant under blur, and alpha is left alone by noise") {
    Image src = Image::allocate(30, 20, 4, SampleType::u8);
    std::memset(src.data(), 77, size_t(src.desc().stride) * 20);
    Image out = degrade(src.view(), parse_degradations("aniso:0.5-3,0.5-3,0-180"), 3);
    CHECK(same(src, out));
    Image noisy = degrade(src.view(), parse_degradations("noise:20"), 3);
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 30; ++x) CHECK(noisy.view().row(y)[x * 4 + 3] == 77);
}

TEST_CASE("Gaussian noise has the asked standard deviation; Poisson keeps the mean") {
    Image src = Image::allocate(200, 200, 1, SampleType::f32);
    for (int y = 0; y < 200; ++y)
        for (int x = 0; x < 200; ++x) src.view().row_as<float>(y)[x] = 0.5f;
    for (const char* spec : {"noise:10", "poisson:1"}) {
        CAPTURE(spec);
        Image n = degrade(src.view(), parse_degradations(spec), 1);
        double sum = 0, sq = 0;
        for (int y = 0; y < 200; ++y)
            for (int x = 0; x < 200; ++x) {
                const double v = n.view().row_as<float>(y)[x] - 0.5;
                sum += v;
                sq += v * v;
            }
        const double mean = sum / 40000, sd = std::sqrt(sq / 40000 - mean * mean);
        CHECK(std::fabs(mean) < 0.003);
        if (std::string(spec) == "noise:10") CHECK(sd * 255 == doctest::Approx(10).epsilon(0.03));
        // Poisson at 255 photons per unit: sd = sqrt(0.5 * 255) / 255
        else CHECK(sd == doctest::Approx(std::sqrt(0.5 * 255) / 255).epsilon(0.03));
    }
}

TEST_CASE("JPEG re-compression changes the image but keeps it close") {
    Image src = pattern(64, 64, 3);
    Image q95 = degrade(src.view(), parse_degradations("jpeg:95"), 1);
    Image q20 = degrade(src.view(), parse_degradations("jpeg:20"), 1);
    const double p95 = psnr(src.view(), q95.view(), 0, MetricChannels::all);
    const double p20 = psnr(src.view(), q20.view(), 0, MetricChannels::all);
    CHECK(p95 > 35);
    CHECK(p20 < p95);
    CHECK(!std::isinf(p95));
}

TEST_CASE("bad specifications name the step") {
    for (const char* bad : {"blurr:1", "blur", "blur:3-1", "jpeg:0", "noise:abc", "aniso:1,2", "down:0.5"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(parse_degradations(bad), Error);
    }
    CHECK(parse_degradations(" blur:1 ;; jpeg:50 ").size() == 2);
}

TEST_CASE("Gaussian blur matches scipy.ndimage") {
    UPRES_SKIP_UNLESS_PYTHON("numpy, scipy.ndimage, PIL");
    Image src = pattern(37, 29, 3, SampleType::f32);
    for (double sigma : {1.0, 2.0}) {
        Image out = degrade(src.view(), parse_degradations("blur:" + std::to_string(sigma)), 1);
        const std::string in = test::temp_path("blur_in.raw"), ref = test::temp_path("blur_ref.raw");
        std::FILE* f = std::fopen(in.c_str(), "wb");
        std::fwrite(src.data(), 1, size_t(src.desc().stride) * 29, f);
        std::fclose(f);
        REQUIRE(test::run_python(std::string(UPRES_SOURCE_DIR) + "/tests/reference/blur_reference.py " + in +
                                 " 37 29 3 " + std::to_string(sigma) + " " + ref) == 0);
        std::vector<float> expected(37 * 29 * 3);
        f = std::fopen(ref.c_str(), "rb");
        REQUIRE(std::fread(expected.data(), 4, expected.size(), f) == expected.size());
        std::fclose(f);
        double worst = 0;
        for (size_t i = 0; i < expected.size(); ++i)
            worst = std::max(worst, double(std::fabs(reinterpret_cast<float*>(out.data())[i] - expected[i])));
        CHECK(worst < 1e-5);
    }
}
