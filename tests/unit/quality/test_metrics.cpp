// PSNR and SSIM against scikit-image on the same files, plus the properties that need no oracle.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "io/image_file.hpp"
#include "quality/metrics.hpp"
#include "test_support.hpp"

using namespace upres;
using quality::MetricChannels;

namespace {

Image noisy_pair_member(int w, int h, int ch, unsigned seed, int noise) {
    Image im = Image::allocate(w, h, ch, SampleType::u8);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> n(-noise, noise);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w * ch; ++x) {
            const int base = (x * 7 + y * 13) % 256;  // a smooth ramp both images share
            im.view().row(y)[x] = uint8_t(std::clamp(base + (noise ? n(rng) : 0), 0, 255));
        }
    return im;
}

}  // namespace

TEST_CASE("identical images: PSNR is infinite and SSIM is 1") {
    Image a = noisy_pair_member(40, 30, 3, 1, 0);
    CHECK(std::isinf(quality::psnr(a.view(), a.view(), 2, MetricChannels::luma)));
    CHECK(quality::ssim(a.view(), a.view(), 2, MetricChannels::luma) == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("PSNR of a known error") {
    Image a = Image::allocate(10, 10, 1, SampleType::u8), b = Image::allocate(10, 10, 1, SampleType::u8);
    for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 10; ++x) {
            a.view().row(y)[x] = 100;
            b.view().row(y)[x] = 110;
        }
    // every sample off by 10 -> MSE 100 -> 10 log10(255^2 / 100)
    CHECK(quality::psnr(a.view(), b.view(), 0, MetricChannels::all) ==
          doctest::Approx(10 * std::log10(255.0 * 255.0 / 100.0)));
}

TEST_CASE("bad pairs are refused") {
    Image a = Image::allocate(20, 20, 3, SampleType::u8), b = Image::allocate(21, 20, 3, SampleType::u8);
    CHECK_THROWS_AS(quality::psnr(a.view(), b.view(), 0, MetricChannels::luma), Error);
    CHECK_THROWS_AS(quality::psnr(a.view(), a.view(), 10, MetricChannels::luma), Error);
    CHECK_THROWS_AS(quality::ssim(a.view(), a.view(), 5, MetricChannels::luma), Error);  // < 11 px left
    CHECK_THROWS_AS(quality::psnr(a.view(), a.view(), -1, MetricChannels::luma), Error);
}

TEST_CASE("PSNR and SSIM match scikit-image on the same files") {
    UPRES_SKIP_UNLESS_PYTHON("numpy, PIL, skimage.metrics");
    for (int ch : {1, 3, 4}) {
        for (int border : {0, 4}) {
            for (MetricChannels mode : {MetricChannels::luma, MetricChannels::all}) {
                CAPTURE(ch);
                CAPTURE(border);
                Image a = noisy_pair_member(67, 45, ch, 11, 0), b = noisy_pair_member(67, 45, ch, 12, 20);
                const std::string pa = test::temp_path("metric_a.png"), pb = test::temp_path("metric_b.png");
                const std::string out = test::temp_path("metric_ref.txt");
                io::save_image(pa, a.view());
                io::save_image(pb, b.view());
                const std::string script = std::string(UPRES_SOURCE_DIR) + "/tests/reference/metrics_reference.py";
                REQUIRE(test::run_python(script + " " + pa + " " + pb + " " + std::to_string(border) + " " +
                                         (mode == MetricChannels::luma ? "luma" : "all") + " > " + out) == 0);
                double ref_psnr = 0, ref_ssim = 0;
                std::FILE* f = std::fopen(out.c_str(), "r");
                REQUIRE(f);
                REQUIRE(std::fscanf(f, "%lf %lf", &ref_psnr, &ref_ssim) == 2);
                std::fclose(f);
                CHECK(quality::psnr(a.view(), b.view(), border, mode) == doctest::Approx(ref_psnr).epsilon(1e-9));
                CHECK(quality::ssim(a.view(), b.view(), border, mode) == doctest::Approx(ref_ssim).epsilon(1e-7));
            }
        }
    }
}
