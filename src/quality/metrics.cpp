#include "quality/metrics.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace upres::quality {

namespace {

// One plane of doubles in the 0..255 scale.
struct Plane {
    int w = 0, h = 0;
    std::vector<double> v;
    double at(int x, int y) const { return v[size_t(y) * size_t(w) + size_t(x)]; }
};

double sample_255(const ImageView& im, int x, int y, int c) {
    const size_t i = size_t(x) * size_t(im.desc.channels) + size_t(c);
    switch (im.desc.type) {
        case SampleType::u8: return im.row(y)[i];
        case SampleType::u16: return im.row_as<uint16_t>(y)[i] * (255.0 / 65535.0);
        case SampleType::f32: return double(im.row_as<float>(y)[i]) * 255.0;
    }
    return 0;
}

// The planes a metric compares, cropped by `border`.
std::vector<Plane> planes(const ImageView& im, int border, MetricChannels mode) {
    const int w = im.desc.width - 2 * border, h = im.desc.height - 2 * border;
    const int ch = im.desc.channels;
    std::vector<Plane> out;
    if (mode == MetricChannels::luma) {
        Plane p{w, h, std::vector<double>(size_t(w) * size_t(h))};
        const bool rgb = ch >= 3;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const int sx = x + border, sy = y + border;
                double r, g, b;
                r = sample_255(im, sx, sy, 0);
                g = rgb ? sample_255(im, sx, sy, 1) : r;
                b = rgb ? sample_255(im, sx, sy, 2) : r;
                p.v[size_t(y) * size_t(w) + size_t(x)] = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0;
            }
        out.push_back(std::move(p));
        return out;
    }
    for (int c = 0; c < ch; ++c) {
        Plane p{w, h, std::vector<double>(size_t(w) * size_t(h))};
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) p.v[size_t(y) * size_t(w) + size_t(x)] = sample_255(im, x + border, y + border, c);
        out.push_back(std::move(p));
    }
    return out;
}

void check_pair(const ImageView& a, const ImageView& b, int border, MetricChannels mode, int min_side) {
    if (a.desc.width != b.desc.width || a.desc.height != b.desc.height || a.desc.channels != b.desc.channels)
        fail(Status::invalid_argument, "metric: images differ in size or channels (" + std::to_string(a.desc.width) +
                                           "x" + std::to_string(a.desc.height) + "x" + std::to_string(a.desc.channels) +
                                           " vs " + std::to_string(b.desc.width) + "x" + std::to_string(b.desc.height) +
                                           "x" + std::to_string(b.desc.channels) + ")");
    if (mode != MetricChannels::luma && mode != MetricChannels::all)
        fail(Status::invalid_argument, "metric: unknown channel mode");
    if (border < 0) fail(Status::invalid_argument, "metric: negative border");
    if (int64_t(a.desc.width) - 2 * int64_t(border) < min_side || int64_t(a.desc.height) - 2 * int64_t(border) < min_side)
        fail(Status::invalid_argument, "metric: the border crop leaves an image smaller than " +
                                           std::to_string(min_side) + " pixels");
}

}  // namespace

double psnr(const ImageView& a, const ImageView& b, int border, MetricChannels mode) {
    check_pair(a, b, border, mode, 1);
    const auto pa = planes(a, border, mode), pb = planes(b, border, mode);
    double se = 0;
    size_t n = 0;
    for (size_t c = 0; c < pa.size(); ++c)
        for (size_t i = 0; i < pa[c].v.size(); ++i) {
            const double d = pa[c].v[i] - pb[c].v[i];
            se += d * d;
            ++n;
        }
    const double mse = se / double(n);
    if (mse == 0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double ssim(const ImageView& a, const ImageView& b, int border, MetricChannels mode) {
    constexpr int kWin = 11;
    check_pair(a, b, border, mode, kWin);
    double g[kWin], gsum = 0;
    for (int i = 0; i < kWin; ++i) {
        const double d = i - kWin / 2;
        g[i] = std::exp(-d * d / (2 * 1.5 * 1.5));
        gsum += g[i];
    }
    for (double& v : g) v /= gsum;
    const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    const auto pa = planes(a, border, mode), pb = planes(b, border, mode);
    double total = 0;
    for (size_t c = 0; c < pa.size(); ++c) {
        const Plane &x = pa[c], &y = pb[c];
        const int ow = x.w - kWin + 1, oh = x.h - kWin + 1;
        // Separable Gaussian filtering of x, y, x², y², xy: horizontal pass, then vertical.
        auto filter = [&](auto value) {
            std::vector<double> hpass(size_t(ow) * size_t(x.h)), out(size_t(ow) * size_t(oh));
            for (int r = 0; r < x.h; ++r)
                for (int col = 0; col < ow; ++col) {
                    double s = 0;
                    for (int k = 0; k < kWin; ++k) s += g[k] * value(col + k, r);
                    hpass[size_t(r) * size_t(ow) + size_t(col)] = s;
                }
            for (int r = 0; r < oh; ++r)
                for (int col = 0; col < ow; ++col) {
                    double s = 0;
                    for (int k = 0; k < kWin; ++k) s += g[k] * hpass[size_t(r + k) * size_t(ow) + size_t(col)];
                    out[size_t(r) * size_t(ow) + size_t(col)] = s;
                }
            return out;
        };
        const auto mx = filter([&](int i, int j) { return x.at(i, j); });
        const auto my = filter([&](int i, int j) { return y.at(i, j); });
        const auto xx = filter([&](int i, int j) { return x.at(i, j) * x.at(i, j); });
        const auto yy = filter([&](int i, int j) { return y.at(i, j) * y.at(i, j); });
        const auto xy = filter([&](int i, int j) { return x.at(i, j) * y.at(i, j); });
        double sum = 0;
        for (size_t i = 0; i < mx.size(); ++i) {
            const double vx = xx[i] - mx[i] * mx[i], vy = yy[i] - my[i] * my[i], cxy = xy[i] - mx[i] * my[i];
            sum += ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) /
                   ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
        }
        total += sum / double(mx.size());
    }
    return total / double(pa.size());
}

}  // namespace upres::quality
