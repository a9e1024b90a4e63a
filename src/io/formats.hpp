// The table of image file formats: what each holds and which codec reads and writes it in this
// build. Adding a format is a row here and its calls in the codec that handles it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace upres::io {

enum class Codec { none, stb, vips };

struct FileFormat {
    const char* name;        // "jpeg"
    const char* extensions;  // "jpg jpeg jpe jfif": space-separated, the usual one first
    int64_t max_side;        // largest width or height the format holds (0: none below upres's own)
    bool alpha;              // holds an alpha channel
    bool deep;               // holds more than 8 bits a sample (16-bit or float)
    Codec reads, writes;     // in this build (Codec::none: cannot)
};

const std::vector<FileFormat>& file_formats();

// The format `path`'s extension names (case-insensitive), or null.
const FileFormat* format_of_path(const std::string& path);
// The format the leading bytes identify, or null (TGA has no signature: stb tries it last).
const FileFormat* format_of_bytes(const uint8_t* data, size_t size);
const FileFormat* format_named(const std::string& name);

// The dimensions a PNG, GIF, BMP or JPEG header declares, read before any codec sees the file, so
// that an absurd size is refused as over the limit (codecs call it corrupt, or allocate first).
// False when the bytes are none of those or the header is cut short.
bool declared_size(const uint8_t* data, size_t size, int64_t& width, int64_t& height);

// "png, jpg, webp, ...": the usual extension of every format this build writes.
std::string writable_extensions();

const char* codec_name(Codec c);

}  // namespace upres::io
