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

// While alive, no single buffer stb allocates on this thread may exceed `bytes`; stb then fails as
// if out of memory and refused() says so. stb 2.27 inflates a PNG's data into a buffer it doubles
// until the data ends, before comparing with the image size: without a ceiling, a few kB of zlib
// stream can make it allocate up to 2 GiB for an 8 x 8 image.
class StbCeiling {
public:
    explicit StbCeiling(uint64_t bytes);
    ~StbCeiling();
    StbCeiling(const StbCeiling&) = delete;
    StbCeiling& operator=(const StbCeiling&) = delete;
    bool refused() const;
};

}  // namespace upres::io
