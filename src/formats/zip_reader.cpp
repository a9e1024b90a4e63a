#include "formats/zip_reader.hpp"

#include <algorithm>
#include <cstring>

#include "core/checked_math.hpp"
#include "core/error.hpp"
#include "formats/inflate.hpp"

namespace upres::formats {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30, kZip64EndSize = 56, kZip64LocatorSize = 20;
constexpr uint64_t kMaxEntries = 1u << 20;

uint64_t le(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

}  // namespace

ZipReader::ZipReader(const uint8_t* data, size_t size, std::string name) : data_(data), size_(size), name_(std::move(name)) {
    auto bad = [&](const std::string& what) { fail(Status::model, name_ + ": " + what); };
    if (size < kEndSize) bad("too short for a zip archive");
    // The end record sits in the last 22 + 65535 bytes (its comment is at most 64 KiB); search
    // backwards for one whose comment length reaches exactly to the end of the file.
    size_t end = SIZE_MAX;
    const size_t lowest = size - kEndSize > 0xFFFF ? size - kEndSize - 0xFFFF : 0;
    for (size_t p = size - kEndSize + 1; p-- > lowest;) {
        if (le(data + p, 4) == kEndSig && p + kEndSize + le(data + p + 20, 2) == size) {
            end = p;
            break;
        }
    }
    if (end == SIZE_MAX) bad("no zip end-of-central-directory record (truncated?)");
    uint64_t count = le(data + end + 10, 2), dir_size = le(data + end + 12, 4), dir_offset = le(data + end + 16, 4);
    if (le(data + end + 4, 2) != 0 || le(data + end + 6, 2) != 0) bad("multi-disk zip archives are not supported");
    if (count == 0xFFFF || dir_size == 0xFFFFFFFF || dir_offset == 0xFFFFFFFF) {
        // ZIP64: a locator just before the end record points at the 64-bit end record.
        if (end < kZip64LocatorSize || le(data + end - kZip64LocatorSize, 4) != kZip64LocatorSig)
            bad("zip64 sizes without a zip64 locator");
        const uint64_t rec = le(data + end - kZip64LocatorSize + 8, 8);
        if (rec > end - kZip64LocatorSize || end - kZip64LocatorSize - rec < kZip64EndSize ||
            le(data + rec, 4) != kZip64EndSig)
            bad("zip64 end record missing or out of range");
        count = le(data + rec + 32, 8);
        dir_size = le(data + rec + 40, 8);
        dir_offset = le(data + rec + 48, 8);
    }
    if (dir_offset > end || dir_size > end - dir_offset)
        bad("central directory [" + std::to_string(dir_offset) + ", +" + std::to_string(dir_size) +
            ") lies outside the archive");
    if (count > kMaxEntries || count > dir_size / kCentralSize)
        bad("central directory claims " + std::to_string(count) + " entries, more than it can hold");
    entries_.reserve(size_t(count));

    size_t p = size_t(dir_offset);
    const size_t dir_end = size_t(dir_offset + dir_size);
    for (uint64_t i = 0; i < count; ++i) {
        if (dir_end - p < kCentralSize || le(data + p, 4) != kCentralSig) bad("corrupt central directory entry");
        ZipEntry e;
        const uint16_t flags = uint16_t(le(data + p + 8, 2));
        e.method = uint16_t(le(data + p + 10, 2));
        e.crc32 = uint32_t(le(data + p + 16, 4));
        e.compressed_size = le(data + p + 20, 4);
        e.size = le(data + p + 24, 4);
        const size_t name_len = size_t(le(data + p + 28, 2)), extra_len = size_t(le(data + p + 30, 2)),
                     comment_len = size_t(le(data + p + 32, 2));
        uint64_t local = le(data + p + 42, 4);
        if (dir_end - p - kCentralSize < name_len + extra_len + comment_len) bad("central directory entry runs past its end");
        e.name.assign(reinterpret_cast<const char*>(data + p + kCentralSize), name_len);
        // ZIP64 extra field: 64-bit values for exactly those fields saturated at 0xFFFFFFFF.
        const uint8_t* extra = data + p + kCentralSize + name_len;
        for (size_t x = 0; x + 4 <= extra_len;) {
            const uint64_t id = le(extra + x, 2), len = le(extra + x + 2, 2);
            if (len > extra_len - x - 4) bad("entry '" + e.name + "': extra field runs past its end");
            if (id == 0x0001) {
                const uint8_t* f = extra + x + 4;
                size_t left = size_t(len);
                for (uint64_t* field : {&e.size, &e.compressed_size, &local}) {
                    if (*field != 0xFFFFFFFF) continue;
                    if (left < 8) bad("entry '" + e.name + "': short zip64 extra field");
                    *field = le(f, 8);
                    f += 8, left -= 8;
                }
            }
            x += 4 + size_t(len);
        }
        if (flags & 1) bad("entry '" + e.name + "' is encrypted");
        if (size_ < kLocalSize || local > size_ - kLocalSize || le(data + local, 4) != kLocalSig)
            bad("entry '" + e.name + "': local header missing or out of range");
        const uint64_t local_name = le(data + local + 26, 2), local_extra = le(data + local + 28, 2);
        e.data_offset = local + kLocalSize + local_name + local_extra;
        if (local_name != name_len || local_name > size_ - local - kLocalSize ||
            std::memcmp(data + local + kLocalSize, e.name.data(), name_len) != 0)
            bad("entry '" + e.name + "': local header names a different file");
        if (e.data_offset > size_ || e.compressed_size > size_ - e.data_offset)
            bad("entry '" + e.name + "': data [" + std::to_string(e.data_offset) + ", +" +
                std::to_string(e.compressed_size) + ") lies outside the archive");
        if (e.method == 0 && e.compressed_size != e.size)
            bad("entry '" + e.name + "': stored entry with different compressed and uncompressed sizes");
        entries_.push_back(std::move(e));
        p += kCentralSize + name_len + extra_len + comment_len;
    }
}

const ZipEntry* ZipReader::find(const std::string& entry_name) const {
    for (const ZipEntry& e : entries_)
        if (e.name == entry_name) return &e;
    return nullptr;
}

ZipBytes ZipReader::read(const ZipEntry& e, uint64_t max_inflated) const {
    const std::string where = name_ + ": entry '" + e.name + "'";
    ZipBytes out;
    const uint8_t* raw = data_ + e.data_offset;
    if (e.method == 0) {
        out.data = raw;
        out.size = size_t(e.size);
    } else if (e.method == 8) {
        // DEFLATE expands at most 1032:1; a larger claim is corrupt and must not drive an allocation.
        if (e.size > max_inflated || e.size / 1032 > e.compressed_size + 1)
            fail(Status::model, where + ": declared size " + std::to_string(e.size) + " is implausible");
        out.owned = inflate_raw(raw, size_t(e.compressed_size), to_size(e.size), where);
        out.data = out.owned.data();
        out.size = out.owned.size();
    } else {
        fail(Status::unsupported, where + ": compression method " + std::to_string(e.method) +
                                      " is not supported (only stored and deflated entries)");
    }
    if (crc32_of(out.data, out.size) != e.crc32) fail(Status::model, where + ": CRC-32 mismatch (corrupt file)");
    return out;
}

}  // namespace upres::formats
