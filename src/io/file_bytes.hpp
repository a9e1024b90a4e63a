// Whole files in and out: bounded reads, and writes that land under the final name only when
// complete (a temporary file in the same folder, renamed over it).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace upres::io {

// Largest file read into memory (a decoded image is bounded by max_pixels separately).
constexpr uint64_t kMaxFileBytes = uint64_t(2) << 30;

[[noreturn]] void file_error(Status status, const std::string& name, const std::string& problem);

std::vector<uint8_t> read_file(const std::string& path);
void write_atomically(const std::string& path, const uint8_t* bytes, size_t size);

}  // namespace upres::io
