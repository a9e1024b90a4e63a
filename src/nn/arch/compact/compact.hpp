// SRVGGNetCompact (Real-ESRGAN's compact models: x4fast, animevideov3): conv + PReLU pairs, a last
// conv to channels x scale^2, pixel shuffle, plus the nearest-upsampled input.
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::compact {

const Family& family();
formats::TensorMap from_ncnn(const formats::ncnn::Graph& graph, std::map<std::string, std::string>& metadata);
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

}  // namespace upres::nn::arch::compact
