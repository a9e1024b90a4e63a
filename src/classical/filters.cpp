#include "classical/filters.hpp"

#include <cmath>

namespace upres::classical {

namespace {

double sinc(double x) {
    if (x == 0.0) return 1.0;
    const double px = M_PI * x;
    return std::sin(px) / px;
}

// Keys (1981) cubic convolution with parameter a.
double keys(double x, double a) {
    x = std::fabs(x);
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

// Mitchell-Netravali (1988) family; B = 1, C = 0 is the cubic B-spline.
double bc_cubic(double x, double b, double c) {
    x = std::fabs(x);
    if (x < 1.0)
        return ((12.0 - 9.0 * b - 6.0 * c) * x * x * x + (-18.0 + 12.0 * b + 6.0 * c) * x * x + (6.0 - 2.0 * b)) / 6.0;
    if (x < 2.0)
        return ((-b - 6.0 * c) * x * x * x + (6.0 * b + 30.0 * c) * x * x + (-12.0 * b - 48.0 * c) * x +
                (8.0 * b + 24.0 * c)) /
               6.0;
    return 0.0;
}

}  // namespace

double Kernel::operator()(double x) const {
    switch (kind) {
        case KernelKind::nearest:
        case KernelKind::box:
            // Half-open so that a sample exactly between two pixels goes to one of them only.
            return (x >= -0.5 && x < 0.5) ? 1.0 : 0.0;
        case KernelKind::triangle: {
            const double ax = std::fabs(x);
            return ax < 1.0 ? 1.0 - ax : 0.0;
        }
        case KernelKind::cubic_keys: return keys(x, a);
        case KernelKind::cubic_bc: return bc_cubic(x, b, c);
        case KernelKind::lanczos: return std::fabs(x) < a ? sinc(x) * sinc(x / a) : 0.0;
    }
    return 0.0;
}

bool method_spec(const std::string& name, const Options& options, MethodSpec& out) {
    MethodSpec s;
    Kernel& k = s.kernel;
    if (name == "nearest") {
        k.kind = KernelKind::nearest;
        k.support = 0.5;
    } else if (name == "box") {
        k.kind = KernelKind::box;
        k.support = 0.5;
    } else if (name == "bilinear") {
        k.kind = KernelKind::triangle;
        k.support = 1.0;
    } else if (name == "bicubic") {
        k.kind = KernelKind::cubic_keys;
        k.support = 2.0;
        k.a = options.get_double("cubic_a");
    } else if (name == "catmull-rom") {
        k.kind = KernelKind::cubic_keys;
        k.support = 2.0;
        k.a = -0.5;
    } else if (name == "mitchell") {
        k.kind = KernelKind::cubic_bc;
        k.support = 2.0;
        k.b = k.c = 1.0 / 3.0;
    } else if (name == "bspline") {
        k.kind = KernelKind::cubic_bc;
        k.support = 2.0;
        k.b = 1.0;
        k.c = 0.0;
    } else if (name == "lanczos2" || name == "lanczos3" || name == "lanczos4") {
        k.kind = KernelKind::lanczos;
        k.a = name.back() - '0';
        k.support = k.a;
    } else if (name == "matlab") {
        k.kind = KernelKind::cubic_keys;
        k.support = 2.0;
        k.a = -0.5;
        s.matlab = true;
    } else {
        return false;
    }
    out = s;
    return true;
}

}  // namespace upres::classical
