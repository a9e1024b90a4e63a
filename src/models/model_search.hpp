// The named models ("esrgan", "srcnn", ...): the one table of what each name means, which files it
// is, and where upres looks for them.
#pragma once
#include <string>
#include <vector>

#include "core/options.hpp"

namespace upres::models {

// One file of a named model; `scale` is the scale it was trained for (a name with several files
// runs the one closest to the scale asked for).
struct ModelFileName {
    int scale;
    const char* file;  // "realesrgan-x4plus.safetensors"
};

struct NamedModel {
    const char* method;  // "esrgan"
    const char* description;
    std::vector<ModelFileName> files;
    const char* how_to_get;  // said when no file is found: "run scripts/fetch-models.sh"
};

const std::vector<NamedModel>& named_models();
const NamedModel* find_named_model(const std::string& method);

// Folders searched, in order: the option "model_path" (':'-separated), $UPRES_MODEL_PATH, the
// build's models folder, the installed data folder, and the repository's models/ folder.
std::vector<std::string> search_path(const Options& options);

// The first existing file for `file` along the search path; throws Error(not_found) naming the
// model, the folders searched and how to get it.
std::string find_model(const NamedModel& model, const ModelFileName& file, const Options& options);

}  // namespace upres::models
