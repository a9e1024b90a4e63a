#include "classical/color.hpp"

#include <algorithm>
#include <cmath>

namespace upres::classical {

float srgb_to_linear(float v) {
    return v <= 0.04045f ? v / 12.92f : float(std::pow((double(v) + 0.055) / 1.055, 2.4));
}

float linear_to_srgb(float v) {
    v = std::clamp(v, 0.0f, 1.0f);
    return v <= 0.0031308f ? v * 12.92f : float(1.055 * std::pow(double(v), 1.0 / 2.4) - 0.055);
}

bool alpha_all_opaque(const ImageView& im) {
    const int ch = im.desc.channels;
    if (ch != 2 && ch != 4) return true;
    for (int32_t y = 0; y < im.desc.height; ++y)
        for (int32_t x = 0; x < im.desc.width; ++x) {
            const size_t i = size_t(x) * size_t(ch) + size_t(ch - 1);
            switch (im.desc.type) {
                case SampleType::u8:
                    if (im.row(y)[i] != 255) return false;
                    break;
                case SampleType::u16:
                    if (im.row_as<uint16_t>(y)[i] != 65535) return false;
                    break;
                case SampleType::f32:
                    if (im.row_as<float>(y)[i] != 1.0f) return false;
                    break;
            }
        }
    return true;
}

Image to_working_float(const ImageView& src, bool linear, bool premultiply) {
    const ImageDesc& d = src.desc;
    Image f = Image::allocate(d.width, d.height, d.channels, SampleType::f32, UINT64_MAX);
    convert_samples(src, f.view());
    const int ch = d.channels, colour = (ch == 2 || ch == 4) ? ch - 1 : ch;
    const bool alpha = colour != ch;
    // One decode table for 8-bit sources keeps the common case fast and exact.
    float lut[256];
    if (linear && d.type == SampleType::u8)
        for (int i = 0; i < 256; ++i) lut[i] = srgb_to_linear(float(i) / 255.0f);
    for (int32_t y = 0; y < d.height; ++y) {
        float* row = f.view().row_as<float>(y);
        const uint8_t* src8 = d.type == SampleType::u8 ? src.row(y) : nullptr;
        for (int32_t x = 0; x < d.width; ++x) {
            float* px = row + size_t(x) * size_t(ch);
            const float a = alpha && premultiply ? px[ch - 1] : 1.0f;
            for (int c = 0; c < colour; ++c) {
                float v = px[c];
                if (linear) v = src8 ? lut[src8[size_t(x) * size_t(ch) + size_t(c)]] : srgb_to_linear(v);
                px[c] = v * a;
            }
        }
    }
    return f;
}

void from_working_float(const ImageView& work, const ImageView& dst, bool linear, bool premultiplied) {
    const ImageDesc& d = work.desc;
    const int ch = d.channels, colour = (ch == 2 || ch == 4) ? ch - 1 : ch;
    const bool alpha = colour != ch;
    for (int32_t y = 0; y < d.height; ++y) {
        float* row = work.row_as<float>(y);
        for (int32_t x = 0; x < d.width; ++x) {
            float* px = row + size_t(x) * size_t(ch);
            if (alpha && premultiplied) {
                const float a = px[ch - 1];
                for (int c = 0; c < colour; ++c) px[c] = a > 0.0f ? px[c] / a : 0.0f;
            }
            if (linear)
                for (int c = 0; c < colour; ++c) px[c] = linear_to_srgb(px[c]);
        }
    }
    convert_samples(work, dst);
}

}  // namespace upres::classical
