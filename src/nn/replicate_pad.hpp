// Edge replication by p pixels on each side of an [N, C, H, W] tensor, for SRCNN in the library and
// in the trainer. Built from slices, expand and cat rather than at::replication_pad2d, which
// libtorch 1.13 lacks for bf16 on the CPU, and whose backward adds atomically on CUDA (two training
// runs with the same seed drifted apart on an H200); the gradients here are ordered sums and copies.
#pragma once
#include <ATen/ATen.h>

namespace upres::nn {

inline at::Tensor replicate_pad(const at::Tensor& x, int64_t p) {
    const int64_t h = x.size(2), w = x.size(3), hp = h + 2 * p;
    const at::Tensor rows =
        at::cat({x.narrow(2, 0, 1).expand({-1, -1, p, w}), x, x.narrow(2, h - 1, 1).expand({-1, -1, p, w})}, 2);
    return at::cat({rows.narrow(3, 0, 1).expand({-1, -1, hp, p}), rows, rows.narrow(3, w - 1, 1).expand({-1, -1, hp, p})}, 3);
}

}  // namespace upres::nn
