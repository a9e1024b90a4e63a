// Fuzzes whole-file model loading as the library does it: content sniffing, then the zip or
// legacy .pth reader (or safetensors), state-dict unwrapping and tensor building.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "formats/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const upres::formats::ModelFile f = upres::formats::read_model_memory(data, size, "fuzz.pth");
        for (const auto& [name, t] : f.tensors)
            if (t.data.size() != size_t(t.numel()) * upres::formats::dtype_bytes(t.dtype)) __builtin_trap();
    } catch (const upres::Error&) {
    }
    return 0;
}
