#include "core/image.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/checked_math.hpp"

namespace upres {

namespace {
std::atomic<uint64_t> g_max_pixels{kBuiltinMaxPixels};

std::string named(const char* what, const std::string& problem) { return std::string(what) + ": " + problem; }
}  // namespace

size_t sample_bytes(SampleType type) {
    switch (type) {
        case SampleType::u8: return 1;
        case SampleType::u16: return 2;
        case SampleType::f32: return 4;
    }
    return 0;
}

const char* sample_type_name(SampleType type) {
    switch (type) {
        case SampleType::u8: return "u8";
        case SampleType::u16: return "u16";
        case SampleType::f32: return "f32";
    }
    return "?";
}

bool is_valid_sample_type(int32_t v) { return v >= 1 && v <= 3; }

uint64_t default_max_pixels() { return g_max_pixels.load(std::memory_order_relaxed); }
void set_default_max_pixels(uint64_t limit) { g_max_pixels.store(limit, std::memory_order_relaxed); }

void validate_shape(int32_t width, int32_t height, int32_t channels, int32_t type, const char* what,
                    uint64_t max_pixels) {
    if (width <= 0 || height <= 0)
        fail(Status::invalid_argument,
             named(what, "size " + std::to_string(width) + "x" + std::to_string(height) + " is not positive"));
    if (width > kMaxSide || height > kMaxSide)
        fail(Status::limit, named(what, "side longer than " + std::to_string(kMaxSide) + " pixels"));
    if (channels < 1 || channels > 4)
        fail(Status::invalid_argument, named(what, "channels must be 1-4, got " + std::to_string(channels)));
    if (!is_valid_sample_type(type))
        fail(Status::invalid_argument, named(what, "unknown sample type " + std::to_string(type)));
    const uint64_t limit = max_pixels ? max_pixels : default_max_pixels();
    const uint64_t pixels = uint64_t(width) * uint64_t(height);
    if (pixels > limit)
        fail(Status::limit, named(what, std::to_string(width) + "x" + std::to_string(height) +
                                            " exceeds the limit of " + std::to_string(limit) + " pixels"));
}

void validate_view(const ImageView& v, const char* what, uint64_t max_pixels) {
    const ImageDesc& d = v.desc;
    validate_shape(d.width, d.height, d.channels, int32_t(d.type), what, max_pixels);
    if (d.flags & ~uint32_t(kKnownFlags))
        fail(Status::invalid_argument, named(what, "unknown flag bits"));
    if (!v.data) fail(Status::invalid_argument, named(what, "data is NULL"));
    if (d.stride < 0 || uint64_t(d.stride) < uint64_t(d.row_bytes()))
        fail(Status::invalid_argument, named(what, "stride " + std::to_string(d.stride) +
                                                       " is smaller than a row (" + std::to_string(d.row_bytes()) +
                                                       " bytes)"));
    if (d.stride % int64_t(sample_bytes(d.type)) != 0)
        fail(Status::invalid_argument, named(what, "stride is not a multiple of the sample size"));
    // The last byte must be addressable: (height-1)*stride + row_bytes fits in 64 bits.
    checked_add(checked_mul(uint64_t(d.height - 1), uint64_t(d.stride), what), d.row_bytes(), what);
}

uint64_t packed_bytes(int32_t width, int32_t height, int32_t channels, SampleType type) {
    uint64_t b = checked_mul(uint64_t(width), uint64_t(height), "image size");
    b = checked_mul(b, uint64_t(channels), "image size");
    return checked_mul(b, sample_bytes(type), "image size");
}

void Image::Free::operator()(uint8_t* p) const { std::free(p); }

Image Image::allocate(int32_t width, int32_t height, int32_t channels, SampleType type, uint64_t max_pixels) {
    validate_shape(width, height, channels, int32_t(type), "image", max_pixels);
    const size_t bytes = to_size(packed_bytes(width, height, channels, type), "image size");
    const size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    if (!p) fail(Status::out_of_memory, "image: cannot allocate " + std::to_string(bytes) + " bytes");
    std::memset(p, 0, rounded);
    Image img;
    img.storage_.reset(static_cast<uint8_t*>(p));
    img.view_.data = static_cast<uint8_t*>(p);
    img.view_.desc.width = width;
    img.view_.desc.height = height;
    img.view_.desc.channels = channels;
    img.view_.desc.type = type;
    img.view_.desc.stride = int64_t(size_t(width) * channels * sample_bytes(type));
    return img;
}

namespace {
template <class T>
float load_norm(const uint8_t* p);
template <>
float load_norm<uint8_t>(const uint8_t* p) { return *p * (1.0f / 255.0f); }
template <>
float load_norm<uint16_t>(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v * (1.0f / 65535.0f);
}
template <>
float load_norm<float>(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}

void store_norm(SampleType t, uint8_t* p, float v) {
    switch (t) {
        case SampleType::u8: {
            float c = std::nearbyint(std::clamp(v, 0.0f, 1.0f) * 255.0f);
            *p = uint8_t(c);
            break;
        }
        case SampleType::u16: {
            uint16_t c = uint16_t(std::nearbyint(std::clamp(v, 0.0f, 1.0f) * 65535.0f));
            std::memcpy(p, &c, 2);
            break;
        }
        case SampleType::f32: std::memcpy(p, &v, 4); break;
    }
}
}  // namespace

void convert_samples(const ImageView& src, const ImageView& dst) {
    const ImageDesc& s = src.desc;
    const ImageDesc& d = dst.desc;
    if (s.width != d.width || s.height != d.height || s.channels != d.channels)
        fail(Status::invalid_argument, "convert_samples: shapes differ");
    const size_t n = size_t(s.width) * s.channels;
    const size_t sb = sample_bytes(s.type), db = sample_bytes(d.type);
    for (int32_t y = 0; y < s.height; ++y) {
        const uint8_t* in = src.row(y);
        uint8_t* out = dst.row(y);
        if (s.type == d.type) {
            std::memmove(out, in, n * sb);
            continue;
        }
        // Exact widening u8 -> u16 (x * 257) keeps round trips lossless.
        if (s.type == SampleType::u8 && d.type == SampleType::u16) {
            for (size_t i = 0; i < n; ++i) {
                uint16_t v = uint16_t(in[i] * 257);
                std::memcpy(out + 2 * i, &v, 2);
            }
            continue;
        }
        for (size_t i = 0; i < n; ++i) {
            float v = s.type == SampleType::u8    ? load_norm<uint8_t>(in + i)
                      : s.type == SampleType::u16 ? load_norm<uint16_t>(in + 2 * i)
                                                  : load_norm<float>(in + 4 * i);
            store_norm(d.type, out + i * db, v);
        }
    }
}

Image converted_copy(const ImageView& src, SampleType type) {
    Image out = Image::allocate(src.desc.width, src.desc.height, src.desc.channels, type, UINT64_MAX);
    convert_samples(src, out.view());
    return out;
}

}  // namespace upres
