// Overflow-checked size arithmetic: every byte count derived from untrusted dimensions goes
// through these, so an absurd size becomes an error instead of a short allocation.
#pragma once
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace upres {

inline uint64_t checked_mul(uint64_t a, uint64_t b, const char* what = "size") {
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) fail(Status::limit, std::string(what) + " overflows 64 bits");
    return r;
}

inline uint64_t checked_add(uint64_t a, uint64_t b, const char* what = "size") {
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) fail(Status::limit, std::string(what) + " overflows 64 bits");
    return r;
}

// Converts to size_t, failing where size_t is narrower than the value (32-bit targets).
inline size_t to_size(uint64_t v, const char* what = "size") {
    if (v > std::numeric_limits<size_t>::max()) fail(Status::limit, std::string(what) + " does not fit in memory");
    return static_cast<size_t>(v);
}

}  // namespace upres
