#include "quality/degradation.hpp"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "core/run_context.hpp"
#include "registry/registry.hpp"

namespace upres::quality {

// ---------------------------------------------------------------- Random

uint64_t Random::next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double Random::uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }

double Random::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2 * M_PI * u2);
}

uint64_t Random::poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 64) return uint64_t(std::max(0.0, std::round(mean + std::sqrt(mean) * normal())));
    // Knuth's method: exact for small means.
    const double limit = std::exp(-mean);
    double p = 1;
    uint64_t k = 0;
    do {
        ++k;
        p *= uniform();
    } while (p > limit);
    return k - 1;
}

// ---------------------------------------------------------------- parsing

namespace {

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\n") - b + 1);
}

// "1.5" or "0.5-3" -> [lo, hi]
void parse_range(const std::string& text, const std::string& step, double& lo, double& hi) {
    const std::string t = trim(text);
    size_t dash = t.find('-', 1);  // a leading '-' is a sign
    char* end = nullptr;
    auto number = [&](const std::string& s) {
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end || !std::isfinite(v)) fail(Status::invalid_argument, "degradation '" + step + "': bad number '" + s + "'");
        return v;
    };
    if (dash == std::string::npos) {
        lo = hi = number(t);
    } else {
        lo = number(trim(t.substr(0, dash)));
        hi = number(trim(t.substr(dash + 1)));
    }
    if (lo > hi) fail(Status::invalid_argument, "degradation '" + step + "': range '" + t + "' is reversed");
}

void require_range(const std::string& step, double lo, double hi, double min, double max) {
    if (lo < min || hi > max)
        fail(Status::invalid_argument, "degradation '" + step + "': value outside [" + std::to_string(min) + ", " +
                                           std::to_string(max) + "]");
}

}  // namespace

std::vector<DegradationStep> parse_degradations(const std::string& spec) {
    std::vector<DegradationStep> steps;
    std::stringstream all(spec);
    std::string item;
    while (std::getline(all, item, ';')) {
        item = trim(item);
        if (item.empty()) continue;
        const size_t colon = item.find(':');
        const std::string name = trim(item.substr(0, colon));
        const std::string args = colon == std::string::npos ? "" : item.substr(colon + 1);
        std::vector<std::string> parts;
        std::stringstream as(args);
        std::string p;
        while (std::getline(as, p, ',')) parts.push_back(trim(p));
        DegradationStep s;
        auto need = [&](size_t n) {
            if (parts.size() != n)
                fail(Status::invalid_argument, "degradation '" + item + "' needs " + std::to_string(n) + " argument(s)");
        };
        if (name == "down") {
            if (parts.size() == 2) s.method = parts[1], parts.pop_back();
            need(1);
            s.kind = DegradationStep::Kind::downscale;
            parse_range(parts[0], item, s.a_lo, s.a_hi);
            require_range(item, s.a_lo, s.a_hi, 1, 64);
        } else if (name == "blur") {
            need(1);
            s.kind = DegradationStep::Kind::blur;
            parse_range(parts[0], item, s.a_lo, s.a_hi);
            require_range(item, s.a_lo, s.a_hi, 0, 50);
        } else if (name == "aniso") {
            need(3);
            s.kind = DegradationStep::Kind::anisotropic_blur;
            parse_range(parts[0], item, s.a_lo, s.a_hi);
            parse_range(parts[1], item, s.b_lo, s.b_hi);
            parse_range(parts[2], item, s.c_lo, s.c_hi);
            require_range(item, s.a_lo, s.a_hi, 0, 50);
            require_range(item, s.b_lo, s.b_hi, 0, 50);
            require_range(item, s.c_lo, s.c_hi, -360, 360);
        } else if (name == "noise" || name == "graynoise") {
            need(1);
            s.kind = DegradationStep::Kind::gaussian_noise;
            s.gray_noise = name == "graynoise";
            parse_range(parts[0], item, s.a_lo, s.a_hi);
            require_range(item, s.a_lo, s.a_hi, 0, 255);
        } else if (name == "poisson") {
            need(1);
            s.kind = DegradationStep::Kind::poisson_noise;
            parse_range(parts[0], item, s.a_lo, s.a_hi);
            require_range(item, s.a_lo, s.a_hi, 0, 100);
        } else if (name == "jpeg") {
            need(1);
            s.kind = DegradationStep::Kind::jpeg;
            parse_range(parts[0], item, s.a_lo, s.a_hi);
            require_range(item, s.a_lo, s.a_hi, 1, 100);
        } else {
            fail(Status::invalid_argument, "unknown degradation '" + name + "' (known: down, blur, aniso, noise, "
                                           "graynoise, poisson, jpeg)");
        }
        steps.push_back(s);
    }
    return steps;
}

// ---------------------------------------------------------------- steps

namespace {

// Works in f32 planes of the 0..1 scale; converts once in and once out.
Image to_f32(const ImageView& v) {
    Image f = Image::allocate(v.desc.width, v.desc.height, v.desc.channels, SampleType::f32, UINT64_MAX);
    f.set_flags(v.desc.flags);
    convert_samples(v, f.view());
    return f;
}

int colour_channels(int channels) { return channels == 2 || channels == 4 ? channels - 1 : channels; }

// Convolves colour channels with a normalised 2-D kernel (odd size), replicating edges.
void convolve(const ImageView& img, const std::vector<double>& k, int size) {
    const int w = img.desc.width, h = img.desc.height, ch = img.desc.channels, cc = colour_channels(ch);
    const int r = size / 2;
    Image copy = to_f32(img);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < cc; ++c) {
                double s = 0;
                for (int j = 0; j < size; ++j) {
                    const int sy = std::clamp(y + j - r, 0, h - 1);
                    const float* row = copy.view().row_as<float>(sy);
                    for (int i = 0; i < size; ++i) {
                        const int sx = std::clamp(x + i - r, 0, w - 1);
                        s += k[size_t(j) * size_t(size) + size_t(i)] * row[size_t(sx) * size_t(ch) + size_t(c)];
                    }
                }
                img.row_as<float>(y)[size_t(x) * size_t(ch) + size_t(c)] = float(s);
            }
}

std::vector<double> gaussian_kernel(double sx, double sy, double theta_deg, int& size) {
    const double smax = std::max({sx, sy, 1e-3});
    size = 2 * int(std::ceil(3 * smax)) + 1;
    size = std::min(size, 61);
    const int r = size / 2;
    const double t = theta_deg * M_PI / 180.0, ct = std::cos(t), st = std::sin(t);
    const double ax = std::max(sx, 1e-3), ay = std::max(sy, 1e-3);
    std::vector<double> k(size_t(size) * size_t(size));
    double sum = 0;
    for (int j = -r; j <= r; ++j)
        for (int i = -r; i <= r; ++i) {
            const double u = ct * i + st * j, v = -st * i + ct * j;
            const double e = std::exp(-0.5 * (u * u / (ax * ax) + v * v / (ay * ay)));
            k[size_t(j + r) * size_t(size) + size_t(i + r)] = e;
            sum += e;
        }
    for (double& e : k) e /= sum;
    return k;
}

void add_noise(const ImageView& img, const DegradationStep& s, Random& rng) {
    const int w = img.desc.width, h = img.desc.height, ch = img.desc.channels, cc = colour_channels(ch);
    const double level = rng.uniform(s.a_lo, s.a_hi);
    for (int y = 0; y < h; ++y) {
        float* row = img.row_as<float>(y);
        for (int x = 0; x < w; ++x) {
            double shared = 0;
            if (s.kind == DegradationStep::Kind::gaussian_noise && s.gray_noise) shared = rng.normal();
            for (int c = 0; c < cc; ++c) {
                float& v = row[size_t(x) * size_t(ch) + size_t(c)];
                if (s.kind == DegradationStep::Kind::gaussian_noise) {
                    v += float((s.gray_noise ? shared : rng.normal()) * level / 255.0);
                } else {
                    // Poisson: photon counts at `level` x 255 photons per unit intensity.
                    const double scale = 255.0 * std::max(level, 1e-3);
                    v = float(double(rng.poisson(std::max(0.0, double(v)) * scale)) / scale);
                }
                v = std::clamp(v, 0.0f, 1.0f);
            }
        }
    }
}

void append(void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

void jpeg_roundtrip(const ImageView& img, int quality) {
    const int w = img.desc.width, h = img.desc.height, ch = img.desc.channels, cc = colour_channels(ch);
    Image u8 = Image::allocate(w, h, ch, SampleType::u8, UINT64_MAX);
    convert_samples(img, u8.view());
    // JPEG has no alpha: encode the colour channels only.
    std::vector<uint8_t> colour(size_t(w) * size_t(h) * size_t(cc)), encoded;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < cc; ++c)
                colour[(size_t(y) * size_t(w) + size_t(x)) * size_t(cc) + size_t(c)] =
                    u8.view().row(y)[size_t(x) * size_t(ch) + size_t(c)];
    if (!stbi_write_jpg_to_func(append, &encoded, w, h, cc, colour.data(), quality))
        fail(Status::internal, "jpeg degradation: encoding failed");
    int dw = 0, dh = 0, dc = 0;
    uint8_t* decoded = stbi_load_from_memory(encoded.data(), int(encoded.size()), &dw, &dh, &dc, cc);
    if (!decoded || dw != w || dh != h) {
        stbi_image_free(decoded);
        fail(Status::internal, "jpeg degradation: decoding failed");
    }
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < cc; ++c)
                img.row_as<float>(y)[size_t(x) * size_t(ch) + size_t(c)] =
                    decoded[(size_t(y) * size_t(w) + size_t(x)) * size_t(cc) + size_t(c)] / 255.0f;
    stbi_image_free(decoded);
}

}  // namespace

Image degrade(const ImageView& src, const std::vector<DegradationStep>& steps, uint64_t seed) {
    Random rng(seed);
    Image cur = to_f32(src);
    for (const DegradationStep& s : steps) {
        switch (s.kind) {
            case DegradationStep::Kind::downscale: {
                const double scale = rng.uniform(s.a_lo, s.a_hi);
                const int w = std::max(1, int(std::lround(cur.desc().width / scale)));
                const int h = std::max(1, int(std::lround(cur.desc().height / scale)));
                Options o;
                auto r = create_resampler(s.method, o);
                Image out = Image::allocate(w, h, cur.desc().channels, SampleType::f32);
                out.set_flags(cur.desc().flags);
                RunContext run;
                // The MATLAB protocol rounds to u8 after each pass: resample in the source type.
                if (s.method == "matlab" && src.desc.type == SampleType::u8) {
                    Image in8 = Image::allocate(cur.desc().width, cur.desc().height, cur.desc().channels, SampleType::u8);
                    convert_samples(cur.view(), in8.view());
                    Image out8 = Image::allocate(w, h, cur.desc().channels, SampleType::u8);
                    r->resample(in8.view(), out8.view(), run);
                    convert_samples(out8.view(), out.view());
                } else {
                    r->resample(cur.view(), out.view(), run);
                }
                cur = std::move(out);
                break;
            }
            case DegradationStep::Kind::blur:
            case DegradationStep::Kind::anisotropic_blur: {
                double sx = rng.uniform(s.a_lo, s.a_hi), sy = sx, theta = 0;
                if (s.kind == DegradationStep::Kind::anisotropic_blur) {
                    sy = rng.uniform(s.b_lo, s.b_hi);
                    theta = rng.uniform(s.c_lo, s.c_hi);
                }
                int size = 0;
                const auto k = gaussian_kernel(sx, sy, theta, size);
                convolve(cur.view(), k, size);
                break;
            }
            case DegradationStep::Kind::gaussian_noise:
            case DegradationStep::Kind::poisson_noise: add_noise(cur.view(), s, rng); break;
            case DegradationStep::Kind::jpeg:
                jpeg_roundtrip(cur.view(), int(std::lround(rng.uniform(s.a_lo, s.a_hi))));
                break;
        }
    }
    Image out = Image::allocate(cur.desc().width, cur.desc().height, cur.desc().channels, src.desc.type);
    out.set_flags(src.desc.flags);
    convert_samples(cur.view(), out.view());
    return out;
}

}  // namespace upres::quality
