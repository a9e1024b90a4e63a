// Integers read from an image file's bytes, for the header checks done before stb decodes
// (image_file.cpp's declared sizes, stb_guard.cpp's structure walks). Callers bound the offsets.
#pragma once
#include <cstdint>

namespace upres::io {

inline uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
inline uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
inline int32_t le32s(const uint8_t* p) {
    return int32_t(uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
}

}  // namespace upres::io
