// A restricted unpickler for PyTorch state dicts. It builds a plain value graph and never runs
// anything: the only globals it accepts are the handful a state dict refers to (OrderedDict, the
// tensor rebuild functions, the typed storage classes); any other global ("os.system",
// "builtins.eval", a model class) makes it refuse the whole file. Stack, memo, value count and
// string sizes are bounded by the input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace upres::formats {

struct PickleValue {
    enum class Kind : uint8_t {
        none, boolean, integer, big_integer, floating, string, bytes,
        tuple, list, dict,
        global,      // text = "module.name", one of the allowed globals
        call,        // REDUCE / NEWOBJ of a global: items = {callable, args}; state set by BUILD
        persistent,  // BINPERSID: items = {pid}
    };
    Kind kind = Kind::none;
    bool boolean = false;
    int64_t integer = 0;
    double floating = 0;
    std::string text;             // string, bytes, global name, big_integer (little-endian two's complement)
    std::vector<uint32_t> items;  // tuple/list elements; dict: key0, value0, key1, value1, ...
};

// Values live in one arena and refer to each other by index, so shared references (the memo)
// and even cycles need no ownership tricks. Anything walking the graph must bound its depth.
struct Pickle {
    std::vector<PickleValue> values;
    uint32_t root = 0;

    const PickleValue& at(uint32_t i) const { return values[i]; }
    const PickleValue& root_value() const { return values[root]; }
    // The value of a string key in a dict (the last one wins, as in Python), or nullptr.
    const PickleValue* dict_get(const PickleValue& dict, const std::string& key) const;
};

// Unpickles one pickle starting at data[0]; `consumed` receives the bytes up to and including
// STOP. Throws Error(model, "<name>: ...") on malformed input, unknown opcodes and globals that a
// state dict never needs.
Pickle unpickle(const uint8_t* data, size_t size, const std::string& name, size_t* consumed = nullptr);

// True when `module.name` is one of the globals unpickle() accepts.
bool pickle_global_allowed(const std::string& qualified_name);

}  // namespace upres::formats
