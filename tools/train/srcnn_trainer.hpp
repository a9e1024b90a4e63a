// SRCNN's three convolutions as trainable tensors, the forward pass with the padding recorded in the
// model (the same computation as src/nn/networks.cpp), MSE loss and Adam (written out, so that its
// state is plain tensors a resume file can hold).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>

#include "train_options.hpp"

namespace upres_train {

// Parameter names in the PyTorch OIHW scheme src/nn/detect.cpp recognises as SRCNN.
extern const char* const kParameterNames[6];

class SrcnnTrainer {
public:
    // Fresh weights: He-normal for the first two layers, N(0, 0.001) for the last (the paper's), zero
    // biases, from upres's own seeded generator.
    SrcnnTrainer(const TrainOptions& o, const at::Device& device);

    // One Adam step on a batch (CPU tensors); returns the batch's MSE loss.
    double step(const at::Tensor& input, const at::Tensor& target);
    int64_t steps_done() const { return steps_; }

    // Weights and optimiser state as CPU f32 tensors: "conv1.weight", ... and "adam.m.<name>",
    // "adam.v.<name>".
    std::map<std::string, at::Tensor> weights() const;
    std::map<std::string, at::Tensor> state() const;
    // Restores state() output (shapes checked by the caller) and the step count.
    void restore(const std::map<std::string, at::Tensor>& state, int64_t steps);

private:
    // Pixels on each side of the output that padding reaches (sum of the kernels' half-widths).
    int64_t receptive_radius() const;
    // padded: same-size output with the model's padding, as upres runs it; otherwise valid
    // convolutions, the output smaller by receptive_radius() on each side.
    at::Tensor forward(const at::Tensor& x, bool padded) const;

    TrainOptions o_;
    at::Device device_;
    std::map<std::string, at::Tensor> params_, m_, v_;
    int64_t steps_ = 0;
};

}  // namespace upres_train
