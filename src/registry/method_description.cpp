// One line per method for `upres methods` and upres_method_describe: what it is, and for named
// models which file the search path found (or where upres looked and how to get it). Works
// without libtorch: model files are only read and their architecture detected.
#include <cstdio>
#include <sys/stat.h>

#include "core/error.hpp"
#include "formats/model_file.hpp"
#include "models/model_search.hpp"
#include "nn/arch/family.hpp"
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
    const nn::Model m = nn::detect(formats::read_model_file(path), path);
    std::string s = (m.desc.scale ? "model, x" + std::to_string(m.desc.scale) : std::string("model, any scale")) + ": " +
                    m.describe() + ", " + megabytes(path) + ", " + path;
    if (!nn::available()) s += " (this build has no libtorch to run it)";
    return s;
}

}  // namespace

std::string describe_method(const std::string& method, const Options& options) {
    if (const models::NamedModel* m = models::find_named_model(method)) {
        std::string text;
        for (const auto& f : m->files) {
            std::string line;
            try {
                line = describe_model_file(models::find_model(*m, f, options));
            } catch (const Error& e) {
                if (e.status() != Status::not_found || m->files.size() == 1) throw;
                line = e.what();
            }
            text += (text.empty() ? "" : "; ") + line;
        }
        return text;
    }
    if (method == "model") {
        const std::string path = options.get_string("model");
        return path.empty() ? "model: a model file given by the option 'model'" : describe_model_file(path);
    }
    for (const auto& m : methods())
        if (m.name == method) return m.kind + ", any scale: " + m.description;
    fail(Status::not_found, "unknown method '" + method + "'");
}

}  // namespace upres
