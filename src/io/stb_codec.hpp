// The stb_image / stb_image_write codecs (stb_codec.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/image.hpp"
#include "io/formats.hpp"

namespace upres::io {

// Header facts (size checked against max_pixels, 0 = the process default), no pixels decoded.
ImageDesc stb_probe(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels);
Image stb_decode(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels);
// The encoded file (png u8/u16, jpeg, bmp, tga, hdr), samples converted as the format needs.
std::vector<uint8_t> stb_encode(const std::string& path, const FileFormat& format, const ImageView& image, int quality);

}  // namespace upres::io
