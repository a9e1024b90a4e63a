// A Resampler that runs a neural network (no libtorch type in this header).
#pragma once
#include <memory>
#include <string>

#include "core/resampler.hpp"
#include "nn/arch/family.hpp"

namespace upres::nn {

// `label` names the model in messages (its file). Throws Error(unsupported) for a device or
// precision this machine cannot run.
std::unique_ptr<Resampler> make_model_resampler(Model model, const Options& options, const std::string& label);

}  // namespace upres::nn
