// Image files through stb_image / stb_image_write. A convenience layer beside the core: the core
// itself never touches files. Every error names the file and the problem.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/image.hpp"

namespace upres::io {

// Decodes PNG (8/16-bit -> u8/u16), JPEG, BMP, TGA, GIF (first frame), PSD, HDR (-> f32).
// The header's dimensions are checked against max_pixels (0 = process default) before decoding.
// Throws Error(io) when the file cannot be read, Error(format) when it is malformed,
// Error(limit) when it is too large.
Image load_image(const std::string& path, uint64_t max_pixels = 0);
Image decode_image(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels = 0);

// Reads only the header: width, height, channels and sample type (data left NULL).
ImageDesc probe_image(const std::string& path);

// Writes by extension (.png u8/u16, .jpg/.jpeg, .bmp, .tga, .hdr), converting samples as the format
// needs, to a temporary file in the same folder that is renamed over `path` only on success.
void save_image(const std::string& path, const ImageView& image, int jpeg_quality = 90);

}  // namespace upres::io
