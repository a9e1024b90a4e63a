#include "classical/coefficients.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "core/error.hpp"

namespace upres::classical {

namespace {

int32_t resolve(int64_t j, int32_t n, EdgeMode edge) {
    if (j >= 0 && j < n) return int32_t(j);
    switch (edge) {
        case EdgeMode::clamp: return j < 0 ? 0 : n - 1;
        case EdgeMode::reflect: {
            // Symmetric (half-sample) reflection, as MATLAB's 'symmetric': -1 -> 0, n -> n-1.
            const int64_t period = 2 * int64_t(n);
            int64_t m = j % period;
            if (m < 0) m += period;
            return int32_t(m < n ? m : period - 1 - m);
        }
        case EdgeMode::truncate: return -1;  // dropped by the caller
        case EdgeMode::wrap: {
            int64_t m = j % n;
            if (m < 0) m += n;
            return int32_t(m);
        }
    }
    return 0;
}

// See AxisPlan::pairs. Skipped when a window cannot fit the source or padding would blow up the
// table (wrap edges can make windows span the whole source).
void build_pair_layout(AxisPlan& p) {
    const int32_t pairs = (p.max_count + 1) / 2;
    const int64_t outputs = (int64_t(p.out_size) + 1) / 2 * 2;
    if (2 * int64_t(pairs) > p.in_size || outputs * 2 * pairs > 2 * int64_t(p.weights_q.size()) + 16 * outputs) return;
    p.pairs = pairs;
    p.pair_first.assign(size_t(outputs), 0);
    p.pair_weights.assign(size_t(outputs) * size_t(pairs) * 8, 0);
    for (int32_t i = 0; i < p.out_size; ++i) {
        const int32_t first = std::min(p.first[size_t(i)], p.in_size - 2 * pairs);
        const int32_t shift = p.first[size_t(i)] - first;
        p.pair_first[size_t(i)] = first;
        for (int32_t k = 0; k < p.count[size_t(i)]; ++k) {
            const int32_t t = shift + k;
            const size_t base = (size_t(i / 2) * size_t(pairs) + size_t(t / 2)) * 16 + size_t(i % 2) * 8 + size_t(t % 2);
            for (size_t slot = 0; slot < 4; ++slot) p.pair_weights[base + 2 * slot] = p.weights_q[size_t(p.offset[size_t(i)] + k)];
        }
    }
}

// See AxisPlan::gray_groups (needs the pair layout).
void build_gray_layout(AxisPlan& p) {
    if (p.pairs == 0) return;
    const int32_t groups = (2 * p.pairs + 7) / 8;
    const int32_t outputs = (p.out_size + 3) / 4 * 4;
    p.gray_groups = groups;
    p.gray_outputs = outputs;
    p.gray_weights.assign(size_t(groups) * size_t(outputs) * 8, 0);
    for (int32_t i = 0; i < p.out_size; ++i) {
        const int32_t shift = p.first[size_t(i)] - p.pair_first[size_t(i)];
        for (int32_t k = 0; k < p.count[size_t(i)]; ++k) {
            const int32_t t = shift + k;
            p.gray_weights[(size_t(t / 8) * size_t(outputs) + size_t(i)) * 8 + size_t(t % 8)] = p.weights_q[size_t(p.offset[size_t(i)] + k)];
        }
    }
}

// See AxisPlan::float_taps. Skipped, like the pair layout, when padding would blow up the table.
void build_float_layout(AxisPlan& p) {
    const int32_t taps = p.max_count;  // <= in_size: windows hold resolved indices only
    const int64_t outputs = (int64_t(p.out_size) + 3) / 4 * 4;
    if (outputs * taps > 2 * int64_t(p.weights.size()) + 16 * outputs) return;
    p.float_taps = taps;
    p.float_first.assign(size_t(outputs), 0);
    p.float_weights.assign(size_t(outputs) * size_t(taps) * 4, 0.0f);
    for (int32_t i = 0; i < p.out_size; ++i) {
        const int32_t first = std::min(p.first[size_t(i)], p.in_size - taps);
        const int32_t shift = p.first[size_t(i)] - first;
        p.float_first[size_t(i)] = first;
        for (int32_t k = 0; k < p.count[size_t(i)]; ++k) {
            const size_t base = (size_t(i / 4) * size_t(taps) + size_t(shift + k)) * 16 + size_t(i % 4) * 4;
            for (size_t slot = 0; slot < 4; ++slot) p.float_weights[base + slot] = p.weights_f[size_t(p.offset[size_t(i)] + k)];
        }
    }
    // Share identical blocks (compared bit for bit), keeping first occurrences in order.
    const size_t block = size_t(taps) * 16, groups = size_t(outputs / 4);
    std::unordered_map<std::string, int32_t> seen;
    p.float_block.assign(groups, 0);
    size_t unique = 0;
    for (size_t g = 0; g < groups; ++g) {
        const float* b = p.float_weights.data() + g * block;
        std::string key(reinterpret_cast<const char*>(b), block * sizeof(float));
        auto [it, added] = seen.emplace(std::move(key), int32_t(unique));
        if (added) {
            if (unique != g) std::copy(b, b + block, p.float_weights.data() + unique * block);
            ++unique;
        }
        p.float_block[g] = it->second;
    }
    p.float_weights.resize(unique * block);
    p.float_weights.shrink_to_fit();
}

}  // namespace

AxisPlan build_axis(const Kernel& kernel, const AxisRequest& r) {
    if (r.in_size <= 0 || r.out_size <= 0) fail(Status::invalid_argument, "resample: empty axis");
    if (!(r.crop_length > 0) || !std::isfinite(r.crop_start))
        fail(Status::invalid_argument, "resample: empty crop box");
    AxisPlan plan;
    plan.in_size = r.in_size;
    plan.out_size = r.out_size;
    const double step = r.crop_length / r.out_size;  // source pixels per output pixel
    const bool nearest = kernel.kind == KernelKind::nearest;
    const double filter_scale = (r.antialias && step > 1.0 && !nearest) ? step : 1.0;
    const double support = kernel.support * filter_scale;
    plan.first.resize(size_t(r.out_size));
    plan.count.resize(size_t(r.out_size));
    plan.offset.resize(size_t(r.out_size));

    std::vector<double> dense;  // weights over the resolved window, per output
    for (int32_t i = 0; i < r.out_size; ++i) {
        const double centre = r.crop_start + (i + 0.5) * step;  // in continuous coordinates
        std::vector<std::pair<int32_t, double>> taps;
        if (nearest) {
            // Pixel-centre exact: the source pixel whose area contains the centre.
            const int64_t j = int64_t(std::floor(centre));
            taps.emplace_back(resolve(j, r.in_size, r.edge == EdgeMode::truncate ? EdgeMode::clamp : r.edge), 1.0);
        } else {
            const int64_t lo = int64_t(std::floor(centre - support - 0.5));
            const int64_t hi = int64_t(std::ceil(centre + support - 0.5));
            if (hi - lo > (int64_t(1) << 24)) fail(Status::limit, "resample: kernel window too wide");
            double sum = 0;
            for (int64_t j = lo; j <= hi; ++j) {
                const double w = kernel((j + 0.5 - centre) / filter_scale);
                const int32_t index = resolve(j, r.in_size, r.edge);
                if (w == 0.0 || index < 0) continue;
                taps.emplace_back(index, w);
                sum += w;
            }
            if (taps.empty() || sum == 0.0) {  // a box narrower than the pixel grid: take the nearest
                const int64_t j = std::clamp<int64_t>(int64_t(std::floor(centre)), 0, r.in_size - 1);
                taps.assign(1, {int32_t(j), 1.0});
                sum = 1.0;
            }
            for (auto& t : taps) t.second /= sum;
        }
        int32_t first = taps[0].first, last = taps[0].first;
        for (const auto& t : taps) {
            first = std::min(first, t.first);
            last = std::max(last, t.first);
        }
        const int32_t n = last - first + 1;
        dense.assign(size_t(n), 0.0);
        for (const auto& t : taps) dense[size_t(t.first - first)] += t.second;
        plan.first[size_t(i)] = first;
        plan.count[size_t(i)] = n;
        plan.offset[size_t(i)] = int32_t(plan.weights.size());
        plan.max_count = std::max(plan.max_count, n);
        plan.weights.insert(plan.weights.end(), dense.begin(), dense.end());
    }
    plan.weights_f.assign(plan.weights.begin(), plan.weights.end());
    // Fixed point: round each weight, then give the rounding remainder to the largest weight so
    // every row sums to exactly 1 << kWeightBits (a constant image stays exactly constant).
    plan.weights_q.resize(plan.weights.size());
    const double one = double(1 << kWeightBits);
    for (int32_t i = 0; i < r.out_size; ++i) {
        const size_t o = size_t(plan.offset[size_t(i)]), n = size_t(plan.count[size_t(i)]);
        int32_t sum = 0;
        size_t biggest = o;
        for (size_t k = o; k < o + n; ++k) {
            const double q = std::nearbyint(plan.weights[k] * one);
            if (q > 32767 || q < -32768) fail(Status::internal, "resample: weight out of fixed-point range");
            plan.weights_q[k] = int16_t(q);
            sum += plan.weights_q[k];
            if (std::fabs(plan.weights[k]) > std::fabs(plan.weights[biggest])) biggest = k;
        }
        plan.weights_q[biggest] = int16_t(plan.weights_q[biggest] + ((1 << kWeightBits) - sum));
        int64_t abs_sum = 0;
        for (size_t k = o; k < o + n; ++k) abs_sum += std::abs(int64_t(plan.weights_q[k]));
        plan.max_abs_sum_q = std::max(plan.max_abs_sum_q, abs_sum);
    }
    build_pair_layout(plan);
    build_gray_layout(plan);
    build_float_layout(plan);
    return plan;
}

}  // namespace upres::classical
