// Image files: decoding, encoding and the metadata that travels between them. A layer beside the
// core (the core never touches files). The codecs are libvips' where the build has it
// (vips/vips_codec.cpp: PNG, JPEG, WebP, TIFF, HEIF/AVIF, JPEG XL) and stb's otherwise and for
// the formats libvips is not asked to read (stb_codec.cpp: BMP, TGA, GIF, PSD, HDR); formats.cpp is
// the table of what each format holds. Every error names the file and the problem.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/image.hpp"
#include "core/metadata.hpp"

namespace upres::io {

struct LoadOptions {
    uint64_t max_pixels = 0;  // 0 = the process default
    bool auto_orient = true;  // apply the EXIF orientation (all 8 values) to the pixels
    bool to_srgb = false;     // convert through the embedded profile to sRGB (lcms2)
};

struct LoadedImage {
    Image image;
    ImageMetadata metadata;
};

// Decodes a file; the header's dimensions are checked against max_pixels before any pixel is.
// Throws Error(io) when the file cannot be read, Error(format) when it is malformed or cut short,
// Error(limit) when it is too large, Error(unsupported) for a format this build cannot read.
LoadedImage load_image(const std::string& path, const LoadOptions& options = {});
LoadedImage decode_image(const uint8_t* data, size_t size, const std::string& name, const LoadOptions& options = {});

// The pixels alone, oriented (tests, benchmarks, the trainer).
inline Image load_pixels(const std::string& path, uint64_t max_pixels = 0) {
    LoadOptions o;
    o.max_pixels = max_pixels;
    return load_image(path, o).image;
}

// Reads only the header: width and height (as shown, after orientation, when auto_orient),
// channels and sample type (data left NULL).
ImageDesc probe_image(const std::string& path, const LoadOptions& options = {});

struct SaveOptions {
    int quality = 0;                  // 1..100; 0 = the format's default
    bool lossless = false;            // WebP, JPEG XL, AVIF
    std::string chroma = "auto";      // JPEG, AVIF: auto | 420 | 444
    bool progressive = false;         // JPEG progressive, PNG interlaced
    std::string compression = "auto"; // TIFF: auto (deflate) | none | lzw | deflate
    bool strip = false;               // leave out EXIF, XMP and IPTC (the ICC profile stays)
};

// Refuses (before any work) an output the format named by `path`'s extension cannot hold:
// Error(limit) over its largest side, Error(invalid_argument) for alpha into JPEG or an unknown
// extension, Error(unsupported) for a format this build cannot write.
void check_output(const std::string& path, int32_t width, int32_t height, int32_t channels);

// Writes by extension, converting samples as the format needs; `metadata` (may be null) is
// embedded where the format holds it. Written to a temporary file in the same folder that is
// renamed over `path` only on success.
void save_image(const std::string& path, const ImageView& image, const ImageMetadata* metadata = nullptr,
                const SaveOptions& options = {});

}  // namespace upres::io
