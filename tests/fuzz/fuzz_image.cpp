// Fuzzes image decoding: the structural checks of src/io/stb_guard.cpp, then stb_image 2.27 (as
// Debian ships it) on every format upres reads. A decoded image must have the size its header gave.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "io/image_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        // 4 Mpx: big enough for every header the fuzzer makes, small enough to stay fast.
        const upres::Image im = upres::io::decode_image(data, size, "fuzz.img", uint64_t(1) << 22);
        if (im.desc().width <= 0 || im.desc().height <= 0 || im.data() == nullptr) __builtin_trap();
    } catch (const upres::Error&) {
    }
    return 0;
}
