// A small strict JSON parser for file headers (safetensors). Depth- and size-limited: a header
// comes from an untrusted file.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace upres::formats {

struct JsonValue {
    enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
    bool boolean = false;
    double number = 0;
    bool is_integer = false;
    int64_t integer = 0;
    std::string string;
    std::vector<JsonValue> array;
    std::vector<std::pair<std::string, JsonValue>> object;  // in file order; duplicate keys refused

    const JsonValue* find(const std::string& key) const;
};

// Throws Error(model, "<name>: ...") on malformed text, nesting deeper than 64 or duplicate keys.
JsonValue parse_json(const std::string& text, const std::string& name);

}  // namespace upres::formats
