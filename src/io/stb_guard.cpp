#include "io/stb_guard.hpp"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "io/header_bytes.hpp"

namespace upres::io {

namespace {

[[noreturn]] void refuse(const std::string& name, const std::string& problem) {
    fail(Status::format, name + ": " + problem);
}

// JPEG, two patterns (the file is walked marker by marker as stb walks it; progressive files define
// tables between scans):
// - stb 2.27 builds each Huffman table into 256-entry arrays without checking that the 16 code
//   counts sum to at most 256, so a DHT segment declaring more symbols writes past them;
// - a scan may name a Huffman table no DHT segment defined; stb then decodes with uninitialised
//   memory as the table and indexes far outside it. JPEG requires every table a scan uses to be
//   defined before it (stb has no default tables).
void check_jpeg(const uint8_t* d, size_t n, size_t i, const std::string& name) {
    bool defined[2][4] = {};  // [DC = 0 / AC = 1][table id]
    bool progressive = false;
    while (i + 1 < n) {
        if (d[i] != 0xFF) {  // entropy-coded data of a scan: skip to the next real marker
            ++i;
            continue;
        }
        const uint8_t m = d[i + 1];
        if (m == 0xFF) {  // fill byte
            ++i;
            continue;
        }
        if (m == 0x00 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 || m == 0xD8) {  // stuffing, RSTn, TEM, SOI
            i += 2;
            continue;
        }
        if (m == 0xD9) return;  // EOI
        if (i + 4 > n) return;  // truncated: stb reports it
        const size_t len = size_t(d[i + 2]) << 8 | d[i + 3];
        if (len < 2) return;    // stb refuses it
        if (m == 0xC4) {
            // As stb reads it: tables one after another while the segment has bytes left, each read
            // whole even where it runs past the segment's end (stb notices only afterwards), and
            // bytes past the end of the file read as 0.
            auto at = [d, n](size_t k) { return k < n ? d[k] : uint8_t(0); };
            size_t p = i + 4;
            for (int64_t left = int64_t(len) - 2; left > 0;) {
                const uint8_t table = at(p);
                if (table >> 4 <= 1 && (table & 15) <= 3) defined[table >> 4][table & 15] = true;
                size_t symbols = 0;
                for (size_t k = 1; k <= 16; ++k) symbols += at(p + k);
                if (symbols > 256)
                    refuse(name, "JPEG Huffman table declares " + std::to_string(symbols) + " codes (at most 256)");
                p += 17 + symbols;
                left -= int64_t(17 + symbols);
            }
        }
        if (m == 0xC0 || m == 0xC1 || m == 0xC2) progressive = m == 0xC2;
        if (m == 0xDA && i + 5 < n) {
            // Components (id, DC << 4 | AC table), then Ss, Se, Ah << 4 | Al. Baseline scans decode with
            // both tables; progressive first DC scans with the DC table, AC scans with the AC table,
            // DC refinement scans with none.
            const size_t count = d[i + 4], after = i + 5 + 2 * count;
            if (after + 3 > n) return;
            const bool dc_scan = d[after] == 0, first = d[after + 2] >> 4 == 0;
            for (size_t c = 0; c < count; ++c) {
                const int dc = d[i + 6 + 2 * c] >> 4, ac = d[i + 6 + 2 * c] & 15;
                if (dc > 3 || ac > 3) return;  // stb refuses it
                const bool needs_dc = !progressive || (dc_scan && first), needs_ac = !progressive || !dc_scan;
                if ((needs_dc && !defined[0][dc]) || (needs_ac && !defined[1][ac]))
                    refuse(name, "JPEG scan uses a Huffman table that was never defined");
            }
        }
        i += 2 + len;
    }
}

// Radiance HDR, two patterns:
// - stb 2.27 decodes a run-length scanline with a loop that only moves on when a count is non-zero,
//   and reads bytes past the end of the file as 0, so a zero count or a truncated scanline makes it
//   loop forever. The scanlines are walked here as stb walks them; each step eats at least one
//   byte of the file, so the walk ends.
// - flat (not run-length) pixels cut short by the end of the file: stb leaves the missing pixels'
//   bytes unread, and where it enters its flat loop by a goto past the pixel's declaration, they are
//   whatever was on the stack.
void check_hdr(const uint8_t* d, size_t n, const std::string& name) {
    size_t pos = 0;
    char token[1024];
    auto line = [&] {  // what stb's token reader gives: the rest of the line, at most 1023 bytes,
        size_t len = 0;   // used as a C string (up to its first NUL byte)
        while (pos < n && d[pos] != '\n') {
            if (len < sizeof token - 1) token[len++] = char(d[pos]);
            ++pos;
        }
        ++pos;
        token[len] = '\0';
        return token;
    };
    bool rle_format = false;
    for (const char* t = line(); t[0] != '\0'; t = line()) rle_format |= std::strcmp(t, "FORMAT=32-bit_rle_rgbe") == 0;
    if (!rle_format || pos >= n) return;  // stb refuses it
    const char* res = line();
    if (std::strncmp(res, "-Y ", 3) != 0) return;
    char* end = nullptr;
    const long height = std::strtol(res + 3, &end, 10);
    while (*end == ' ') ++end;
    if (std::strncmp(end, "+X ", 3) != 0) return;
    const long width = std::strtol(end + 3, nullptr, 10);
    if (width <= 0 || height <= 0 || width > (1L << 24) || height > (1L << 24)) return;  // stb refuses it
    // From `from`, stb reads every pixel of the image as 4 flat bytes.
    auto flat_from = [&](size_t from) {
        if (from > n || uint64_t(n - from) < uint64_t(width) * uint64_t(height) * 4)
            refuse(name, "Radiance HDR pixel data cut short by the end of the file");
    };
    if (width < 8 || width >= 32768) return flat_from(pos);
    auto next = [&] { return pos < n ? d[pos++] : (++pos, uint8_t(0)); };
    for (long y = 0; y < height; ++y) {
        const size_t scanline = pos;
        const uint8_t c1 = next(), c2 = next(), hi = next();
        if (c1 != 2 || c2 != 2 || (hi & 0x80)) return flat_from(scanline);  // stb starts over, flat
        if ((long(hi) << 8 | next()) != width) return;   // stb refuses it
        for (int channel = 0; channel < 4; ++channel)
            for (long x = 0; x < width;) {
                long count = next();
                if (count > 128) {
                    next();
                    count -= 128;
                } else if (count == 0) {
                    refuse(name, pos > n ? "Radiance HDR scanline cut short by the end of the file"
                                         : "Radiance HDR scanline has a run of length 0");
                } else {
                    pos += size_t(count);
                }
                if (count > width - x) return;  // stb refuses it
                x += count;
            }
    }
}

// PNG, two patterns:
// - stb 2.27 grows its compressed-data buffer to an IDAT chunk's declared length before reading the
//   chunk, so a 100-byte file declaring a 1 GiB chunk allocates 1 GiB. Every chunk's data must be
//   in the file (its CRC may be cut off at the very end, which stb tolerates).
// - for an unknown critical chunk stb writes the error message into one static buffer, a data race
//   when two threads decode at once; such files are refused here with the same verdict.
void check_png(const uint8_t* d, size_t n, const std::string& name) {
    for (size_t pos = 8; pos + 8 <= n;) {
        const uint64_t length = be32(d + pos);
        const uint8_t* type = d + pos + 4;
        auto printable = [type] {
            std::string t(reinterpret_cast<const char*>(type), 4);
            for (char& ch : t)
                if (!std::isalpha(static_cast<unsigned char>(ch))) ch = '?';
            return t;
        };
        if (length > n - pos - 8)
            refuse(name, "PNG chunk '" + printable() + "' declares " + std::to_string(length) + " bytes, past the end of the file");
        auto is = [type](const char* t) { return std::memcmp(type, t, 4) == 0; };
        const bool critical = (type[0] & 0x20) == 0;
        if (critical && !is("IHDR") && !is("PLTE") && !is("IDAT") && !is("IEND") && !is("CgBI"))
            refuse(name, "PNG critical chunk '" + printable() + "' is not known");
        if (is("IEND")) return;
        pos += 12 + length;
    }
}

}  // namespace

void check_before_stb(const uint8_t* data, size_t size, const std::string& name) {
    // stb takes a JPEG as any number of 0xFF bytes, then the SOI marker 0xD8.
    size_t soi = 0;
    while (soi < size && data[soi] == 0xFF) ++soi;
    if (soi > 0 && soi < size && data[soi] == 0xD8) check_jpeg(data, size, soi + 1, name);
    if (size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) check_png(data, size, name);
    if ((size >= 11 && std::memcmp(data, "#?RADIANCE\n", 11) == 0) || (size >= 7 && std::memcmp(data, "#?RGBE\n", 7) == 0))
        check_hdr(data, size, name);
}

namespace {
thread_local uint64_t t_ceiling = 0;  // 0: none
thread_local bool t_refused = false;
}  // namespace

StbCeiling::StbCeiling(uint64_t bytes) {
    t_ceiling = bytes;
    t_refused = false;
}
StbCeiling::~StbCeiling() { t_ceiling = 0; }
bool StbCeiling::refused() const { return t_refused; }

}  // namespace upres::io

// stb_image's allocator (stb_impl.c): every byte zeroed, every buffer under this thread's ceiling.
namespace {
bool over_ceiling(size_t size) {
    if (upres::io::t_ceiling == 0 || size <= upres::io::t_ceiling) return false;
    upres::io::t_refused = true;
    return true;
}
}  // namespace

extern "C" void* io_stb_malloc(size_t size) { return over_ceiling(size) ? nullptr : std::calloc(1, size); }

// stb grows buffers only through its "sized" realloc, which says how large the block was.
extern "C" void* io_stb_realloc(void* pointer, size_t old_size, size_t size) {
    if (over_ceiling(size)) return nullptr;
    auto* grown = static_cast<uint8_t*>(std::realloc(pointer, size));
    if (grown && size > old_size) std::memset(grown + old_size, 0, size - old_size);
    return grown;
}
