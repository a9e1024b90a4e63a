// Structural checks run on an image file's bytes before stb_image sees them. Debian 12 ships
// stb_image 2.27, whose decoders trust some header fields that a crafted file can set out of range;
// each check here refuses one such pattern (found by tests/fuzz/fuzz_image) with a format error
// instead of letting the decoder read or write out of bounds. They never reject a file that a
// conforming encoder writes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace upres::io {

// Throws Error(format) naming `name` and the problem when the bytes hold a pattern stb mishandles.
void check_before_stb(const uint8_t* data, size_t size, const std::string& name);

}  // namespace upres::io
