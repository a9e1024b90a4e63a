// Times one model on a device at several precisions through the public C++ API, and says how far
// each precision's output is from fp32's (PSNR over all channels of the 8-bit outputs).
// Used by cuda-check.sh; builds against an installed or built upres:
//   c++ -std=c++17 -Iinclude model_timing.cpp -Lbuild/lib -lupres -o model_timing
// usage: model_timing MODEL DEVICE PRECISIONS REPEATS IMAGE...
//   PRECISIONS: comma-separated, fp32 first (the reference), e.g. fp32,fp16,bf16,auto
//   UPRES_TIMING_OPTIONS="tile=4096,..." sets further options on every resampler.
// Prints one line per image and precision: best seconds of REPEATS runs after one warm-up (REPEATS 0:
// the warm-up's), and the PSNR against fp32.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <upres/upres.hpp>

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: model_timing MODEL DEVICE PRECISIONS REPEATS IMAGE...\n");
        return 2;
    }
    const std::string model = argv[1], device = argv[2];
    std::vector<std::string> precisions;
    std::stringstream list(argv[3]);
    for (std::string p; std::getline(list, p, ',');) precisions.push_back(p);
    const int repeats = std::atoi(argv[4]);
    try {
        upres::Options base;
        base.set("model", model).set("device", device);
        // UPRES_TIMING_OPTIONS="tile=4096,threads=8": more options, numbers as integers.
        if (const char* extra = std::getenv("UPRES_TIMING_OPTIONS")) {
            std::stringstream items(extra);
            for (std::string item; std::getline(items, item, ',');) {
                const size_t eq = item.find('=');
                if (eq == std::string::npos) continue;
                const std::string name = item.substr(0, eq), value = item.substr(eq + 1);
                if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos)
                    base.set(name, int64_t(std::stoll(value)));
                else
                    base.set(name, value);
            }
        }
        std::vector<upres::Resampler> resamplers;
        for (const auto& p : precisions) resamplers.emplace_back("model", base.clone().set("precision", p));
        const int scale = resamplers.front().native_scale();
        for (int i = 5; i < argc; ++i) {
            const upres::Bitmap image = upres::load_file(argv[i]);
            const int w = image.width() * scale, h = image.height() * scale;
            upres::Bitmap reference;
            for (size_t k = 0; k < precisions.size(); ++k) {
                // Run 0 warms up (cuDNN picks kernels) and counts only when it is the only run.
                upres::Bitmap out;
                double best = 1e30;
                for (int r = 0; r <= repeats; ++r) {
                    const auto t0 = std::chrono::steady_clock::now();
                    out = resamplers[k].run(image, w, h);
                    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                    if (r > 0 || repeats == 0) best = std::min(best, t);
                }
                double psnr = 0;
                if (k == 0)
                    reference = std::move(out);
                else {
                    const upres::Image a = reference.view(), b = out.view();
                    upres::detail::check(upres_psnr(&a, &b, 0, UPRES_METRIC_ALL, &psnr));
                }
                std::printf("%s %dx%d %s %s: %.4f s", argv[i], image.width(), image.height(), device.c_str(),
                            precisions[k].c_str(), best);
                if (k > 0) std::printf(", %.2f dB from fp32", psnr);
                std::printf("\n");
                std::fflush(stdout);
            }
        }
    } catch (const upres::Error& e) {
        std::fprintf(stderr, "model_timing: %s (%s)\n", e.what(), e.status_name());
        return 1;
    }
    return 0;
}
