#include "nn/image_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace upres::nn {

void ImageStatistics::begin_tile(int64_t height, int64_t width, int64_t top, int64_t bottom, int64_t left,
                                 int64_t right) {
    // A network reduces at the same layers, in the same order, in every tile.
    if (tiles_ > 0 && next_ != layers_.size())
        fail(Status::internal, "a tile reduced at " + std::to_string(next_) + " layers, the first at " +
                                   std::to_string(layers_.size()));
    ++tiles_;
    next_ = 0;
    height_ = height, width_ = width, top_ = top, bottom_ = bottom, left_ = left, right_ = right;
}

MapArea ImageStatistics::own_area(int64_t h, int64_t w, MapGrid grid) const {
    // The map's positions that fall in the tile's own area: position p belongs to the tile whose
    // rows [top, bottom) hold it, i.e. top - 1/2 <= p < bottom - 1/2. Neighbouring tiles sit on one
    // lattice (tiles start on the family's tile multiple), so each position of the image counts once.
    auto span = [](MapGrid g, int64_t tile, int64_t n, int64_t lo, int64_t hi) {
        if (g.step <= 0) g.step = double(tile) / double(n), g.origin = (g.step - 1) / 2;
        auto first_at = [&](double edge) {
            return std::clamp<int64_t>(int64_t(std::ceil((edge - 0.5 - g.origin) / g.step - 1e-9)), 0, n);
        };
        const int64_t a = first_at(double(lo)), b = first_at(double(hi));
        return std::pair<int64_t, int64_t>{a, std::max(a, b)};
    };
    const auto [r0, r1] = span(grid, height_, h, top_, bottom_);
    const auto [c0, c1] = span(grid, width_, w, left_, right_);
    return MapArea{r0, r1, c0, c1};
}

at::Tensor ImageStatistics::gather(int64_t h, int64_t w, const SumOver& sum_over, MapGrid grid, bool mean) {
    const size_t k = next_++;
    if (k == layers_.size()) {
        if (!first_pass_ || tiles_ > 1) fail(Status::internal, "a tile reduced at more layers than the first tile did");
        layers_.emplace_back();
        layers_.back().mean = mean;
    }
    Layer& layer = layers_[k];
    if (layer.mean != mean) fail(Status::internal, "a layer asked for a mean where the first tile asked for a sum");
    const MapArea own = own_area(h, w, grid);
    const at::Tensor part = sum_over(own);
    const at::Tensor sum = part.to(at::kCPU, at::kDouble);
    if (!layer.sum.defined()) layer.sum = at::zeros_like(sum);
    if (!layer.sum.sizes().equals(sum.sizes())) fail(Status::internal, "a reducing layer changed its sum's shape between tiles");
    layer.sum.add_(sum);
    layer.count += double(own.positions());
    if (layer.used.defined()) return layer.used.to(part.device(), part.scalar_type());
    const MapArea whole{0, h, 0, w};
    const bool all = own.top == 0 && own.bottom == h && own.left == 0 && own.right == w;
    const at::Tensor tile = all ? part : sum_over(whole);
    return mean ? tile / double(std::max<int64_t>(1, whole.positions())) : tile;
}

at::Tensor ImageStatistics::image_sum(int64_t h, int64_t w, const SumOver& sum_over, MapGrid grid) {
    return gather(h, w, sum_over, grid, false);
}

at::Tensor ImageStatistics::image_mean(int64_t h, int64_t w, const SumOver& sum_over, MapGrid grid) {
    return gather(h, w, sum_over, grid, true);
}

at::Tensor ImageStatistics::channel_means(const at::Tensor& x, MapGrid grid, at::ScalarType dtype) {
    if (x.dim() != 4 || x.size(0) != 1) fail(Status::internal, "channel_means needs a [1, C, H, W] map");
    auto sums = [&](const MapArea& a) {
        return at::sum(x.slice(2, a.top, a.bottom).slice(3, a.left, a.right), {0, 2, 3}, false, at::kDouble).view({1, -1});
    };
    return image_mean(x.size(2), x.size(3), sums, grid).to(dtype);
}

double ImageStatistics::end_pass() {
    if (tiles_ > 0 && next_ != layers_.size())
        fail(Status::internal, "the last tile reduced at fewer layers than the first");
    double change = 0;
    for (Layer& layer : layers_) {
        if (layer.count <= 0) fail(Status::internal, "a reducing layer saw no pixel of the image");
        const at::Tensor value = layer.mean ? layer.sum / layer.count : layer.sum.clone();
        if (layer.used.defined()) {
            const double largest = value.abs().max().item<double>();
            const double diff = (value - layer.used).abs().max().item<double>();
            change = std::max(change, diff / std::max(largest, 1e-12));
        } else {
            change = std::numeric_limits<double>::infinity();
        }
        layer.used = value;
        layer.sum.zero_();
        layer.count = 0;
    }
    first_pass_ = false;
    tiles_ = 0;
    next_ = 0;
    return change;
}

}  // namespace upres::nn
