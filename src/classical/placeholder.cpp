// PLACEHOLDER until the classical issue lands: a plain float separable resampler (no antialias).
#include <algorithm>
#include <cmath>
#include <vector>

#include "classical/classical.hpp"
#include "core/thread_pool.hpp"

namespace upres::classical {

namespace {

double cubic(double x, double a) {
    x = std::fabs(x);
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    return 0;
}

class Placeholder : public Resampler {
public:
    Placeholder(std::string name, int threads) : name_(std::move(name)), threads_(threads) {}
    std::string name() const override { return name_; }
    void resample(const ImageView& src, const ImageView& dst, RunContext& run) const override {
        const int c = src.desc.channels;
        const int sw = src.desc.width, sh = src.desc.height, dw = dst.desc.width, dh = dst.desc.height;
        std::vector<float> s(size_t(sw) * sh * c), d(size_t(dw) * dh * c);
        Image tmp = Image::allocate(sw, sh, c, SampleType::f32);
        convert_samples(src, tmp.view());
        auto sample = [&](int x, int y, int ch) {
            x = std::clamp(x, 0, sw - 1);
            y = std::clamp(y, 0, sh - 1);
            return tmp.view().row_as<float>(y)[size_t(x) * c + ch];
        };
        Image out = Image::allocate(dw, dh, c, SampleType::f32);
        parallel_for(dh, threads_, [&](int64_t y0, int64_t y1) {
            for (int64_t y = y0; y < y1; ++y) {
                run.check_cancelled();
                double fy = (y + 0.5) * sh / dh - 0.5;
                for (int x = 0; x < dw; ++x) {
                    double fx = (x + 0.5) * sw / dw - 0.5;
                    for (int ch = 0; ch < c; ++ch) {
                        double acc = 0;
                        if (name_ == "nearest") {
                            acc = sample(int((x + 0.5) * sw / dw), int((y + 0.5) * sh / dh), ch);
                        } else {
                            int ix = int(std::floor(fx)), iy = int(std::floor(fy));
                            for (int j = -1; j <= 2; ++j)
                                for (int i = -1; i <= 2; ++i)
                                    acc += cubic(fx - (ix + i), -0.5) * cubic(fy - (iy + j), -0.5) *
                                           sample(ix + i, iy + j, ch);
                        }
                        out.view().row_as<float>(y)[size_t(x) * c + ch] = float(acc);
                    }
                }
            }
        });
        convert_samples(out.view(), dst);
        run.report(1, 1);
    }

private:
    std::string name_;
    int threads_;
};

}  // namespace

const std::vector<MethodInfo>& methods() {
    static const std::vector<MethodInfo> list = {
        {"nearest", "classical", "nearest neighbour (placeholder)"},
        {"bicubic", "classical", "Keys cubic a=-0.5 (placeholder)"},
    };
    return list;
}

std::unique_ptr<Resampler> create(const std::string& name, const Options& options) {
    for (const auto& m : methods())
        if (m.name == name) return std::make_unique<Placeholder>(name, resolve_threads(options.get_int("threads")));
    return nullptr;
}

}  // namespace upres::classical
