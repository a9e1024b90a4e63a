// Whole-image statistics for tiled runs. Some layers average over everything they are given
// (squeeze-and-excitation, channel attention, GroupNorm), so a tile alone gives them the tile's
// means, not the image's, and no overlap hides it. The runner instead passes over the tiles more
// than once: in each pass every such layer adds its sums over the tile's own area (overlap left
// out) and uses the image-wide means gathered in the pass before. The first layer's means are the
// image's after one pass, the next layer's after two, and in practice all of them agree with the
// untiled run to float precision after two or three; docs/models.md, "Parts that see the whole
// image", has the figures. Memory stays bounded by the tile.
#pragma once
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace upres::nn {

// Where a feature map's rows (or columns) lie on its tile: row i at input pixel origin + i * step
// (pixel centres at 0, 1, ...). Unset (step 0): the map spans the tile evenly, as after padded
// convolutions and strided downsampling; networks whose convolutions eat the borders say where.
struct MapGrid {
    double origin = 0, step = 0;
};

class ImageStatistics {
public:
    // Starts a tile of height x width input pixels whose own area (what the runner keeps of it) is
    // rows [top, bottom) and columns [left, right), in the tile's pixels.
    void begin_tile(int64_t height, int64_t width, int64_t top, int64_t bottom, int64_t left, int64_t right);

    // Means over H and W of the current tile's [1, C, H, W] feature map at the next averaging layer,
    // as [1, C] of `dtype` on x's device: the image's (from the last pass) once known, else the tile's.
    // Each tile adds the map's positions in its own area, so every position of the image counts once.
    at::Tensor channel_means(const at::Tensor& x, MapGrid grid = {}, at::ScalarType dtype = at::kFloat);

    // Ends a pass over every tile: the means gathered become the ones used. Returns the largest
    // change of any mean, relative to that layer's largest mean (infinite after the first pass).
    double end_pass();

    size_t layers() const { return layers_.size(); }

private:
    struct Layer {
        std::vector<double> sum;  // over the tiles' own areas, this pass
        double count = 0;
        at::Tensor used;          // [1, C] double on the CPU: the image's means from the last pass
    };
    std::vector<Layer> layers_;
    size_t next_ = 0;                 // the next averaging layer in the current tile
    size_t tiles_ = 0;                // tiles begun in this pass
    bool first_pass_ = true;
    int64_t height_ = 0, width_ = 0, top_ = 0, bottom_ = 0, left_ = 0, right_ = 0;
};

// A layer's channel means: the image's from `stats` when the runner tiles, else its input's own.
inline at::Tensor channel_means(const at::Tensor& x, ImageStatistics* stats, MapGrid grid = {},
                                at::ScalarType dtype = at::kFloat) {
    if (stats) return stats->channel_means(x, grid, dtype);
    return at::mean(x, {2, 3}, false, dtype);
}

}  // namespace upres::nn
