// TorchScript archives: a program, not only weights, so never detected from keys. A file whose
// format is "torchscript" becomes this family; it runs only with the caller's consent (option
// torchscript=1, checked by the runner), and its scale is found by a trial run.
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::torchscript {

const Family& family();
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

}  // namespace upres::nn::arch::torchscript
