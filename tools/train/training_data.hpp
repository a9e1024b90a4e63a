// Training pairs for SRCNN: every image is degraded once (the library's pipeline, seeded per image),
// enlarged back to its size with MATLAB bicubic -- exactly what upres feeds SRCNN -- and kept as
// float planes (Y or RGB). Batches are random patches with one of the 8 flips/rotations, drawn from
// a generator seeded by (seed, step), so a resumed run draws the same batches as an unbroken one.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace upres_train {

struct PlanePair {
    int width = 0, height = 0;
    std::vector<float> input;   // channels x height x width, the enlarged LR
    std::vector<float> target;  // the same for the HR image
};

class TrainingData {
public:
    // Loads the images of `dir` (sorted by name, the first `max_images` when > 0). Images smaller
    // than a patch are skipped; throws upres::Error when none is usable.
    TrainingData(const std::string& dir, int max_images, int scale, const std::string& degradations,
                 int channels, int patch, uint64_t seed, int threads);

    size_t image_count() const { return pairs_.size(); }
    // [batch, channels, patch, patch] input and target on the CPU for optimiser step `step`.
    void batch(int64_t step, int batch_size, at::Tensor& input, at::Tensor& target) const;

private:
    std::vector<PlanePair> pairs_;
    std::vector<uint64_t> positions_;  // cumulative patch positions, so every position is equally likely
    int channels_, patch_;
    uint64_t seed_;
};

// Planes of an interleaved u8 image in the network's colour space: studio-range Y (gray g maps to
// (16 + 219 g) / 255 as upres does) or RGB (gray repeated); 0..1 scale.
std::vector<float> network_planes(const uint8_t* pixels, int width, int height, int image_channels, int channels);

}  // namespace upres_train
