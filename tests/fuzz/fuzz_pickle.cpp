// Fuzzes the restricted unpickler: any input either unpickles or throws upres::Error.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "formats/pickle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        size_t used = 0;
        const upres::formats::Pickle p = upres::formats::unpickle(data, size, "fuzz.pkl", &used);
        if (used > size || p.root >= p.values.size()) __builtin_trap();
    } catch (const upres::Error&) {
    }
    return 0;
}
