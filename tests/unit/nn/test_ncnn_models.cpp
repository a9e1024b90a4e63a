// Models imported from ncnn against the PyTorch reference (tests/reference/nn_reference.py, its
// own RRDBNet / SRVGGNetCompact): the animevideov3 release against its .pth, and the fetched
// Real-ESRGAN x4plus (scripts/fetch-models.sh) on Set5, in fp32, bf16 and tiled.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "io/image_file.hpp"
#include "models/model_search.hpp"
#include "nn/cpu_features.hpp"
#include "quality/metrics.hpp"
#include "registry/registry.hpp"
#include "test_support.hpp"

using namespace upres;

namespace {

const std::string kReference = std::string(UPRES_SOURCE_DIR) + "/tests/reference/nn_reference.py";

Image to_f32(const ImageView& v) {
    Image out = Image::allocate(v.desc.width, v.desc.height, v.desc.channels, SampleType::f32);
    convert_samples(v, out.view());
    return out;
}

// A centred crop (keeps the reference runs short: x4plus costs ~16 M multiply-adds per pixel).
Image crop(const Image& im, int w, int h) {
    w = std::min(w, im.desc().width);
    h = std::min(h, im.desc().height);
    const int x0 = (im.desc().width - w) / 2, y0 = (im.desc().height - h) / 2, c = im.desc().channels;
    Image out = Image::allocate(w, h, c, SampleType::f32);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w * c; ++x) out.view().row_as<float>(y)[x] = im.view().row_as<float>(y0 + y)[x0 * c + x];
    return out;
}

// nn_reference.py's raw format: int32 height, width, channels, then float32 HWC samples.
void write_raw(const std::string& path, const Image& im) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    const int32_t hdr[3] = {im.desc().height, im.desc().width, im.desc().channels};
    std::fwrite(hdr, 4, 3, f);
    for (int y = 0; y < im.desc().height; ++y)
        std::fwrite(im.view().row_as<float>(y), 4, size_t(im.desc().width) * im.desc().channels, f);
    std::fclose(f);
}

Image read_raw(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE(f);
    int32_t hdr[3] = {0, 0, 0};
    REQUIRE(std::fread(hdr, 4, 3, f) == 3);
    REQUIRE((hdr[0] > 0 && hdr[1] > 0 && hdr[2] == 3));
    Image im = Image::allocate(hdr[1], hdr[0], hdr[2], SampleType::f32);
    for (int y = 0; y < hdr[0]; ++y) REQUIRE(std::fread(im.view().row_as<float>(y), 4, size_t(hdr[1]) * 3, f) == size_t(hdr[1]) * 3);
    std::fclose(f);
    return im;
}

// The PyTorch reference's output for a model file (.pth or .safetensors) on `in`.
Image reference(const std::string& model, const Image& in, const std::string& tag) {
    const std::string src = test::temp_path(tag + ".in.f32"), dst = test::temp_path(tag + ".out.f32");
    write_raw(src, in);
    REQUIRE(test::run_python(kReference + " run " + model + " " + src + " " + dst) == 0);
    return read_raw(dst);
}

Image upscale(const std::string& method, const Options& options, const Image& in) {
    auto r = create_resampler(method, options);
    const int s = r->native_scale();
    Image out = Image::allocate(in.desc().width * s, in.desc().height * s, 3, SampleType::f32);
    RunContext run;
    r->resample(in.view(), out.view(), run);
    return out;
}

double psnr_rgb(const Image& a, const Image& b) { return quality::psnr(a.view(), b.view(), 0, quality::MetricChannels::all); }

double max_diff(const Image& a, const Image& b) {
    double worst = 0;
    for (int y = 0; y < a.desc().height; ++y)
        for (int x = 0; x < a.desc().width * 3; ++x)
            worst = std::max(worst, double(std::fabs(a.view().row_as<float>(y)[x] - b.view().row_as<float>(y)[x])));
    return worst;
}

bool have_torch() {
    if (test::python_has("torch")) return true;
    test::skip(test::missing_python("torch") + ": no PyTorch reference");
    return false;
}

}  // namespace

TEST_CASE("animevideov3: the ncnn import and the PyTorch .pth upscale alike (>= 50 dB)") {
    UPRES_SKIP_UNLESS_SHARED("models/realesr-animevideov3-x4.param");
    UPRES_SKIP_UNLESS_SHARED("models/compact-x4-animevideov3-unverified.pth");
    UPRES_SKIP_UNLESS_SHARED("data/Set5/x4/lr");
    if (!have_torch()) return;
    const Image in = to_f32(io::load_pixels(test::shared_dir() + "/data/Set5/x4/lr/butterfly.png").view());
    Options o;
    o.set_string("model", test::shared_dir() + "/models/realesr-animevideov3-x4.param");
    o.set_string("precision", "fp32");
    const Image ours = upscale("model", o, in);
    const Image ref = reference(test::shared_dir() + "/models/compact-x4-animevideov3-unverified.pth", in, "animevideov3");
    const double p = psnr_rgb(ours, ref);
    MESSAGE("animevideov3 ncnn import (upres) vs .pth (PyTorch), Set5 butterfly: " << p << " dB RGB");
    CHECK(p >= 50.0);
}

TEST_CASE("fetched Real-ESRGAN x4plus equals the PyTorch reference on Set5 (fp32, bf16, tiled)") {
    // The lookup the 'esrgan' method itself makes, with the source tree's build/models added
    // (where scripts/fetch-models.sh puts models by default).
    Options o;
    o.set_string("model_path", std::string(UPRES_SOURCE_DIR) + "/build/models");
    const models::NamedModel* esrgan = models::find_named_model("esrgan");
    REQUIRE(esrgan);
    std::string path;
    try {
        path = models::find_model(*esrgan, esrgan->files.at(0), o);
    } catch (const Error& e) {
        UPRES_SKIP("Real-ESRGAN x4plus not fetched (scripts/fetch-models.sh): " + std::string(e.what()));
    }
    UPRES_SKIP_UNLESS_SHARED("data/Set5/x4/lr");
    UPRES_SKIP_UNLESS_SHARED("data/Set5/x2/lr");
    if (!have_torch()) return;
    o.set_string("precision", "fp32");
    // The five whole images, fp32 against PyTorch, and bf16 (where the CPU has it) against fp32.
    const bool bf16 = nn::cpu_runs_bf16();
    if (!bf16) test::skip_part("this CPU has no AVX512-BF16: the bf16 comparisons are left out");
    Options bf = o;
    bf.set_string("precision", "bf16");
    for (const std::string name : {"baby", "bird", "butterfly", "head", "woman"}) {
        CAPTURE(name);
        const Image in = to_f32(io::load_pixels(test::shared_dir() + "/data/Set5/x4/lr/" + name + ".png").view());
        const Image ours = upscale("esrgan", o, in);
        const Image ref = reference(path, in, "x4plus-" + name);
        const double p = psnr_rgb(ours, ref);
        MESSAGE("x4plus fp32 vs PyTorch, Set5 " << name << ": " << p << " dB RGB");
        CHECK(p >= 50.0);
        if (bf16) {
            const double pb = psnr_rgb(ours, upscale("esrgan", bf, in));
            MESSAGE("x4plus bf16 vs fp32, Set5 " << name << ": " << pb << " dB RGB");
            CHECK(pb >= 50.0);
        }
    }
    // 64 px tiles with 64 px of overlap on a strip (one row of tiles). x4plus looks far: on Set5
    // baby 32 px of context on one side left up to 3/255, and a 2-D 96x96 crop up to 20/255.
    const Image strip = crop(to_f32(io::load_pixels(test::shared_dir() + "/data/Set5/x2/lr/baby.png").view()), 256, 40);
    Options untiled = o;
    untiled.set_int("tile", 4096);
    const Image whole = upscale("esrgan", untiled, strip);
    Options tiled = o;
    tiled.set_int("tile", 64);
    tiled.set_int("tile_overlap", 64);
    const double tile_diff = max_diff(whole, upscale("esrgan", tiled, strip));
    MESSAGE("x4plus tiled (64 px, overlap 64) vs untiled, 256x40: max difference " << tile_diff * 255 << " / 255");
    CHECK(tile_diff <= 1.0 / 255);
}
