// Reconstruction kernels of the classical resamplers, as continuous functions of the distance in
// source pixels, with their support (the kernel is zero at and beyond ±support).
#pragma once
#include <string>

#include "core/options.hpp"

namespace upres::classical {

enum class KernelKind { nearest, box, triangle, cubic_keys, cubic_bc, lanczos };

struct Kernel {
    KernelKind kind = KernelKind::triangle;
    double support = 1.0;
    double a = 0.0;  // Keys parameter (cubic_keys) or Lanczos lobes (lanczos)
    double b = 0.0, c = 0.0;  // Mitchell-Netravali B and C (cubic_bc)

    double operator()(double x) const;
};

struct MethodSpec {
    Kernel kernel;
    bool matlab = false;  // MATLAB imresize: symmetric borders, u8 rounding after each pass
};

// Known names: nearest, box, bilinear, bicubic (Keys, option cubic_a), catmull-rom, mitchell,
// bspline, lanczos2, lanczos3, lanczos4, matlab. Returns false for other names.
bool method_spec(const std::string& name, const Options& options, MethodSpec& out);

}  // namespace upres::classical
