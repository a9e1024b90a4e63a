// Fuzzes image decoding on every format upres reads: libvips' loaders (PNG, JPEG, WebP, TIFF,
// HEIF/AVIF, JPEG XL: orientation and colour conversion included) in builds with libvips, and the
// structural checks of src/io/stb_guard.cpp then stb_image 2.27 (as Debian ships it) for the rest.
// A decoded image must have a size and pixels.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "io/image_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        // 4 Mpx: big enough for every header the fuzzer makes, small enough to stay fast.
        upres::io::LoadOptions options;
        options.max_pixels = uint64_t(1) << 22;
        const upres::Image im = upres::io::decode_image(data, size, "fuzz.img", options).image;
        if (im.desc().width <= 0 || im.desc().height <= 0 || im.data() == nullptr) __builtin_trap();
    } catch (const upres::Error&) {
    }
    return 0;
}
