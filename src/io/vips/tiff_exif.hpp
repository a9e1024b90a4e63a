// EXIF into a TIFF file libvips wrote (libvips 8.14 writes none): the camera tags of IFD0, an EXIF
// IFD (pixel dimensions set to width x height) and a GPS IFD, through libexif and libtiff. Only in
// builds with both (UPRES_TIFF_EXIF).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace upres::io {

// `tiff` with the EXIF block `exif` (from its TIFF header on) added; unchanged when libexif finds
// nothing in the block. Throws Error(io) naming `path` when libtiff cannot rewrite the file.
std::vector<uint8_t> tiff_with_exif(const std::string& path, std::vector<uint8_t> tiff, const std::string& exif,
                                    int32_t width, int32_t height);

}  // namespace upres::io
