#include "formats/json.hpp"

#include <nlohmann/json.hpp>

#include <limits>
#include <unordered_set>

#include "core/error.hpp"

namespace upres::formats {

const JsonValue* JsonValue::find(const std::string& key) const {
    for (const auto& kv : object)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

namespace {

using json = nlohmann::json;

// Builds a JsonValue tree from nlohmann's SAX events. A handler that returns false stops the
// parse; the reason is kept in `error`.
class TreeBuilder : public nlohmann::json_sax<json> {
public:
    JsonValue root;
    std::string error;
    size_t error_at = 0;

    bool null() override { return add(JsonValue{}); }
    bool boolean(bool v) override {
        JsonValue j;
        j.kind = JsonValue::Kind::boolean;
        j.boolean = v;
        return add(std::move(j));
    }
    bool number_integer(number_integer_t v) override {
        JsonValue j;
        j.kind = JsonValue::Kind::number;
        j.number = double(v);
        j.is_integer = true;
        j.integer = v;
        return add(std::move(j));
    }
    bool number_unsigned(number_unsigned_t v) override {
        JsonValue j;
        j.kind = JsonValue::Kind::number;
        j.number = double(v);
        // Above int64 an integer is not representable in JsonValue: a number, not an integer.
        if (v <= uint64_t(std::numeric_limits<int64_t>::max())) j.is_integer = true, j.integer = int64_t(v);
        return add(std::move(j));
    }
    bool number_float(number_float_t v, const string_t&) override {
        // nlohmann refuses non-finite values (overflow) before calling this. Integers too large for
        // 64 bits arrive here too, as inexact doubles: never is_integer.
        JsonValue j;
        j.kind = JsonValue::Kind::number;
        j.number = v;
        return add(std::move(j));
    }
    bool string(string_t& v) override {
        JsonValue j;
        j.kind = JsonValue::Kind::string;
        j.string = std::move(v);
        return add(std::move(j));
    }
    bool binary(binary_t&) override { return stop("binary value"); }  // never produced by JSON text
    bool start_object(std::size_t) override { return open(JsonValue::Kind::object); }
    bool key(string_t& k) override {
        Frame& f = stack_.back();
        if (!f.keys.insert(k).second) return stop("duplicate key '" + k + "'");
        f.key = std::move(k);
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(JsonValue::Kind::array); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
        // nlohmann's message starts "[json.exception.parse_error.101] parse error at line 1, ...".
        std::string what = e.what();
        const size_t bracket = what.find("] ");
        if (what.compare(0, 1, "[") == 0 && bracket != std::string::npos) what.erase(0, bracket + 2);
        error = what;
        error_at = position;
        return false;
    }

private:
    struct Frame {
        JsonValue value;
        std::string key;                       // an object's pending key
        std::unordered_set<std::string> keys;  // an object's keys so far
    };
    std::vector<Frame> stack_;

    bool stop(const std::string& why) {
        error = why;
        error_at = 0;
        return false;
    }
    bool open(JsonValue::Kind kind) {
        if (stack_.size() > size_t(kMaxJsonDepth)) return stop("nested too deeply");
        stack_.emplace_back();
        stack_.back().value.kind = kind;
        return true;
    }
    bool close() {
        JsonValue v = std::move(stack_.back().value);
        stack_.pop_back();
        return add(std::move(v));
    }
    bool add(JsonValue v) {
        if (stack_.empty()) {
            root = std::move(v);
            return true;
        }
        Frame& f = stack_.back();
        if (f.value.kind == JsonValue::Kind::array) f.value.array.push_back(std::move(v));
        else f.value.object.emplace_back(std::move(f.key), std::move(v));
        return true;
    }
};

}  // namespace

JsonValue parse_json(const std::string& text, const std::string& name) {
    TreeBuilder builder;
    bool ok = false;
    try {
        ok = json::sax_parse(text, &builder, json::input_format_t::json, /*strict=*/true, /*ignore_comments=*/false);
    } catch (const json::exception& e) {
        fail(Status::model, name + ": bad JSON header: " + e.what());
    }
    if (!ok) {
        std::string where = builder.error_at ? " at byte " + std::to_string(builder.error_at) : std::string();
        fail(Status::model, name + ": bad JSON header" + where + ": " +
                                (builder.error.empty() ? std::string("malformed") : builder.error));
    }
    return std::move(builder.root);
}

}  // namespace upres::formats
