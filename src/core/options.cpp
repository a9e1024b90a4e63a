#include "core/options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"

namespace upres {

const OptionSpec* find_option(const std::string& name) {
    for (const OptionSpec& s : option_table())
        if (name == s.name) return &s;
    return nullptr;
}

namespace {

const OptionSpec& spec_or_fail(const std::string& name) {
    const OptionSpec* s = find_option(name);
    if (!s) fail(Status::invalid_argument, "unknown option '" + name + "'");
    return *s;
}

void check_bounds(const OptionSpec& s, double v) {
    if (!(v >= s.min && v <= s.max))  // also rejects NaN
        fail(Status::invalid_argument, "option '" + std::string(s.name) + "' must be in [" +
                                           std::to_string(s.min) + ", " + std::to_string(s.max) + "]");
}

bool in_choices(const char* choices, const std::string& v) {
    const char* p = choices;
    while (*p) {
        const char* bar = std::strchr(p, '|');
        size_t len = bar ? size_t(bar - p) : std::strlen(p);
        if (v.size() == len && v.compare(0, len, p, len) == 0) return true;
        if (!bar) break;
        p = bar + 1;
    }
    return false;
}

}  // namespace

void Options::set_int(const std::string& name, int64_t value) {
    const OptionSpec& s = spec_or_fail(name);
    if (s.type == OptionType::real) return set_double(name, double(value));
    if (s.type != OptionType::integer) fail(Status::invalid_argument, "option '" + name + "' is not an integer");
    check_bounds(s, double(value));
    values_[name] = value;
}

void Options::set_double(const std::string& name, double value) {
    const OptionSpec& s = spec_or_fail(name);
    if (s.type != OptionType::real) fail(Status::invalid_argument, "option '" + name + "' is not a real number");
    check_bounds(s, value);
    values_[name] = value;
}

void Options::set_string(const std::string& name, const std::string& value) {
    const OptionSpec& s = spec_or_fail(name);
    if (s.type != OptionType::text) fail(Status::invalid_argument, "option '" + name + "' is not a string");
    if (s.choices && !in_choices(s.choices, value))
        fail(Status::invalid_argument,
             "option '" + name + "' must be one of " + s.choices + ", got '" + value + "'");
    values_[name] = value;
}

void Options::set_from_text(const std::string& name, const std::string& text) {
    const OptionSpec& s = spec_or_fail(name);
    if (s.type == OptionType::text) return set_string(name, text);
    errno = 0;
    char* end = nullptr;
    if (s.type == OptionType::integer) {
        long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end || errno)
            fail(Status::invalid_argument, "option '" + name + "' needs an integer, got '" + text + "'");
        return set_int(name, v);
    }
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end || errno)
        fail(Status::invalid_argument, "option '" + name + "' needs a number, got '" + text + "'");
    set_double(name, v);
}

int64_t Options::get_int(const std::string& name) const {
    const OptionSpec& s = spec_or_fail(name);
    if (s.type != OptionType::integer) fail(Status::invalid_argument, "option '" + name + "' is not an integer");
    auto it = values_.find(name);
    return it == values_.end() ? int64_t(s.default_number) : std::get<int64_t>(it->second);
}

double Options::get_double(const std::string& name) const {
    const OptionSpec& s = spec_or_fail(name);
    if (s.type == OptionType::text) fail(Status::invalid_argument, "option '" + name + "' is not a number");
    auto it = values_.find(name);
    if (it == values_.end()) return s.default_number;
    if (auto* i = std::get_if<int64_t>(&it->second)) return double(*i);
    return std::get<double>(it->second);
}

std::string Options::get_string(const std::string& name) const {
    const OptionSpec& s = spec_or_fail(name);
    if (s.type != OptionType::text) fail(Status::invalid_argument, "option '" + name + "' is not a string");
    auto it = values_.find(name);
    return it == values_.end() ? std::string(s.default_text) : std::get<std::string>(it->second);
}

}  // namespace upres
