// Checks on a state dict's keys and shapes that every family's detection uses (no libtorch).
// Every failure is Error(model, "<file>: <family>: ...") naming the tensor.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "formats/tensor_map.hpp"

namespace upres::nn::arch {

// Hyperparameter bounds: far above every published model, low enough that no feature map of a
// checked model can need more than a few GB per megapixel.
constexpr int64_t kMaxChannels = 2048;
constexpr int64_t kMaxBlocks = 1024;
constexpr int64_t kMaxKernel = 63;

// Names the file and family in every message.
struct Keys {
    const formats::TensorMap& t;
    std::string where;  // "<file>: <Family>"

    [[noreturn]] void fail(const std::string& what) const;
    bool has(const std::string& key) const { return t.count(key) != 0; }
    // The tensor, which must exist with this rank.
    const formats::Tensor& need(const std::string& key, size_t rank) const;
    // The tensor, which must have this shape (-1: any extent).
    const formats::Tensor& shape(const std::string& key, const std::vector<int64_t>& expected) const;
    // The number of consecutive indices i = 0, 1, ... for which prefix + i + suffix exists.
    int count(const std::string& prefix, const std::string& suffix) const;
    // A hyperparameter read from a shape, checked against [lo, hi].
    int bounded(int64_t value, int64_t lo, int64_t hi, const std::string& what) const;
};

// '#' matches one or more digits, '*' any run of characters, everything else itself.
bool key_matches(const std::string& pattern, const std::string& key);

// True when some key of the map matches the pattern.
bool any_key(const formats::TensorMap& t, const std::string& pattern);

}  // namespace upres::nn::arch
