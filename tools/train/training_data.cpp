#include "training_data.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/image.hpp"
#include "core/options.hpp"
#include "io/image_file.hpp"
#include "quality/degradation.hpp"
#include "registry/registry.hpp"

namespace upres_train {

namespace {

bool is_image_name(const std::string& name) {
    std::string ext = name.substr(name.find_last_of('.') + 1);
    for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    return ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "bmp" || ext == "tga";
}

// Colour (no alpha) u8 copy, cropped to a multiple of the scale as the SR literature does.
upres::Image colour_u8_cropped(const upres::Image& img, int scale) {
    const int ch = img.desc().channels;
    const int colour = (ch == 2 || ch == 4) ? ch - 1 : ch;
    const int w = img.desc().width / scale * scale, h = img.desc().height / scale * scale;
    upres::Image full = upres::Image::allocate(img.desc().width, img.desc().height, ch, upres::SampleType::u8);
    upres::convert_samples(img.view(), full.view());
    upres::Image out = upres::Image::allocate(w, h, colour, upres::SampleType::u8);
    for (int y = 0; y < h; ++y) {
        const uint8_t* s = full.view().row(y);
        uint8_t* d = out.view().row(y);
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < colour; ++c) d[size_t(x) * colour + c] = s[size_t(x) * ch + c];
    }
    return out;
}

}  // namespace

std::vector<float> network_planes(const uint8_t* pixels, int width, int height, int image_channels, int channels) {
    const size_t plane = size_t(width) * size_t(height);
    std::vector<float> out(plane * size_t(channels));
    for (size_t i = 0; i < plane; ++i) {
        const uint8_t* px = pixels + i * size_t(image_channels);
        const float r = px[0] / 255.0f;
        const float g = image_channels >= 3 ? px[1] / 255.0f : r;
        const float b = image_channels >= 3 ? px[2] / 255.0f : r;
        if (channels == 1) {
            out[i] = image_channels >= 3 ? (16.0f + 65.481f * r + 128.553f * g + 24.966f * b) / 255.0f
                                         : (16.0f + 219.0f * r) / 255.0f;
        } else {
            out[i] = r;
            out[plane + i] = g;
            out[2 * plane + i] = b;
        }
    }
    return out;
}

TrainingData::TrainingData(const std::string& dir, int max_images, int scale, const std::string& degradations,
                           int channels, int patch, uint64_t seed, int threads)
    : channels_(channels), patch_(patch), seed_(seed) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.is_regular_file() && is_image_name(e.path().filename().string())) files.push_back(e.path().string());
    if (ec) upres::fail(upres::Status::io, dir + ": cannot list: " + ec.message());
    std::sort(files.begin(), files.end());
    if (max_images > 0 && files.size() > size_t(max_images)) files.resize(size_t(max_images));

    const auto steps = upres::quality::parse_degradations(
        degradations.empty() ? "down:" + std::to_string(scale) + ",matlab" : degradations);
    upres::Options o;
    o.set_int("threads", threads);
    const auto enlarge = upres::create_resampler("matlab", o);
    for (size_t i = 0; i < files.size(); ++i) {
        upres::Image hr = colour_u8_cropped(upres::io::load_pixels(files[i]), scale);
        const int w = hr.desc().width, h = hr.desc().height, ch = hr.desc().channels;
        if (w < patch || h < patch) continue;
        // Each image gets its own draw of a random pipeline; the default one has no randomness.
        const upres::Image lr = upres::quality::degrade(hr.view(), steps, seed * 1000003u + i);
        upres::Image lr_u8 = upres::Image::allocate(lr.desc().width, lr.desc().height, ch, upres::SampleType::u8);
        upres::convert_samples(lr.view(), lr_u8.view());
        // Enlarged in 8 bits, rounding per pass, as upres's SRCNN resampler does with 8-bit input.
        upres::Image big = upres::Image::allocate(w, h, ch, upres::SampleType::u8);
        upres::RunContext quiet;
        upres::run_resampler(*enlarge, lr_u8.view(), big.view(), quiet);
        PlanePair p;
        p.width = w;
        p.height = h;
        p.input = network_planes(big.data(), w, h, ch, channels);
        p.target = network_planes(hr.data(), w, h, ch, channels);
        pairs_.push_back(std::move(p));
        const uint64_t n = uint64_t(w - patch + 1) * uint64_t(h - patch + 1);
        positions_.push_back((positions_.empty() ? 0 : positions_.back()) + n);
    }
    if (pairs_.empty())
        upres::fail(upres::Status::invalid_argument,
                    dir + ": no image of at least " + std::to_string(patch) + "x" + std::to_string(patch) + " pixels");
}

void TrainingData::batch(int64_t step, int batch_size, at::Tensor& input, at::Tensor& target) const {
    // A fresh, well-mixed stream per step (SplitMix64 scrambles neighbouring seeds).
    upres::quality::Random rng(seed_ ^ (0x9E3779B97F4A7C15ull * uint64_t(step + 1)));
    const int P = patch_, C = channels_;
    input = at::empty({batch_size, C, P, P}, at::kFloat);
    target = at::empty({batch_size, C, P, P}, at::kFloat);
    float* in = input.data_ptr<float>();
    float* tg = target.data_ptr<float>();
    const size_t patch_plane = size_t(P) * size_t(P);
    for (int b = 0; b < batch_size; ++b) {
        const uint64_t pick = rng.next() % positions_.back();
        const size_t k = size_t(std::upper_bound(positions_.begin(), positions_.end(), pick) - positions_.begin());
        const PlanePair& p = pairs_[k];
        const uint64_t local = pick - (k == 0 ? 0 : positions_[k - 1]);
        const int span = p.width - P + 1;
        const int x0 = int(local % uint64_t(span)), y0 = int(local / uint64_t(span));
        const unsigned t = unsigned(rng.next() & 7u);  // bit 0: mirror x, bit 1: mirror y, bit 2: transpose
        const size_t plane = size_t(p.width) * size_t(p.height);
        for (int c = 0; c < C; ++c) {
            float* di = in + (size_t(b) * C + c) * patch_plane;
            float* dt = tg + (size_t(b) * C + c) * patch_plane;
            const float* si = p.input.data() + size_t(c) * plane;
            const float* st = p.target.data() + size_t(c) * plane;
            for (int y = 0; y < P; ++y)
                for (int x = 0; x < P; ++x) {
                    int u = (t & 4u) ? y : x, v = (t & 4u) ? x : y;
                    if (t & 1u) u = P - 1 - u;
                    if (t & 2u) v = P - 1 - v;
                    const size_t src = size_t(y0 + v) * size_t(p.width) + size_t(x0 + u);
                    di[size_t(y) * P + x] = si[src];
                    dt[size_t(y) * P + x] = st[src];
                }
        }
    }
}

}  // namespace upres_train
