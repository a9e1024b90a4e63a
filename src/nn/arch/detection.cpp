// Which family a model file is: ncnn graphs through the families' matchers, then the first family
// (in the table's precedence order) that claims the keys; the claimed family reads the
// hyperparameters and checks every tensor it will use.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "formats/ncnn_graph.hpp"
#include "nn/arch/family.hpp"
#include "nn/arch/keys.hpp"

namespace upres::nn {

namespace {

float half_to_float(uint16_t h, bool bf16) {
    if (bf16) {
        const uint32_t bits = uint32_t(h) << 16;
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
    const int exponent = (h >> 10) & 0x1f;
    return exponent == 0x1f ? ((h & 0x3ff) ? NAN : INFINITY) : 0.0f;  // only finiteness matters here
}

// NaN or infinite weights would make every output pixel NaN: refuse them, naming the tensor.
void check_finite(const formats::TensorMap& t, const std::string& name) {
    for (const auto& [key, x] : t) {
        const size_t n = size_t(x.numel());
        bool ok = true;
        if (x.dtype == formats::DType::f32) {
            for (size_t i = 0; i < n && ok; ++i) {
                float v;
                std::memcpy(&v, &x.data[4 * i], 4);
                ok = std::isfinite(v);
            }
        } else if (x.dtype == formats::DType::f64) {
            for (size_t i = 0; i < n && ok; ++i) {
                double v;
                std::memcpy(&v, &x.data[8 * i], 8);
                ok = std::isfinite(v);
            }
        } else if (x.dtype == formats::DType::f16 || x.dtype == formats::DType::bf16) {
            for (size_t i = 0; i < n && ok; ++i) {
                uint16_t v;
                std::memcpy(&v, &x.data[2 * i], 2);
                ok = std::isfinite(half_to_float(v, x.dtype == formats::DType::bf16));
            }
        }
        if (!ok) fail(Status::model, name + ": tensor '" + key + "' holds NaN or infinite values");
    }
}

// The same keys, shapes and types without the bytes: families test their key predicates on it.
formats::TensorMap skeleton(const formats::TensorMap& t) {
    formats::TensorMap s;
    for (const auto& [key, x] : t) s.emplace(key, formats::Tensor{x.dtype, x.shape, {}});
    return s;
}

formats::TensorMap from_ncnn(const formats::ncnn::Graph& g, std::map<std::string, std::string>& metadata,
                             const std::string& name, const Family*& family) {
    formats::ncnn::Misfit best{0, ""};
    const Family* closest = nullptr;
    for (const Family* f : families()) {
        if (!f->from_ncnn) continue;
        try {
            formats::TensorMap t = f->from_ncnn(g, metadata);
            family = f;
            return t;
        } catch (const formats::ncnn::Misfit& m) {
            if (!closest || m.node > best.node) best = m, closest = f;
        }
    }
    std::string names;
    for (const Family* f : families())
        if (f->from_ncnn) names += std::string(names.empty() ? "" : ", ") + f->title;
    const auto& l = *g.nodes()[std::min(best.node, g.nodes().size() - 1)].layer;
    fail(Status::model, name + ": not a graph of an architecture upres reads from ncnn (" + names + "): cannot place " +
                            formats::ncnn::where(l) + " (closest: " + closest->title + ", " + best.why + ")");
}

[[noreturn]] void unknown(const formats::TensorMap& t, const std::string& name) {
    struct Score {
        const Family* f;
        size_t matched;
    };
    std::vector<Score> scores;
    std::vector<std::string> unmatched;
    for (const auto& kv : t) {
        bool any = false;
        for (const Family* f : families())
            for (const auto& p : f->signature)
                if (arch::key_matches(p, kv.first)) {
                    any = true;
                    break;
                }
        if (!any) unmatched.push_back(kv.first);
    }
    for (const Family* f : families()) {
        size_t n = 0;
        for (const auto& kv : t)
            n += std::any_of(f->signature.begin(), f->signature.end(), [&](const std::string& p) { return arch::key_matches(p, kv.first); });
        if (n) scores.push_back({f, n});
    }
    std::stable_sort(scores.begin(), scores.end(), [](const Score& a, const Score& b) { return a.matched > b.matched; });
    std::string text = name + ": unknown architecture";
    if (!scores.empty()) {
        text += "; nearest: ";
        for (size_t i = 0; i < scores.size() && i < 3; ++i)
            text += std::string(i ? ", " : "") + scores[i].f->title + " (" + std::to_string(scores[i].matched) + " of " +
                    std::to_string(t.size()) + " keys fit its names)";
    }
    if (!unmatched.empty()) {
        text += "; keys that fit no architecture: ";
        for (size_t i = 0; i < unmatched.size() && i < 12; ++i) text += std::string(i ? ", " : "") + unmatched[i];
        if (unmatched.size() > 12) text += ", ... (" + std::to_string(unmatched.size()) + " in all)";
    }
    fail(Status::model, text);
}

}  // namespace

Model detect(formats::ModelFile file, const std::string& name) {
    Model m;
    m.metadata = std::move(file.metadata);
    if (file.format == "torchscript") {  // a program: runs only by path, when the caller allows it
        m.family = find_family("torchscript");
        m.path = name;
        m.desc.arch = "torchscript";
        m.desc.scale = 0;
        m.desc.summary = "TorchScript program (runs only with the option torchscript=1)";
        return m;
    }
    const Family* from_graph = nullptr;
    if (file.graph) file.tensors = from_ncnn(*file.graph, m.metadata, name, from_graph);
    if (file.tensors.empty()) fail(Status::model, name + ": the file holds no tensors");
    check_finite(file.tensors, name);
    const formats::TensorMap keys = skeleton(file.tensors);
    for (const Family* f : families()) {
        if (!f->claims) continue;
        if (from_graph && f != from_graph) continue;
        const bool claimed = f->canonical ? f->claims(f->canonical(keys)) : f->claims(keys);
        if (!claimed) continue;
        m.family = f;
        m.tensors = f->canonical ? f->canonical(std::move(file.tensors)) : std::move(file.tensors);
        m.desc = f->describe(m.tensors, m.metadata, name);
        m.desc.arch = f->name;
        for (const auto& kv : m.tensors) m.desc.parameters += kv.second.numel();
        return m;
    }
    unknown(file.tensors, name);
}

std::string Model::describe() const {
    if (desc.arch == "torchscript")
        return desc.summary + (desc.scale ? ", x" + std::to_string(desc.scale) : std::string(", scale found by a trial run"));
    return desc.summary + ", " + std::to_string(desc.in_channels) + " -> " + std::to_string(desc.out_channels) +
           " channels, " + std::to_string(desc.parameters) + " parameters";
}

}  // namespace upres::nn
