#include "formats/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/checked_math.hpp"
#include "core/error.hpp"
#include "formats/json.hpp"

namespace upres::formats {

namespace {

constexpr uint64_t kMaxHeader = 100u << 20;  // 100 MB of JSON is far beyond any real model
constexpr size_t kMaxRank = 8;

bool parse_dtype(const std::string& s, DType& out) {
    static const std::pair<const char*, DType> table[] = {
        {"F32", DType::f32}, {"F16", DType::f16}, {"BF16", DType::bf16}, {"F64", DType::f64},
        {"I64", DType::i64}, {"I32", DType::i32}, {"I16", DType::i16},   {"I8", DType::i8},
        {"U8", DType::u8},   {"BOOL", DType::boolean}};
    for (const auto& [n, t] : table)
        if (s == n) return out = t, true;
    return false;
}

}  // namespace

ModelFile read_safetensors(const uint8_t* data, size_t size, const std::string& name) {
    auto bad = [&](const std::string& what) { fail(Status::model, name + ": " + what); };
    if (size < 8) bad("too short for a safetensors file");
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = header_len << 8 | data[i];
    if (header_len > kMaxHeader) bad("header length " + std::to_string(header_len) + " is implausible");
    if (header_len > size - 8) bad("header length " + std::to_string(header_len) + " runs past the end of the file");
    const std::string header(reinterpret_cast<const char*>(data + 8), size_t(header_len));
    const JsonValue root = parse_json(header, name);
    if (root.kind != JsonValue::Kind::object) bad("the header is not a JSON object");
    const uint64_t data_start = 8 + header_len, data_size = size - data_start;

    ModelFile out;
    out.format = "safetensors";
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& [key, v] : root.object) {
        if (key == "__metadata__") {
            if (v.kind != JsonValue::Kind::object) bad("__metadata__ is not an object");
            for (const auto& [mk, mv] : v.object) {
                if (mv.kind != JsonValue::Kind::string) bad("metadata '" + mk + "' is not a string");
                out.metadata[mk] = mv.string;
            }
            continue;
        }
        const std::string where = "tensor '" + key + "'";
        if (v.kind != JsonValue::Kind::object) bad(where + " is not an object");
        const JsonValue* dtype = v.find("dtype");
        const JsonValue* shape = v.find("shape");
        const JsonValue* offsets = v.find("data_offsets");
        if (!dtype || dtype->kind != JsonValue::Kind::string) bad(where + ": missing dtype");
        if (!shape || shape->kind != JsonValue::Kind::array) bad(where + ": missing shape");
        if (!offsets || offsets->kind != JsonValue::Kind::array || offsets->array.size() != 2)
            bad(where + ": data_offsets must be [begin, end]");
        Tensor t;
        if (!parse_dtype(dtype->string, t.dtype)) bad(where + ": unknown dtype '" + dtype->string + "'");
        if (shape->array.size() > kMaxRank) bad(where + ": rank above " + std::to_string(kMaxRank));
        uint64_t numel = 1;
        for (const JsonValue& d : shape->array) {
            if (d.kind != JsonValue::Kind::number || !d.is_integer || d.integer < 0) bad(where + ": bad dimension");
            t.shape.push_back(d.integer);
            if (__builtin_mul_overflow(numel, uint64_t(d.integer), &numel)) bad(where + ": shape overflows 64 bits");
        }
        uint64_t range[2];
        for (int i = 0; i < 2; ++i) {
            const JsonValue& o = offsets->array[size_t(i)];
            if (o.kind != JsonValue::Kind::number || !o.is_integer || o.integer < 0) bad(where + ": bad data offset");
            range[i] = uint64_t(o.integer);
        }
        if (range[1] < range[0] || range[1] > data_size)
            bad(where + ": data [" + std::to_string(range[0]) + ", " + std::to_string(range[1]) +
                ") lies outside the " + std::to_string(data_size) + " data bytes");
        uint64_t bytes = 0;
        if (__builtin_mul_overflow(numel, uint64_t(dtype_bytes(t.dtype)), &bytes)) bad(where + ": size overflows 64 bits");
        if (bytes != range[1] - range[0])
            bad(where + ": " + std::to_string(range[1] - range[0]) + " bytes stored but dtype x shape needs " +
                std::to_string(bytes));
        ranges.emplace_back(range[0], range[1]);
        t.data.assign(data + data_start + range[0], data + data_start + range[1]);
        out.tensors.emplace(key, std::move(t));
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].first < ranges[i - 1].second) bad("two tensors' data ranges overlap");
    return out;
}

namespace {
std::string json_escape(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') out += '\\', out += char(c);
        else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else out += char(c);
    }
    return out;
}
}  // namespace

std::string encode_safetensors(const TensorMap& tensors, const std::map<std::string, std::string>& metadata) {
    std::string header = "{";
    if (!metadata.empty()) {
        header += "\"__metadata__\":{";
        bool first = true;
        for (const auto& [k, v] : metadata) {
            header += (first ? "" : ",") + std::string("\"") + json_escape(k) + "\":\"" + json_escape(v) + "\"";
            first = false;
        }
        header += "}";
    }
    uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        if (header.size() > 1) header += ",";
        header += "\"" + json_escape(name) + "\":{\"dtype\":\"" + dtype_name(t.dtype) + "\",\"shape\":[";
        for (size_t i = 0; i < t.shape.size(); ++i) header += (i ? "," : "") + std::to_string(t.shape[i]);
        header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + t.data.size()) + "]}";
        offset += t.data.size();
    }
    header += "}";
    while ((8 + header.size()) % 8) header += ' ';  // keep the data 8-byte aligned
    std::string out(8, '\0');
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xFF);
    out += header;
    for (const auto& [name, t] : tensors) out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size());
    return out;
}

}  // namespace upres::formats
