// RRDBNet (Real-ESRGAN x4plus size: 23 blocks, 64 features, 32 growth) on a 128×128 input:
// upres in fp32 and bf16 next to PyTorch (Debian's python3-torch) running the same weights on the
// same input in the same run, in the settings a PyTorch user would pick on a CPU.
//
// usage: bench_nn [--threads=N] [--weights=FILE.safetensors] [google-benchmark flags]
// Without --weights it uses realesrgan-x4plus when the model path has it, else random weights made
// by tests/reference/nn_reference.py. PyTorch's times are reported as benchmarks named
// rrdb23_128/pytorch_<mode> (manual time), so one JSON holds both sides.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/run_context.hpp"
#include "models/model_search.hpp"
#include "registry/registry.hpp"

using namespace upres;

namespace {

constexpr int kSize = 128;
constexpr double kFlopPerPixel = 35.8e6;  // RRDBNet x4, 23 blocks: multiply-adds × 2 per input pixel
int g_threads = 2;
std::string g_weights;
std::string g_dir;

std::string python() { return "/usr/bin/python3 "; }

// A deterministic smooth-plus-texture test image in 0..1 (HWC f32).
Image make_input() {
    Image im = Image::allocate(kSize, kSize, 3, SampleType::f32);
    for (int y = 0; y < kSize; ++y)
        for (int x = 0; x < kSize; ++x)
            for (int c = 0; c < 3; ++c) {
                const double v = 0.5 + 0.3 * std::sin(0.11 * x * (c + 1) + 0.07 * y) * std::cos(0.05 * y - c) +
                                 0.1 * std::sin(1.7 * x + 2.3 * y + c);
                im.view().row_as<float>(y)[x * 3 + c] = float(std::min(1.0, std::max(0.0, v)));
            }
    return im;
}

void write_raw(const std::string& path, const Image& im) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    const int32_t hdr[3] = {im.desc().height, im.desc().width, im.desc().channels};
    std::fwrite(hdr, 4, 3, f);
    for (int y = 0; y < im.desc().height; ++y)
        std::fwrite(im.view().row(y), 4, size_t(im.desc().width) * im.desc().channels, f);
    std::fclose(f);
}

Image read_raw(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return {};
    int32_t hdr[3] = {0, 0, 0};
    if (std::fread(hdr, 4, 3, f) != 3) hdr[0] = 0;
    Image im = hdr[0] > 0 ? Image::allocate(hdr[1], hdr[0], hdr[2], SampleType::f32) : Image{};
    for (int y = 0; y < hdr[0]; ++y)
        if (std::fread(im.view().row(y), 4, size_t(hdr[1]) * hdr[2], f) != size_t(hdr[1]) * hdr[2]) break;
    std::fclose(f);
    return im;
}

double psnr(const Image& a, const Image& b) {
    double se = 0;
    size_t n = 0;
    for (int y = 0; y < a.desc().height; ++y)
        for (int x = 0; x < a.desc().width * a.desc().channels; ++x, ++n) {
            const double d = a.view().row_as<float>(y)[x] - b.view().row_as<float>(y)[x];
            se += d * d;
        }
    return se == 0 ? 999 : 10 * std::log10(double(n) / se);
}

std::map<std::string, Image> g_outputs;

// `onednn` 0: the trunk through ATen (direct convolutions), to show what oneDNN's own API adds.
void bench_upres(benchmark::State& st, const std::string& precision, int onednn) {
    static const Image input = make_input();
    Options o;
    o.set_string("model", g_weights);
    o.set_string("precision", precision);
    o.set_int("onednn", onednn);
    o.set_int("threads", g_threads);
    std::unique_ptr<Resampler> r;
    try {
        r = create_resampler("model", o);
    } catch (const std::exception& e) {
        st.SkipWithError(e.what());
        return;
    }
    Image out = Image::allocate(kSize * 4, kSize * 4, 3, SampleType::f32);
    RunContext run;
    r->resample(input.view(), out.view(), run);  // warm-up: first-call allocations and kernel selection
    for (auto _ : st) r->resample(input.view(), out.view(), run);
    st.counters["GFLOP/s"] = benchmark::Counter(kFlopPerPixel * kSize * kSize / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    if (!onednn) {
        if (g_outputs.count(precision)) st.counters["PSNR_vs_onednn_dB"] = psnr(out, g_outputs[precision]);
        return;
    }
    g_outputs[precision] = std::move(out);
    if (precision == "bf16" && g_outputs.count("fp32")) {
        st.counters["PSNR_vs_fp32_dB"] = psnr(g_outputs["bf16"], g_outputs["fp32"]);
        // PyTorch's bf16 autocast output on the same yardstick.
        const Image autocast = read_raw(g_dir + "/bf16_autocast.f32");
        if (autocast.data()) st.counters["autocast_PSNR_vs_fp32_dB"] = psnr(autocast, g_outputs["fp32"]);
    }
    if (precision == "fp32") {
        const Image ref = read_raw(g_dir + "/eager.f32");
        if (ref.data()) st.counters["PSNR_vs_pytorch_dB"] = psnr(g_outputs["fp32"], ref);
    }
}

// PyTorch ran once before the benchmarks (best of its repeats); report those seconds here.
void bench_pytorch(benchmark::State& st, double seconds) {
    for (auto _ : st) st.SetIterationTime(seconds);
    st.counters["GFLOP/s"] = kFlopPerPixel * kSize * kSize / seconds / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> rest;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--threads=", 0) == 0) g_threads = std::atoi(a.c_str() + 10);
        else if (a.rfind("--weights=", 0) == 0) g_weights = a.substr(10);
        else rest.push_back(argv[i]);
    }
    int rest_argc = int(rest.size());
    benchmark::Initialize(&rest_argc, rest.data());

    g_dir = "bench_nn_tmp";
    std::system(("mkdir -p " + g_dir).c_str());
    const std::string ref = std::string(UPRES_SOURCE_DIR) + "/tests/reference/nn_reference.py";
    if (g_weights.empty()) {
        try {
            for (const auto& m : models::named_models())
                if (std::string(m.method) == "esrgan") g_weights = models::find_model(m, Options{});
        } catch (const std::exception&) {
            g_weights = g_dir + "/rrdb23_random.safetensors";
            if (std::system((python() + ref + " random-rrdb " + g_weights).c_str()) != 0) return 1;
        }
    }
    std::fprintf(stderr, "bench_nn: weights %s, %d threads\n", g_weights.c_str(), g_threads);
    write_raw(g_dir + "/input.f32", make_input());

    // PyTorch first, in its own process, so neither side's thread pool disturbs the other.
    const std::string script = std::string(UPRES_SOURCE_DIR) + "/benchmarks/nn_pytorch_reference.py";
    const std::string cmd = python() + script + " " + g_weights + " " + g_dir + "/input.f32 " + g_dir + " " +
                            std::to_string(g_threads) + " 2 > " + g_dir + "/pytorch.txt";
    std::map<std::string, double> pytorch;
    if (std::system(cmd.c_str()) == 0) {
        std::ifstream f(g_dir + "/pytorch.txt");
        std::string mode;
        double s = 0;
        while (f >> mode >> s) pytorch[mode] = s;
    } else {
        std::fprintf(stderr, "bench_nn: the PyTorch reference did not run (python3-torch missing?)\n");
    }
    for (const auto& [mode, s] : pytorch)
        benchmark::RegisterBenchmark(("rrdb23_128/pytorch_" + mode).c_str(), bench_pytorch, s)
            ->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
    struct Mode {
        const char *name, *precision;
        int onednn;
    };
    const Mode modes[] = {{"fp32", "fp32", 1}, {"bf16", "bf16", 1}, {"fp32_aten", "fp32", 0}, {"bf16_aten", "bf16", 0}};
    for (const Mode& m : modes)
        benchmark::RegisterBenchmark((std::string("rrdb23_128/upres_") + m.name).c_str(), bench_upres,
                                     std::string(m.precision), m.onednn)
            ->Iterations(2)->Unit(benchmark::kMillisecond);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
