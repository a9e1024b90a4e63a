#include "formats/json.hpp"

#include <cmath>
#include <cstdlib>

#include "core/error.hpp"

namespace upres::formats {

const JsonValue* JsonValue::find(const std::string& key) const {
    for (const auto& kv : object)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

namespace {

class Parser {
public:
    Parser(const std::string& t, const std::string& name) : t_(t), name_(name) {}

    JsonValue document() {
        JsonValue v = value(0);
        skip_space();
        if (pos_ != t_.size()) error("text after the JSON value");
        return v;
    }

private:
    [[noreturn]] void error(const std::string& what) {
        fail(Status::model, name_ + ": bad JSON header at byte " + std::to_string(pos_) + ": " + what);
    }
    void skip_space() {
        while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r')) ++pos_;
    }
    bool eat(char c) {
        skip_space();
        if (pos_ < t_.size() && t_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) error(std::string("expected '") + c + "'");
    }
    bool literal(const char* word) {
        const std::string w(word);
        if (t_.compare(pos_, w.size(), w) == 0) {
            pos_ += w.size();
            return true;
        }
        return false;
    }

    JsonValue value(int depth) {
        if (depth > 64) error("nested too deeply");
        skip_space();
        if (pos_ >= t_.size()) error("unexpected end");
        JsonValue v;
        const char c = t_[pos_];
        if (c == '{') {
            ++pos_;
            v.kind = JsonValue::Kind::object;
            if (eat('}')) return v;
            do {
                skip_space();
                std::string key = string_literal();
                if (v.find(key)) error("duplicate key '" + key + "'");
                expect(':');
                v.object.emplace_back(std::move(key), value(depth + 1));
            } while (eat(','));
            expect('}');
        } else if (c == '[') {
            ++pos_;
            v.kind = JsonValue::Kind::array;
            if (eat(']')) return v;
            do v.array.push_back(value(depth + 1));
            while (eat(','));
            expect(']');
        } else if (c == '"') {
            v.kind = JsonValue::Kind::string;
            v.string = string_literal();
        } else if (literal("true")) {
            v.kind = JsonValue::Kind::boolean;
            v.boolean = true;
        } else if (literal("false")) {
            v.kind = JsonValue::Kind::boolean;
        } else if (literal("null")) {
            v.kind = JsonValue::Kind::null;
        } else {
            number(v);
        }
        return v;
    }

    void number(JsonValue& v) {
        const size_t start = pos_;
        if (pos_ < t_.size() && t_[pos_] == '-') ++pos_;
        bool digits = false, integral = true;
        while (pos_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[pos_]))) ++pos_, digits = true;
        if (pos_ < t_.size() && t_[pos_] == '.') {
            integral = false;
            ++pos_;
            while (pos_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[pos_]))) ++pos_;
        }
        if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
            integral = false;
            ++pos_;
            if (pos_ < t_.size() && (t_[pos_] == '+' || t_[pos_] == '-')) ++pos_;
            while (pos_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[pos_]))) ++pos_;
        }
        if (!digits) error("not a JSON value");
        const std::string text = t_.substr(start, pos_ - start);
        v.kind = JsonValue::Kind::number;
        v.number = std::strtod(text.c_str(), nullptr);
        if (!std::isfinite(v.number)) error("number out of range");
        if (integral && text.size() <= 18) {
            v.is_integer = true;
            v.integer = std::strtoll(text.c_str(), nullptr, 10);
        }
    }

    std::string string_literal() {
        if (pos_ >= t_.size() || t_[pos_] != '"') error("expected a string");
        ++pos_;
        std::string out;
        while (true) {
            if (pos_ >= t_.size()) error("unterminated string");
            const char c = t_[pos_++];
            if (c == '"') break;
            if (static_cast<unsigned char>(c) < 0x20) error("control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= t_.size()) error("unterminated escape");
            const char e = t_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    if (pos_ + 4 > t_.size()) error("short \\u escape");
                    const std::string hex = t_.substr(pos_, 4);
                    char* end = nullptr;
                    const long cp = std::strtol(hex.c_str(), &end, 16);
                    if (*end) error("bad \\u escape");
                    pos_ += 4;
                    // Encode as UTF-8 (surrogate pairs are kept as two code points; names are ASCII).
                    if (cp < 0x80) out += char(cp);
                    else if (cp < 0x800) out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));
                    else out += char(0xE0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
                    break;
                }
                default: error("bad escape");
            }
        }
        return out;
    }

    const std::string& t_;
    const std::string& name_;
    size_t pos_ = 0;
};

}  // namespace

JsonValue parse_json(const std::string& text, const std::string& name) { return Parser(text, name).document(); }

}  // namespace upres::formats
