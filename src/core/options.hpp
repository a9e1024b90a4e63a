// Named, typed options. The table of known options (option_table.cpp) is the single source of
// names, types, defaults and bounds for the library, the C ABI and the CLI.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace upres {

enum class OptionType : int32_t { integer = 1, real = 2, text = 3 };  // match UPRES_OPTION_*

struct OptionSpec {
    const char* name;
    OptionType type;
    double default_number;       // integer and real options
    const char* default_text;    // text options
    double min, max;             // numeric bounds (inclusive)
    const char* choices;         // text options: "a|b|c", or nullptr for free text
    const char* help;
};

const std::vector<OptionSpec>& option_table();
const OptionSpec* find_option(const std::string& name);

class Options {
public:
    using Value = std::variant<int64_t, double, std::string>;

    // Each setter validates the name, type, bounds and choices (throws Error invalid_argument).
    void set_int(const std::string& name, int64_t value);
    void set_double(const std::string& name, double value);
    void set_string(const std::string& name, const std::string& value);
    // Parses text by the option's type ("--tile 256" from the CLI).
    void set_from_text(const std::string& name, const std::string& text);

    // Return the value set or the default; the type must match (integers are readable as double).
    int64_t get_int(const std::string& name) const;
    double get_double(const std::string& name) const;
    std::string get_string(const std::string& name) const;
    bool get_bool(const std::string& name) const { return get_int(name) != 0; }
    bool is_set(const std::string& name) const { return values_.count(name) != 0; }

private:
    std::map<std::string, Value> values_;
};

}  // namespace upres
