// JSON for file headers (safetensors), parsed by nlohmann-json into a plain tree. Stricter than
// nlohmann's own parse: a header comes from an untrusted file, so nesting is limited and duplicate
// keys are refused (nlohmann keeps the last one silently). The caller bounds the text's size.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace upres::formats {

struct JsonValue {
    enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
    bool boolean = false;
    double number = 0;
    bool is_integer = false;  // written without fraction or exponent, and within int64: `integer` is exact
    int64_t integer = 0;
    std::string string;
    std::vector<JsonValue> array;
    std::vector<std::pair<std::string, JsonValue>> object;  // in file order; duplicate keys refused

    const JsonValue* find(const std::string& key) const;
};

constexpr int kMaxJsonDepth = 64;  // containers inside containers, below the top-level value

// Throws Error(model, "<name>: ...") on malformed text, nesting deeper than kMaxJsonDepth or
// duplicate keys; no other exception (std::bad_alloc aside) leaves it.
JsonValue parse_json(const std::string& text, const std::string& name);

}  // namespace upres::formats
