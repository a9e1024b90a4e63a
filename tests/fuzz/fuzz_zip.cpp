// Fuzzes the ZIP reader: the directory parse and every entry's read (inflate included).
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "formats/zip_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const upres::formats::ZipReader zip(data, size, "fuzz.zip");
        for (const upres::formats::ZipEntry& e : zip.entries()) {
            try {
                const upres::formats::ZipBytes b = zip.read(e, uint64_t(64) << 20);
                if (b.size != e.size) __builtin_trap();
            } catch (const upres::Error&) {
            }
        }
    } catch (const upres::Error&) {
    }
    return 0;
}
