// Whole-image statistics for tiled runs. Some layers reduce over everything they are given
// (squeeze-and-excitation, channel attention, GroupNorm: channel means; transposed attention:
// q k^T and the norms of q and k summed over every token), so a tile alone gives them the tile's
// sums, not the image's, and no overlap hides it. The runner instead passes over the tiles more
// than once: in each pass every such layer adds its sums over the tile's own area (overlap left
// out) and uses the image-wide sums gathered in the pass before. The first layer's sums are the
// image's after one pass, the next layer's after two, and in practice all of them agree with the
// untiled run to float precision after two or three; docs/models.md, "Parts that see the whole
// image", has the figures. Memory stays bounded by the tile.
//
// A layer asks for channel_means (the common case) or, for any other sum over positions,
// image_sum / image_mean with a function that sums its terms over an area of its map.
#pragma once
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace upres::nn {

// Where a feature map's rows (or columns) lie on its tile: row i at input pixel origin + i * step
// (pixel centres at 0, 1, ...). Unset (step 0): the map spans the tile evenly, as after padded
// convolutions and strided downsampling; networks whose convolutions eat the borders say where.
struct MapGrid {
    double origin = 0, step = 0;
};

// Rows [top, bottom) and columns [left, right) of a feature map.
struct MapArea {
    int64_t top = 0, bottom = 0, left = 0, right = 0;
    int64_t positions() const { return (bottom - top) * (right - left); }
};

class ImageStatistics {
public:
    // Starts a tile of height x width input pixels whose own area (what the runner keeps of it) is
    // rows [top, bottom) and columns [left, right), in the tile's pixels.
    void begin_tile(int64_t height, int64_t width, int64_t top, int64_t bottom, int64_t left, int64_t right);

    // The positions of the current tile's h x w feature map that lie in its own area. Neighbouring
    // tiles sit on one lattice, so each position of the image falls in exactly one tile's.
    MapArea own_area(int64_t h, int64_t w, MapGrid grid = {}) const;

    // Sums a layer's terms over an area of its map: a tensor of any shape and floating dtype (the
    // same in every tile), zeros for an empty area.
    using SumOver = std::function<at::Tensor(const MapArea&)>;

    // The sum over the whole image at the next such layer, whose map on the current tile is h x w:
    // each tile adds sum_over(its own area), so every position of the image counts once. Returns,
    // in sum_over's dtype and device, the image's sum from the last pass once known, else the
    // tile's (sum_over of the whole map).
    at::Tensor image_sum(int64_t h, int64_t w, const SumOver& sum_over, MapGrid grid = {});
    // The same divided by the positions summed over: the image's mean.
    at::Tensor image_mean(int64_t h, int64_t w, const SumOver& sum_over, MapGrid grid = {});

    // Means over H and W of the current tile's [1, C, H, W] feature map at the next averaging layer,
    // as [1, C] of `dtype` on x's device (image_mean of the channel sums).
    at::Tensor channel_means(const at::Tensor& x, MapGrid grid = {}, at::ScalarType dtype = at::kFloat);

    // Ends a pass over every tile: the sums gathered become the ones used. Returns the largest
    // change of any sum, relative to that layer's largest (infinite after the first pass).
    double end_pass();

    size_t layers() const { return layers_.size(); }

private:
    at::Tensor gather(int64_t h, int64_t w, const SumOver& sum_over, MapGrid grid, bool mean);

    struct Layer {
        bool mean = false;
        at::Tensor sum;    // double on the CPU, over the tiles' own areas, this pass
        double count = 0;  // positions summed over
        at::Tensor used;   // double on the CPU: the image's sum (or mean) from the last pass
    };
    std::vector<Layer> layers_;
    size_t next_ = 0;                 // the next such layer in the current tile
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

// A layer's sum over its whole h x w map: the image's from `stats` when the runner tiles, else
// sum_over the map itself.
inline at::Tensor image_sum(int64_t h, int64_t w, const ImageStatistics::SumOver& sum_over, ImageStatistics* stats,
                            MapGrid grid = {}) {
    if (stats) return stats->image_sum(h, w, sum_over, grid);
    return sum_over(MapArea{0, h, 0, w});
}

}  // namespace upres::nn
