#include "nn/image_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace upres::nn {

void ImageStatistics::begin_tile(int64_t height, int64_t width, int64_t top, int64_t bottom, int64_t left,
                                 int64_t right) {
    // A network averages at the same layers, in the same order, in every tile.
    if (tiles_ > 0 && next_ != layers_.size())
        fail(Status::internal, "a tile averaged at " + std::to_string(next_) + " layers, the first at " +
                                   std::to_string(layers_.size()));
    ++tiles_;
    next_ = 0;
    height_ = height, width_ = width, top_ = top, bottom_ = bottom, left_ = left, right_ = right;
}

at::Tensor ImageStatistics::channel_means(const at::Tensor& x, MapGrid grid, at::ScalarType dtype) {
    if (x.dim() != 4 || x.size(0) != 1) fail(Status::internal, "channel_means needs a [1, C, H, W] map");
    const size_t k = next_++;
    if (k == layers_.size()) {
        if (!first_pass_ || tiles_ > 1)
            fail(Status::internal, "a tile averaged at more layers than the first tile did");
        layers_.emplace_back();
    }
    Layer& layer = layers_[k];
    const int64_t c = x.size(1), h = x.size(2), w = x.size(3);
    if (!layer.sum.empty() && int64_t(layer.sum.size()) != c)
        fail(Status::internal, "an averaging layer changed its width between tiles");
    layer.sum.resize(size_t(c), 0.0);
    // The map's positions that fall in the tile's own area: position p belongs to the tile whose
    // rows [top, bottom) hold it, i.e. top - 1/2 <= p < bottom - 1/2. Neighbouring tiles sit on one
    // lattice (tiles start on the size multiple), so each position of the image counts once.
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
    if (r1 > r0 && c1 > c0) {
        const at::Tensor sums =
            at::sum(x.slice(2, r0, r1).slice(3, c0, c1), {0, 2, 3}, false, at::kDouble).to(at::kCPU).contiguous();
        const double* s = sums.data_ptr<double>();
        for (int64_t i = 0; i < c; ++i) layer.sum[size_t(i)] += s[i];
        layer.count += double(r1 - r0) * double(c1 - c0);
    }
    if (layer.used.defined()) return layer.used.to(x.device(), dtype);
    return at::mean(x, {2, 3}, false, dtype);
}

double ImageStatistics::end_pass() {
    if (tiles_ > 0 && next_ != layers_.size())
        fail(Status::internal, "the last tile averaged at fewer layers than the first");
    double change = 0;
    for (Layer& layer : layers_) {
        if (layer.count <= 0) fail(Status::internal, "an averaging layer saw no pixel of the image");
        at::Tensor means = at::empty({1, int64_t(layer.sum.size())}, at::kDouble);
        double* m = means.data_ptr<double>();
        double largest = 0, diff = 0;
        for (size_t i = 0; i < layer.sum.size(); ++i) {
            m[i] = layer.sum[i] / layer.count;
            largest = std::max(largest, std::abs(m[i]));
            if (layer.used.defined()) diff = std::max(diff, std::abs(m[i] - layer.used.data_ptr<double>()[i]));
        }
        change = std::max(change, layer.used.defined() ? diff / std::max(largest, 1e-12)
                                                       : std::numeric_limits<double>::infinity());
        layer.used = means;
        std::fill(layer.sum.begin(), layer.sum.end(), 0.0);
        layer.count = 0;
    }
    first_pass_ = false;
    tiles_ = 0;
    next_ = 0;
    return change;
}

}  // namespace upres::nn
