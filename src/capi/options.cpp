// Option bags: typed setters and getters over the table in core/option_table.cpp.
#include <cstring>

#include "capi/boundary.hpp"
#include "capi/handles.hpp"

using namespace upres;
using namespace upres::capi;

extern "C" {

UPRES_API int32_t upres_options_create(upres_options** out) {
    return UPRES_BOUNDARY({
        require(out, "out");
        *out = new upres_options();
    });
}

UPRES_API int32_t upres_options_clone(const upres_options* options, upres_options** out) {
    return UPRES_BOUNDARY({
        require(options, "options");
        require(out, "out");
        *out = new upres_options(*options);
    });
}

UPRES_API void upres_options_destroy(upres_options* options) { delete options; }

UPRES_API int32_t upres_options_set_int(upres_options* options, const char* name, int64_t value) {
    return UPRES_BOUNDARY({
        require(options, "options");
        require(name, "name");
        options->options.set_int(name, value);
    });
}

UPRES_API int32_t upres_options_set_double(upres_options* options, const char* name, double value) {
    return UPRES_BOUNDARY({
        require(options, "options");
        require(name, "name");
        options->options.set_double(name, value);
    });
}

UPRES_API int32_t upres_options_set_string(upres_options* options, const char* name, const char* value) {
    return UPRES_BOUNDARY({
        require(options, "options");
        require(name, "name");
        require(value, "value");
        options->options.set_string(name, value);
    });
}

UPRES_API int32_t upres_options_get_int(const upres_options* options, const char* name, int64_t* out) {
    return UPRES_BOUNDARY({
        require(options, "options");
        require(name, "name");
        require(out, "out");
        *out = options->options.get_int(name);
    });
}

UPRES_API int32_t upres_options_get_double(const upres_options* options, const char* name, double* out) {
    return UPRES_BOUNDARY({
        require(options, "options");
        require(name, "name");
        require(out, "out");
        *out = options->options.get_double(name);
    });
}

UPRES_API int32_t upres_options_get_string(const upres_options* options, const char* name, char* buffer,
                                           size_t capacity, size_t* out_length) {
    return UPRES_BOUNDARY({
        require(options, "options");
        require(name, "name");
        if (!buffer && capacity) fail(Status::invalid_argument, "buffer is NULL but capacity is not 0");
        const std::string v = options->options.get_string(name);
        if (capacity) {
            const size_t n = std::min(capacity - 1, v.size());
            std::memcpy(buffer, v.data(), n);
            buffer[n] = '\0';
        }
        if (out_length) *out_length = v.size();
    });
}

UPRES_API int32_t upres_option_count(int32_t* out_count) {
    return UPRES_BOUNDARY({
        require(out_count, "out_count");
        *out_count = int32_t(option_table().size());
    });
}

UPRES_API int32_t upres_option_describe(int32_t index, const char** out_name, int32_t* out_type, double* out_min,
                                        double* out_max, const char** out_help) {
    return UPRES_BOUNDARY({
        const auto& table = option_table();
        if (index < 0 || size_t(index) >= table.size())
            fail(Status::invalid_argument, "option index " + std::to_string(index) + " out of range");
        const OptionSpec& s = table[size_t(index)];
        if (out_name) *out_name = s.name;
        if (out_type) *out_type = int32_t(s.type);
        if (out_min) *out_min = s.min;
        if (out_max) *out_max = s.max;
        if (out_help) *out_help = s.help;
    });
}

}  // extern "C"
