// Entry points of the classical family (nearest, bilinear, bicubic, Lanczos, ...).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/resampler.hpp"

namespace upres::classical {

const std::vector<MethodInfo>& methods();
// nullptr when `name` is not a classical method.
std::unique_ptr<Resampler> create(const std::string& name, const Options& options);

}  // namespace upres::classical
