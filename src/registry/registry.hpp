// Creates resamplers by name: the classical filters, the named models and model files.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/resampler.hpp"

namespace upres {

// Every method this build knows (models listed even when their weights are missing).
const std::vector<MethodInfo>& methods();

// Throws Error(not_found) for an unknown name, Error(unsupported) for models in a build without
// libtorch, Error(model) for a bad model file.
std::unique_ptr<Resampler> create_resampler(const std::string& method, const Options& options);

// One line about a method: classical filters their description; named models their scale,
// architecture, parameter count, size and the file found on the model search path. Throws
// Error(not_found) for a missing model, saying where upres looked and how to get it.
std::string describe_method(const std::string& method, const Options& options);

// Runs a resampler on any pair of validated views: converts sample types when they differ.
void run_resampler(const Resampler& r, const ImageView& src, const ImageView& dst, RunContext& run);

}  // namespace upres
