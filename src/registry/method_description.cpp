// One line per method for `upres methods` and upres_method_describe: what it is, and for named
// models which file the search path found (or where upres looked and how to get it). Works
// without libtorch: model files are only read and their architecture detected.
#include <cstdio>
#include <sys/stat.h>

#include "core/error.hpp"
#include "formats/model_file.hpp"
#include "models/model_search.hpp"
#include "nn/detect.hpp"
#include "nn/nn.hpp"
#include "registry/registry.hpp"

namespace upres {

namespace {

std::string megabytes(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return "?";
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", double(st.st_size) / 1e6);
    return text;
}

std::string describe_model_file(const std::string& path) {
    const nn::Architecture a = nn::detect(formats::read_model_file(path), path);
    std::string s = (a.scale ? "model, x" + std::to_string(a.scale) : std::string("model, any scale")) + ": " +
                    a.describe() + ", " + megabytes(path) + ", " + path;
    if (!nn::available()) s += " (this build has no libtorch to run it)";
    return s;
}

}  // namespace

std::string describe_method(const std::string& method, const Options& options) {
    for (const auto& m : models::named_models())
        if (method == m.method) return describe_model_file(models::find_model(m, options));
    if (method == "model") {
        const std::string path = options.get_string("model");
        return path.empty() ? "model: a model file given by the option 'model'" : describe_model_file(path);
    }
    for (const auto& m : methods())
        if (m.name == method) return m.kind + ", any scale: " + m.description;
    fail(Status::not_found, "unknown method '" + method + "'");
}

}  // namespace upres
