// upres's classical resamplers next to OpenCV, libvips and stb_image_resize, in one process, on
// the cases of docs/classical.md. `ratios.py` turns the JSON output into upres/peer ratios.
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <vips/vips.h>

#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STBIR_STATIC
#include <stb_image_resize.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "classical/classical.hpp"
#include "core/run_context.hpp"
#include "io/image_file.hpp"

using namespace upres;

namespace {

struct Case {
    std::string name;
    int in_w, in_h, out_w, out_h;
};

// A real photo (the bundled sample) brought to the case's input size.
const Image& source(int w, int h, int channels, SampleType type) {
    static std::map<std::tuple<int, int, int, int>, Image> cache;
    auto key = std::make_tuple(w, h, channels, int(type));
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    Image photo = io::load_pixels(std::string(UPRES_SOURCE_DIR) + "/assets/sample.png");
    Image rgba = Image::allocate(photo.desc().width, photo.desc().height, channels, SampleType::u8);
    for (int y = 0; y < photo.desc().height; ++y)
        for (int x = 0; x < photo.desc().width; ++x)
            for (int c = 0; c < channels; ++c)
                rgba.view().row(y)[x * channels + c] = c < 3 ? photo.view().row(y)[x * 3 + c] : uint8_t(200 + (x % 56));
    Options o;
    auto r = classical::create("lanczos3", o);
    Image big8 = Image::allocate(w, h, channels, SampleType::u8);
    RunContext run;
    r->resample(rgba.view(), big8.view(), run);
    Image out = Image::allocate(w, h, channels, type);
    convert_samples(big8.view(), out.view());
    return cache.emplace(key, std::move(out)).first->second;
}

void bench_upres(benchmark::State& st, Case c, std::string method, int channels, SampleType type, int threads) {
    const Image& src = source(c.in_w, c.in_h, channels, type);
    Options o;
    o.set_int("threads", threads);
    auto r = classical::create(method, o);
    Image dst = Image::allocate(c.out_w, c.out_h, channels, type);
    RunContext run;
    for (auto _ : st) {
        r->resample(src.view(), dst.view(), run);
        benchmark::DoNotOptimize(dst.data());
    }
}

void bench_opencv(benchmark::State& st, Case c, int interpolation, int channels, SampleType type, int threads) {
    const Image& src = source(c.in_w, c.in_h, channels, type);
    cv::setNumThreads(threads);
    const int depth = type == SampleType::f32 ? CV_32F : type == SampleType::u16 ? CV_16U : CV_8U;
    const int cvtype = CV_MAKETYPE(depth, channels);
    cv::Mat in(c.in_h, c.in_w, cvtype, src.data(), size_t(src.desc().stride));
    cv::Mat out;
    for (auto _ : st) {
        cv::resize(in, out, cv::Size(c.out_w, c.out_h), 0, 0, interpolation);
        benchmark::DoNotOptimize(out.data);
    }
}

void bench_vips(benchmark::State& st, Case c, VipsKernel kernel, int channels, SampleType type, int threads) {
    const Image& src = source(c.in_w, c.in_h, channels, type);
    vips_concurrency_set(threads);
    const VipsBandFormat fmt = type == SampleType::f32   ? VIPS_FORMAT_FLOAT
                               : type == SampleType::u16 ? VIPS_FORMAT_USHORT
                                                         : VIPS_FORMAT_UCHAR;
    const double hs = double(c.out_w) / c.in_w, vs = double(c.out_h) / c.in_h;
    for (auto _ : st) {
        VipsImage* in = vips_image_new_from_memory(src.data(), size_t(src.desc().stride) * c.in_h, c.in_w, c.in_h,
                                                   channels, fmt);
        VipsImage* out = nullptr;
        if (vips_resize(in, &out, hs, "vscale", vs, "kernel", kernel, nullptr)) {
            st.SkipWithError(vips_error_buffer());
            g_object_unref(in);
            return;
        }
        size_t size = 0;
        void* mem = vips_image_write_to_memory(out, &size);
        benchmark::DoNotOptimize(mem);
        g_free(mem);
        g_object_unref(out);
        g_object_unref(in);
    }
}

void bench_stb(benchmark::State& st, Case c, stbir_filter filter, int channels, SampleType type) {
    const Image& src = source(c.in_w, c.in_h, channels, type);
    Image dst = Image::allocate(c.out_w, c.out_h, channels, type);
    const int alpha = channels == 4 ? 3 : STBIR_ALPHA_CHANNEL_NONE;
    for (auto _ : st) {
        if (type == SampleType::f32)
            stbir_resize_float_generic(reinterpret_cast<const float*>(src.data()), c.in_w, c.in_h, int(src.desc().stride),
                                       reinterpret_cast<float*>(dst.data()), c.out_w, c.out_h, int(dst.desc().stride),
                                       channels, alpha, 0, STBIR_EDGE_CLAMP, filter, STBIR_COLORSPACE_LINEAR, nullptr);
        else if (type == SampleType::u16)
            stbir_resize_uint16_generic(reinterpret_cast<const uint16_t*>(src.data()), c.in_w, c.in_h, int(src.desc().stride),
                                        reinterpret_cast<uint16_t*>(dst.data()), c.out_w, c.out_h, int(dst.desc().stride),
                                        channels, alpha, 0, STBIR_EDGE_CLAMP, filter, STBIR_COLORSPACE_LINEAR, nullptr);
        else
            stbir_resize_uint8_generic(src.data(), c.in_w, c.in_h, int(src.desc().stride), dst.data(), c.out_w, c.out_h,
                                       int(dst.desc().stride), channels, alpha, 0, STBIR_EDGE_CLAMP, filter,
                                       STBIR_COLORSPACE_LINEAR, nullptr);
        benchmark::DoNotOptimize(dst.data());
    }
}

// The floor for an upscale: writing its output once (docs/classical.md compares bilinear x4 to it).
void bench_memcpy(benchmark::State& st, size_t bytes) {
    std::vector<uint8_t> from(bytes, 1), to(bytes, 0);
    for (auto _ : st) {
        std::memcpy(to.data(), from.data(), bytes);
        benchmark::DoNotOptimize(to.data());
    }
}

void register_all() {
    benchmark::RegisterBenchmark("memcpy_4096x3072_rgb8", bench_memcpy, size_t(4096) * 3072 * 3)
        ->Unit(benchmark::kMillisecond)->UseRealTime();
    const Case cases[] = {{"U_1024x768_to_4096x3072", 1024, 768, 4096, 3072},
                          {"D_2560x1600_to_640x400", 2560, 1600, 640, 400},
                          {"D_2560x1600_to_1000x625", 2560, 1600, 1000, 625}};
    struct Filter {
        const char* name;
        int cv_up;
        VipsKernel vips;
        stbir_filter stb;  // 0: stb has none
    };
    const Filter filters[] = {{"bilinear", cv::INTER_LINEAR, VIPS_KERNEL_LINEAR, STBIR_FILTER_TRIANGLE},
                              {"bicubic", cv::INTER_CUBIC, VIPS_KERNEL_CUBIC, STBIR_FILTER_CATMULLROM},
                              {"lanczos3", cv::INTER_LANCZOS4, VIPS_KERNEL_LANCZOS3, stbir_filter(0)}};
    struct Format {
        const char* name;
        int channels;
        SampleType type;
    };
    // The three formats, and 16-bit RGB (PNG/TIFF photos) beside them.
    const Format formats[] = {{"rgb8", 3, SampleType::u8}, {"rgba8", 4, SampleType::u8}, {"rgbf32", 3, SampleType::f32},
                              {"rgb16", 3, SampleType::u16}};
    for (const auto& c : cases)
        for (const auto& f : filters)
            for (const auto& fmt : formats)
                for (int threads : {1, 2}) {
                    const std::string base = c.name + "/" + f.name + "/" + fmt.name + "/t" + std::to_string(threads) + "/";
                    const bool down = c.out_w < c.in_w;
                    // OpenCV's closest antialiased downscale is INTER_AREA.
                    const int cv_mode = down ? cv::INTER_AREA : f.cv_up;
                    benchmark::RegisterBenchmark((base + "upres").c_str(), bench_upres, c, f.name, fmt.channels, fmt.type, threads)
                        ->Unit(benchmark::kMillisecond)->UseRealTime();
                    benchmark::RegisterBenchmark((base + "opencv").c_str(), bench_opencv, c, cv_mode, fmt.channels, fmt.type, threads)
                        ->Unit(benchmark::kMillisecond)->UseRealTime();
                    benchmark::RegisterBenchmark((base + "vips").c_str(), bench_vips, c, f.vips, fmt.channels, fmt.type, threads)
                        ->Unit(benchmark::kMillisecond)->UseRealTime();
                    if (f.stb && threads == 1)  // stb_image_resize is single-threaded
                        benchmark::RegisterBenchmark((base + "stb").c_str(), bench_stb, c, f.stb, fmt.channels, fmt.type)
                            ->Unit(benchmark::kMillisecond)->UseRealTime();
                }
}

}  // namespace

int main(int argc, char** argv) {
    if (VIPS_INIT(argv[0])) return 1;
    vips_cache_set_max(0);
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    vips_shutdown();
    return 0;
}
