// libFuzzer target for the ncnn reader and the architecture families' graph matchers: the input is
// the .param text, a NUL byte, then the .bin bytes (a .param never contains NUL, so the split loses
// nothing). Any outcome but a clean parse and detection or an upres::Error is a bug.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/error.hpp"
#include "formats/ncnn.hpp"
#include "nn/arch/family.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const void* nul = std::memchr(data, 0, size);
    const size_t param_size = nul ? size_t(static_cast<const uint8_t*>(nul) - data) : size;
    const uint8_t* bin = nul ? data + param_size + 1 : data + size;
    const size_t bin_size = nul ? size - param_size - 1 : 0;
    try {
        upres::nn::detect(upres::formats::read_ncnn(data, param_size, bin, bin_size, "fuzz.param"), "fuzz.param");
    } catch (const upres::Error&) {
    }
    return 0;
}
