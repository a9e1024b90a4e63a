#include "nn/arch/keys.hpp"

#include <cctype>

#include "core/error.hpp"

namespace upres::nn::arch {

void Keys::fail(const std::string& what) const { upres::fail(Status::model, where + ": " + what); }

const formats::Tensor& Keys::need(const std::string& key, size_t rank) const {
    auto it = t.find(key);
    if (it == t.end()) fail("missing tensor '" + key + "'");
    if (it->second.shape.size() != rank)
        fail("tensor '" + key + "' has rank " + std::to_string(it->second.shape.size()) + ", expected " + std::to_string(rank));
    return it->second;
}

namespace {
std::string dims(const std::vector<int64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + (s[i] < 0 ? std::string("*") : std::to_string(s[i]));
    return out + "]";
}
}  // namespace

const formats::Tensor& Keys::shape(const std::string& key, const std::vector<int64_t>& expected) const {
    const formats::Tensor& x = need(key, expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
        if (expected[i] >= 0 && x.shape[i] != expected[i])
            fail("tensor '" + key + "' has shape " + dims(x.shape) + ", expected " + dims(expected));
    return x;
}

int Keys::count(const std::string& prefix, const std::string& suffix) const {
    int n = 0;
    while (n < 100000 && has(prefix + std::to_string(n) + suffix)) ++n;
    return n;
}

int Keys::bounded(int64_t value, int64_t lo, int64_t hi, const std::string& what) const {
    if (value < lo || value > hi)
        fail(what + " is " + std::to_string(value) + ", outside " + std::to_string(lo) + ".." + std::to_string(hi));
    return int(value);
}

bool key_matches(const std::string& pattern, const std::string& key) {
    // Backtracking over '*' only; '#' is greedy over digits (keys never need it to give some back).
    size_t p = 0, k = 0, star_p = std::string::npos, star_k = 0;
    while (k < key.size()) {
        if (p < pattern.size() && pattern[p] == '#' && std::isdigit(static_cast<unsigned char>(key[k]))) {
            while (k < key.size() && std::isdigit(static_cast<unsigned char>(key[k]))) ++k;
            ++p;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star_p = p++;
            star_k = k;
        } else if (p < pattern.size() && pattern[p] != '#' && pattern[p] == key[k]) {
            ++p;
            ++k;
        } else if (star_p != std::string::npos) {
            p = star_p + 1;
            k = ++star_k;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool any_key(const formats::TensorMap& t, const std::string& pattern) {
    for (const auto& kv : t)
        if (key_matches(pattern, kv.first)) return true;
    return false;
}

}  // namespace upres::nn::arch
