// Seeded image degradations for making training pairs and test inputs: the MATLAB-compatible
// bicubic downscale, Gaussian and anisotropic blur, Gaussian and Poisson noise, and JPEG
// re-compression, combinable into a pipeline like Real-ESRGAN's. Same seed, same result, on every
// machine (the random numbers come from our own generator, not std:: distributions).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/image.hpp"

namespace upres::quality {

struct DegradationStep {
    enum class Kind { downscale, blur, anisotropic_blur, gaussian_noise, poisson_noise, jpeg };
    Kind kind = Kind::blur;
    // Each parameter is a range [lo, hi] drawn uniformly per image (lo == hi for a fixed value).
    double a_lo = 0, a_hi = 0;  // downscale: scale; blur: sigma; aniso: sigma_x; noise: sigma (0..255) or
                                // poisson scale; jpeg: quality
    double b_lo = 0, b_hi = 0;  // aniso: sigma_y
    double c_lo = 0, c_hi = 0;  // aniso: rotation in degrees
    std::string method = "matlab";  // downscale: classical method
    bool gray_noise = false;        // noise: the same noise on every colour channel
};

// Parses "down:4; blur:0.2-3; aniso:0.5-4,0.5-4,0-180; noise:1-30; poisson:0.05-3; jpeg:30-95".
// Steps run in order. Throws Error(invalid_argument) naming the bad step.
std::vector<DegradationStep> parse_degradations(const std::string& spec);

// Applies the steps to a u8/u16/f32 image (alpha untouched by noise and JPEG); returns a new image.
Image degrade(const ImageView& src, const std::vector<DegradationStep>& steps, uint64_t seed);

// A small, portable, seedable generator (SplitMix64) with uniform and normal draws.
class Random {
public:
    explicit Random(uint64_t seed) : state_(seed) {}
    uint64_t next();
    double uniform();  // [0, 1)
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    double normal();   // standard normal (Box-Muller)
    uint64_t poisson(double mean);

private:
    uint64_t state_;
    bool has_spare_ = false;
    double spare_ = 0;
};

}  // namespace upres::quality
