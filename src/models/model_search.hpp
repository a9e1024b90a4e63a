// Where named models ("esrgan", "srcnn", ...) are looked for, and what each name means.
#pragma once
#include <string>
#include <vector>

#include "core/options.hpp"

namespace upres::models {

struct NamedModel {
    const char* method;  // "esrgan"
    const char* file;    // "realesrgan-x4plus.safetensors"
    const char* description;
};

const std::vector<NamedModel>& named_models();

// Folders searched, in order: the option "model_path" (':'-separated), $UPRES_MODEL_PATH, the
// build's models folder, the installed data folder, and the repository's models/ folder.
std::vector<std::string> search_path(const Options& options);

// The first existing file for `file` along the search path; throws Error(not_found) naming the
// folders searched and how to get the model.
std::string find_model(const NamedModel& model, const Options& options);

}  // namespace upres::models
