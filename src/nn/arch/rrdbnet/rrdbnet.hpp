// RRDBNet (ESRGAN, Real-ESRGAN): conv_first, residual-in-residual dense blocks, conv_body plus the
// long skip, nearest x2 + conv per upsampling step, conv_hr, conv_last; pixel-unshuffle variants
// for x2 and x1. Three key schemes in circulation are renamed to Real-ESRGAN's.
#pragma once
#include "nn/arch/family.hpp"

namespace upres::nn::arch::rrdbnet {

const Family& family();
formats::TensorMap canonical(formats::TensorMap tensors);
formats::TensorMap from_ncnn(const formats::ncnn::Graph& graph, std::map<std::string, std::string>& metadata);
std::unique_ptr<Network> build(const Model& model, const BuildSettings& settings);

// Hyperparameters, read from canonical keys (detect.cpp; the network reads them again).
struct Params {
    int feat = 0, grow = 0, blocks = 0, upsamples = 0, unshuffle = 1, in = 3, out = 3, scale = 4;
    bool plus = false;  // ESRGAN+: a 1x1 skip in every dense block (conv1x1)
};
Params params(const formats::TensorMap& tensors, const std::string& where);

}  // namespace upres::nn::arch::rrdbnet
