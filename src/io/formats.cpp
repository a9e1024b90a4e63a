#include "io/formats.hpp"

#include "io/header_bytes.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace upres::io {

namespace {

#if UPRES_WITH_VIPS
constexpr Codec kModern = Codec::vips;  // PNG and JPEG too: libspng and libjpeg-turbo beat stb
constexpr Codec kClassic = Codec::vips;
#else
constexpr Codec kModern = Codec::none;
constexpr Codec kClassic = Codec::stb;
#endif
#if UPRES_WITH_VIPS && UPRES_VIPS_AVIF_ENCODER
constexpr Codec kAvifWriter = Codec::vips;
#else
constexpr Codec kAvifWriter = Codec::none;
#endif

std::string lower_extension(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    const size_t dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string ext = path.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
    return ext;
}

bool starts(const uint8_t* d, size_t n, const char* sig, size_t len, size_t at = 0) {
    return n >= at + len && std::memcmp(d + at, sig, len) == 0;
}

}  // namespace

const std::vector<FileFormat>& file_formats() {
    // name, extensions, largest side, alpha, deep samples, read, write
    static const std::vector<FileFormat> table = {
        {"png", "png", 0, true, true, kClassic, kClassic},
        {"jpeg", "jpg jpeg jpe jfif", 65535, false, false, kClassic, kClassic},
        {"webp", "webp", 16383, true, false, kModern, kModern},
        {"tiff", "tif tiff", 0, true, true, kModern, kModern},
        {"jxl", "jxl", 1 << 30, true, true, kModern, kModern},
        {"avif", "avif", 65536, true, true, kModern, kAvifWriter},
        {"heic", "heic heif hif", 65536, true, true, kModern, Codec::none},
        {"gif", "gif", 65535, true, false, Codec::stb, Codec::none},
        {"bmp", "bmp", 0, true, false, Codec::stb, Codec::stb},
        {"tga", "tga", 65535, true, false, Codec::stb, Codec::stb},
        {"psd", "psd", 30000, true, true, Codec::stb, Codec::none},
        {"hdr", "hdr", 0, false, true, Codec::stb, Codec::stb},
    };
    return table;
}

const FileFormat* format_named(const std::string& name) {
    for (const auto& f : file_formats())
        if (name == f.name) return &f;
    return nullptr;
}

const FileFormat* format_of_path(const std::string& path) {
    const std::string ext = lower_extension(path);
    if (ext.empty()) return nullptr;
    for (const auto& f : file_formats()) {
        std::istringstream words(f.extensions);
        for (std::string w; words >> w;)
            if (w == ext) return &f;
    }
    return nullptr;
}

const FileFormat* format_of_bytes(const uint8_t* d, size_t n) {
    if (starts(d, n, "\x89PNG\r\n\x1a\n", 8)) return format_named("png");
    if (starts(d, n, "\xFF\xD8\xFF", 3)) return format_named("jpeg");
    if (starts(d, n, "RIFF", 4) && starts(d, n, "WEBP", 4, 8)) return format_named("webp");
    if (starts(d, n, "II*\0", 4) || starts(d, n, "MM\0*", 4) || starts(d, n, "II+\0", 4) || starts(d, n, "MM\0+", 4))
        return format_named("tiff");
    if (starts(d, n, "\xFF\x0A", 2) || starts(d, n, "\0\0\0\x0CJXL \r\n\x87\n", 12)) return format_named("jxl");
    if (starts(d, n, "ftyp", 4, 4) && n >= 12) {
        // ISO base media: the major brand says AVIF or HEIC (both read by libheif).
        const std::string brand(reinterpret_cast<const char*>(d + 8), 4);
        if (brand == "avif" || brand == "avis") return format_named("avif");
        if (brand == "heic" || brand == "heix" || brand == "hevc" || brand == "hevx" || brand == "heim" ||
            brand == "heis" || brand == "mif1" || brand == "msf1")
            return format_named("heic");
    }
    if (starts(d, n, "GIF87a", 6) || starts(d, n, "GIF89a", 6)) return format_named("gif");
    if (starts(d, n, "BM", 2)) return format_named("bmp");
    if (starts(d, n, "8BPS", 4)) return format_named("psd");
    if (starts(d, n, "#?RADIANCE", 10) || starts(d, n, "#?RGBE", 6)) return format_named("hdr");
    return nullptr;
}

bool declared_size(const uint8_t* d, size_t n, int64_t& w, int64_t& h) {
    if (n >= 24 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(d + 12, "IHDR", 4) == 0) {
        w = be32(d + 16);
        h = be32(d + 20);
        return true;
    }
    if (n >= 10 && (std::memcmp(d, "GIF87a", 6) == 0 || std::memcmp(d, "GIF89a", 6) == 0)) {
        w = le16(d + 6);
        h = le16(d + 8);
        return true;
    }
    if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
        w = le32s(d + 18);
        h = le32s(d + 22);
        if (h < 0) h = -h;  // top-down bitmaps
        return true;
    }
    if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8) {  // JPEG: find the first start-of-frame marker
        size_t i = 2;
        while (i + 9 < n) {
            if (d[i] != 0xFF) return false;
            const uint8_t m = d[i + 1];
            if (m == 0xFF) { ++i; continue; }
            const size_t len = size_t(d[i + 2]) << 8 | d[i + 3];
            if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
                h = int64_t(d[i + 5]) << 8 | d[i + 6];
                w = int64_t(d[i + 7]) << 8 | d[i + 8];
                return true;
            }
            i += 2 + len;
        }
    }
    return false;
}

std::string writable_extensions() {
    std::string out;
    for (const auto& f : file_formats()) {
        if (f.writes == Codec::none) continue;
        std::string first = f.extensions;
        first = first.substr(0, first.find(' '));
        out += (out.empty() ? "" : ", ") + first;
    }
    return out;
}

const char* codec_name(Codec c) {
    switch (c) {
        case Codec::stb: return "stb";
        case Codec::vips: return "libvips";
        case Codec::none: break;
    }
    return "";
}

}  // namespace upres::io
