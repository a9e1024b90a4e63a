// Fuzzes the safetensors reader (and its JSON parser), then architecture detection on what it read
// (every family's key predicates and shape checks see hostile shapes).
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "formats/safetensors.hpp"
#include "nn/arch/family.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        upres::formats::ModelFile f = upres::formats::read_safetensors(data, size, "fuzz.safetensors");
        for (const auto& [name, t] : f.tensors)
            if (t.data.size() != size_t(t.numel()) * upres::formats::dtype_bytes(t.dtype)) __builtin_trap();
        upres::nn::detect(std::move(f), "fuzz.safetensors");
    } catch (const upres::Error&) {
    }
    return 0;
}
