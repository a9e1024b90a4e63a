// Raw DEFLATE (RFC 1951) decoding into a buffer of known size, for the ZIP reader: some tools
// re-pack torch checkpoints with compression. zlib decodes; this wrapper holds it to the size the
// archive declares (bounded by the caller): it never writes past it and fails on anything else.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace upres::formats {

// Decodes `in` into exactly `out_size` bytes; throws Error(model, "<name>: ...") when the stream
// is malformed, ends early, or produces a different number of bytes. Input after the stream's
// final block is ignored.
std::vector<uint8_t> inflate_raw(const uint8_t* in, size_t in_size, size_t out_size, const std::string& name);

// The CRC-32 (ISO-HDLC, as used by ZIP) of a buffer.
uint32_t crc32_of(const uint8_t* data, size_t size);

}  // namespace upres::formats
