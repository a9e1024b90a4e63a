// The libvips codecs (vips_codec.cpp): PNG (libspng), JPEG (libjpeg-turbo), WebP, TIFF, HEIF and
// AVIF (libheif), JPEG XL (libjxl), with colour profiles through lcms2 and EXIF through libexif.
// Only in builds with libvips (UPRES_WITH_VIPS).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/formats.hpp"
#include "io/image_file.hpp"

namespace upres::io {

// Header facts: the size as shown (after orientation when options.auto_orient), checked against
// max_pixels; no pixel decoded.
ImageDesc vips_probe(const uint8_t* data, size_t size, const std::string& name, const FileFormat& format,
                     const LoadOptions& options);
LoadedImage vips_decode(const uint8_t* data, size_t size, const std::string& name, const FileFormat& format,
                        const LoadOptions& options);
std::vector<uint8_t> vips_encode(const std::string& path, const FileFormat& format, const ImageView& image,
                                 const ImageMetadata* metadata, const SaveOptions& options);

}  // namespace upres::io
