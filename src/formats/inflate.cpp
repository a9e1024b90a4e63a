#include "formats/inflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <new>

#include "core/error.hpp"

namespace upres::formats {

namespace {

// zlib counts in uInt: feed both buffers in pieces it can describe.
constexpr size_t kChunk = UINT_MAX;

struct Inflater {
    z_stream z{};
    Inflater() {
        // -15: a raw DEFLATE stream (no zlib header or trailer), windows up to 32 KiB.
        const int rc = inflateInit2(&z, -15);
        if (rc == Z_MEM_ERROR) throw std::bad_alloc();
        if (rc != Z_OK) fail(Status::internal, std::string("zlib inflateInit2 failed: ") + (z.msg ? z.msg : "?"));
    }
    ~Inflater() { inflateEnd(&z); }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
};

}  // namespace

std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, size_t out_size, const std::string& name) {
    std::vector<uint8_t> out(out_size);
    uint8_t none = 0;  // zlib refuses a null output pointer even with no room
    uint8_t* const out_begin = out_size ? out.data() : &none;
    Inflater inf;
    z_stream& z = inf.z;
    z.next_in = const_cast<Bytef*>(data);  // zlib does not write through next_in
    z.avail_in = 0;
    z.next_out = out_begin;
    z.avail_out = 0;
    size_t in_left = size, out_left = out_size;  // bytes not yet handed to zlib
    for (;;) {
        if (z.avail_in == 0 && in_left) {
            z.avail_in = uInt(std::min(in_left, kChunk));
            in_left -= z.avail_in;
        }
        if (z.avail_out == 0 && out_left) {
            z.avail_out = uInt(std::min(out_left, kChunk));
            out_left -= z.avail_out;
        }
        // Each call either makes progress (consumes input or produces output, both finite) or
        // answers Z_BUF_ERROR, so the loop ends; zlib never writes past avail_out.
        const int rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) break;
        if (rc == Z_OK) continue;
        if (rc == Z_BUF_ERROR) {
            if (z.avail_in == 0 && in_left == 0) fail(Status::model, name + ": compressed data ends early");
            if (z.avail_out == 0 && out_left == 0)
                fail(Status::model, name + ": compressed data inflates past its declared size of " +
                                        std::to_string(out_size) + " bytes");
        }
        if (rc == Z_MEM_ERROR) throw std::bad_alloc();
        fail(Status::model, name + ": corrupt compressed data (" + (z.msg ? z.msg : "zlib error " + std::to_string(rc)) + ")");
    }
    const size_t produced = size_t(z.next_out - out_begin);
    if (produced != out_size)
        fail(Status::model, name + ": compressed data gives " + std::to_string(produced) + " bytes, expected " +
                                std::to_string(out_size));
    return out;
}

uint32_t crc32_of(const uint8_t* data, size_t size) {
    return uint32_t(crc32_z(crc32_z(0L, Z_NULL, 0), data, size));
}

}  // namespace upres::formats
