// stb_image / stb_image_write: the built-in codecs (PNG, JPEG, BMP, TGA, GIF, PSD, HDR), for
// builds without libvips and for the formats libvips is not asked to read. Files are checked
// before stb sees them (stb_guard.cpp) and no buffer of stb's may grow far past the image.
#include "io/stb_codec.hpp"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/checked_math.hpp"
#include "io/file_bytes.hpp"
#include "io/header_bytes.hpp"
#include "io/stb_guard.hpp"

namespace upres::io {

namespace {

std::string reason() {
    const char* r = stbi_failure_reason();
    return r ? r : "unknown decoding error";
}

}  // namespace

// Header facts without decoding pixels.
ImageDesc stb_probe(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels) {
    if (size == 0) file_error(Status::format, name, "empty file");
    if (size > size_t(INT32_MAX)) file_error(Status::limit, name, "file too large to decode");
    int64_t dw = 0, dh = 0;
    if (declared_size(data, size, dw, dh)) {
        if (dw <= 0 || dh <= 0)
            file_error(Status::format, name, "the header declares an empty image (" + std::to_string(dw) + "x" +
                                                 std::to_string(dh) + ")");
        const uint64_t limit = max_pixels ? max_pixels : default_max_pixels();
        if (dw > kMaxSide || dh > kMaxSide || uint64_t(dw) * uint64_t(dh) > limit)
            file_error(Status::limit, name, "the header declares " + std::to_string(dw) + "x" + std::to_string(dh) +
                                                " pixels, over the limit of " + std::to_string(limit) + " pixels");
    }
    // Before stb reads anything: its header readers already build JPEG Huffman tables. (A file whose
    // data is shorter than its header's huge size is refused as cut short, not as too large.)
    check_before_stb(data, size, name);
    int w = 0, h = 0, c = 0;
    if (!stbi_info_from_memory(data, int(size), &w, &h, &c))
        file_error(Status::format, name, "not a readable image (" + reason() + ")");
    ImageDesc d;
    d.width = w;
    d.height = h;
    d.channels = c;
    if (stbi_is_hdr_from_memory(data, int(size)))
        d.type = SampleType::f32;
    else if (stbi_is_16_bit_from_memory(data, int(size)))
        d.type = SampleType::u16;
    else
        d.type = SampleType::u8;
    d.stride = int64_t(d.width) * d.channels * int64_t(sample_bytes(d.type));
    return d;
}


Image stb_decode(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels) {
    const ImageDesc d = stb_probe(data, size, name, max_pixels);
    // Checked before stb allocates anything for the pixels.
    try {
        validate_shape(d.width, d.height, d.channels, int32_t(d.type), name.c_str(), max_pixels);
    } catch (const Error& e) {
        throw Error(e.status(), std::string(e.what()) + " (from the file header)");
    }
    Image img = Image::allocate(d.width, d.height, d.channels, d.type, max_pixels);
    int w = 0, h = 0, c = 0;
    void* pixels = nullptr;
    // No buffer of stb's may be much larger than the image: 16 bytes per pixel (f32 RGBA) is the
    // most any decoder's output needs, doubled, with JPEG's padding to whole blocks and room for a
    // PNG's compressed data.
    const uint64_t ceiling_bytes = 32 * uint64_t(d.width + 32) * uint64_t(d.height + 32) + 2 * uint64_t(size) + (16u << 20);
    StbCeiling ceiling(ceiling_bytes);
    if (d.type == SampleType::f32)
        pixels = stbi_loadf_from_memory(data, int(size), &w, &h, &c, d.channels);
    else if (d.type == SampleType::u16)
        pixels = stbi_load_16_from_memory(data, int(size), &w, &h, &c, d.channels);
    else
        pixels = stbi_load_from_memory(data, int(size), &w, &h, &c, d.channels);
    if (!pixels && ceiling.refused())
        file_error(Status::format, name, "decoding would need a buffer of over " + std::to_string(ceiling_bytes >> 20) +
                                             " MiB for " + std::to_string(d.width) + "x" + std::to_string(d.height) +
                                             " pixels (compressed data that expands far past the image?)");
    if (!pixels) file_error(Status::format, name, "cannot decode (" + reason() + ")");
    if (w != d.width || h != d.height) {
        stbi_image_free(pixels);
        file_error(Status::format, name, "decoded size differs from the header");
    }
    std::memcpy(img.data(), pixels, size_t(img.desc().stride) * size_t(d.height));
    stbi_image_free(pixels);
    // stb returns sRGB-encoded samples for everything but HDR.
    if (d.type != SampleType::f32) img.set_flags(kSrgb);
    return img;
}

namespace {

void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    const auto* p = static_cast<const uint8_t*>(data);
    out->insert(out->end(), p, p + size);
}

// stb's PNG writer takes 8-bit samples only; 16-bit PNG is written here (stored zlib blocks are
// valid deflate and keep the writer small; stb_image and every decoder read them).
std::vector<uint8_t> encode_png16(const ImageView& img);

uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc = 0) {
    static uint32_t table[256];
    static const bool init = [] {
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return true;
    }();
    (void)init;
    crc = ~crc;
    for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

void put32(std::vector<uint8_t>& v, uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) v.push_back(uint8_t(x >> s));
}

void chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& body) {
    put32(png, uint32_t(body.size()));
    const size_t start = png.size();
    png.insert(png.end(), type, type + 4);
    png.insert(png.end(), body.begin(), body.end());
    put32(png, crc32(png.data() + start, png.size() - start));
}

std::vector<uint8_t> encode_png16(const ImageView& img) {
    const ImageDesc& d = img.desc;
    static const uint8_t color_type[5] = {0, 0, 4, 2, 6};
    std::vector<uint8_t> raw;
    const size_t row = size_t(d.width) * d.channels * 2;
    raw.reserve((row + 1) * size_t(d.height));
    for (int32_t y = 0; y < d.height; ++y) {
        raw.push_back(0);  // filter: none
        const uint16_t* s = img.row_as<uint16_t>(y);
        for (size_t i = 0; i < size_t(d.width) * d.channels; ++i) {
            raw.push_back(uint8_t(s[i] >> 8));
            raw.push_back(uint8_t(s[i] & 0xFF));
        }
    }
    std::vector<uint8_t> z = {0x78, 0x01};
    uint32_t a = 1, b = 0;
    for (uint8_t v : raw) {
        a = (a + v) % 65521;
        b = (b + a) % 65521;
    }
    size_t pos = 0;
    do {
        const size_t n = std::min<size_t>(65535, raw.size() - pos);
        z.push_back(pos + n == raw.size() ? 1 : 0);
        z.push_back(uint8_t(n & 0xFF));
        z.push_back(uint8_t(n >> 8));
        z.push_back(uint8_t(~n & 0xFF));
        z.push_back(uint8_t((~n >> 8) & 0xFF));
        z.insert(z.end(), raw.begin() + long(pos), raw.begin() + long(pos + n));
        pos += n;
    } while (pos < raw.size());
    put32(z, (b << 16) | a);
    std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    std::vector<uint8_t> ihdr;
    put32(ihdr, uint32_t(d.width));
    put32(ihdr, uint32_t(d.height));
    ihdr.insert(ihdr.end(), {16, color_type[d.channels], 0, 0, 0});
    chunk(png, "IHDR", ihdr);
    chunk(png, "IDAT", z);
    chunk(png, "IEND", {});
    return png;
}

}  // namespace

std::vector<uint8_t> stb_encode(const std::string& path, const FileFormat& format, const ImageView& image, int quality) {
    const ImageDesc& d = image.desc;
    const std::string ext = format.name;
    std::vector<uint8_t> bytes;
    int ok = 0;
    if (d.width > 0xFFFF * 256 || d.height > 0xFFFF * 256) file_error(Status::limit, path, "image too large to save");
    if (ext == "png" && d.type != SampleType::u8) {  // 16-bit PNG keeps u16 and f32 precision
        bytes = d.type == SampleType::u16 ? encode_png16(image) : encode_png16(converted_copy(image, SampleType::u16).view());
        ok = 1;
    } else if (ext == "png" || ext == "bmp" || ext == "tga" || ext == "jpeg") {
        Image u8 = converted_copy(image, SampleType::u8);
        const ImageView v = u8.view();
        const int stride = int(v.desc.stride);
        if (ext == "png")
            ok = stbi_write_png_to_func(append_bytes, &bytes, d.width, d.height, d.channels, v.data, stride);
        else if (ext == "bmp")
            ok = stbi_write_bmp_to_func(append_bytes, &bytes, d.width, d.height, d.channels, v.data);
        else if (ext == "tga")
            ok = stbi_write_tga_to_func(append_bytes, &bytes, d.width, d.height, d.channels, v.data);
        else
            ok = stbi_write_jpg_to_func(append_bytes, &bytes, d.width, d.height, d.channels, v.data,
                                        std::clamp(quality > 0 ? quality : 90, 1, 100));
    } else if (ext == "hdr") {
        Image f = converted_copy(image, SampleType::f32);
        ok = stbi_write_hdr_to_func(append_bytes, &bytes, d.width, d.height, d.channels,
                                    reinterpret_cast<const float*>(f.data()));
    } else {
        file_error(Status::unsupported, path, std::string("stb cannot write ") + format.name);
    }
    if (!ok) file_error(Status::io, path, "encoding failed");
    return bytes;
}

}  // namespace upres::io
