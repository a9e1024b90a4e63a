// A bounded reader for ZIP archives held in memory (torch.save's zip format): end-of-central-
// directory search, the central directory, local headers and ZIP64 extra fields. Every offset
// and size is checked against the buffer before use; entries are stored (torch writes them that
// way) or deflated (some tools re-pack checkpoints), anything else is refused.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace upres::formats {

struct ZipEntry {
    std::string name;
    uint16_t method = 0;  // 0 stored, 8 deflated
    uint32_t crc32 = 0;
    uint64_t compressed_size = 0;
    uint64_t size = 0;         // uncompressed
    uint64_t data_offset = 0;  // where the entry's (compressed) bytes start in the archive
};

// An entry's contents: a view into the archive for stored entries, an owned buffer for inflated
// ones. Valid while the archive's bytes live.
struct ZipBytes {
    const uint8_t* data = nullptr;
    size_t size = 0;
    std::vector<uint8_t> owned;
};

class ZipReader {
public:
    // Parses the directory; throws Error(model, "<name>: ...") on anything malformed.
    ZipReader(const uint8_t* data, size_t size, std::string name);

    const std::vector<ZipEntry>& entries() const { return entries_; }
    const ZipEntry* find(const std::string& entry_name) const;
    // The entry's bytes after checking its CRC-32. Deflated entries are refused above
    // `max_inflated` bytes.
    ZipBytes read(const ZipEntry& entry, uint64_t max_inflated = uint64_t(4) << 30) const;

private:
    const uint8_t* data_;
    size_t size_;
    std::string name_;
    std::vector<ZipEntry> entries_;
};

}  // namespace upres::formats
