#include "nn/winograd_trunk.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>

#include "core/error.hpp"

#if DNNL_VERSION_MAJOR != 2
#error "winograd_trunk.cpp is written against oneDNN 2.x (CMake enables it only for that version)"
#endif

namespace upres::nn {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

constexpr int kBlock = 16;  // nChw16c: channel counts must be multiples of this
// Each block's conv5 output is scaled by 0.2 before its residual add; folded into its weights.
// The third block's output is scaled by 0.2 once more by the RRDB's own residual (see run()).
constexpr float kResidual = 0.2f;

// The six convolution kinds of the trunk: conv1..conv5 of a dense block, then conv_body. Each kind
// has one input/output shape, so one primitive (and one weight layout) per kind and tile size.
constexpr int kKinds = 6, kBody = 5;

// One convolution's f32 weights (channels-last, as the network keeps them) and bias.
struct Conv {
    at::Tensor weight, bias;
    float scale = 1.0f;  // applied to weight and bias when they are laid out for oneDNN
};

// A kind's weights laid out for one primitive (Winograd layouts depend on the tile size).
struct Laid {
    memory::desc desc;
    std::shared_ptr<const std::vector<memory>> weights;  // one per layer of the kind
    uint64_t used = 0;
};

class Trunk : public WinogradTrunk {
public:
    Trunk(std::vector<Conv> layers[kKinds], int nf, int gc) : eng_(dnnl::engine::kind::cpu, 0), nf_(nf), gc_(gc) {
        for (int k = 0; k < kKinds; ++k) {
            layers_[k] = std::move(layers[k]);
            for (const Conv& c : layers_[k])
                biases_[k].push_back(c.scale == 1.0f ? c.bias : (c.bias * c.scale).contiguous());
        }
    }

    at::Tensor run(const at::Tensor& feat_in) const override {
        const at::Tensor feat = feat_in.contiguous(at::MemoryFormat::ChannelsLast);
        const int64_t h = feat.size(2), w = feat.size(3), plane = h * w;
        const int64_t wide = nf_ + 4 * gc_;  // a dense block's concatenation
        dnnl::stream s(eng_);
        const Plan p = plan(h, w);

        auto fmem = [&](const memory::desc& d, const at::Tensor& t, int64_t offset = 0) {
            return memory(d, eng_, t.data_ptr<float>() + offset);
        };
        const auto f32 = at::TensorOptions().dtype(at::kFloat);
        // Two dense-block buffers in turn, plus the RRDB's input kept for its residual.
        at::Tensor a = at::empty({wide * plane}, f32), b = at::empty({wide * plane}, f32);
        const at::Tensor saved = at::empty({nf_ * plane}, f32), body = at::empty({nf_ * plane}, f32);
        const at::Tensor scratch = at::empty({int64_t(p.scratch_bytes)}, at::TensorOptions().dtype(at::kByte));
        memory scratch_mem({{int64_t(p.scratch_bytes)}, Dt::u8, Tag::x}, eng_, scratch.data_ptr());
        const memory::desc nf_desc = blocked(nf_, h, w), gc_desc = blocked(gc_, h, w);
        const memory::desc user_desc({1, nf_, h, w}, Dt::f32, Tag::nhwc);
        auto copy = [&](const at::Tensor& from, const at::Tensor& to) {
            memory src = fmem(nf_desc, from), dst = fmem(nf_desc, to);
            dnnl::reorder(src, dst).execute(s, src, dst);
        };

        // One dense block: in[0:nf] is its input; out[0:nf] must already hold what its conv5 adds to.
        auto dense_block = [&](size_t layer, const at::Tensor& in, const at::Tensor& out) {
            for (int k = 0; k < 4; ++k) {
                memory dst = fmem(gc_desc, in, (nf_ + k * gc_) * plane);
                convolve(s, p, k, layer, fmem(p.src[k], in), dst, scratch_mem);
                p.lrelu.execute(s, {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
            }
            convolve(s, p, 4, layer, fmem(p.src[4], in), fmem(nf_desc, out), scratch_mem);
        };

        {
            memory src(user_desc, eng_, feat.data_ptr<float>()), dst = fmem(nf_desc, a);
            dnnl::reorder(src, dst).execute(s, src, dst);
        }
        const size_t blocks = layers_[0].size() / 3;
        for (size_t r = 0; r < blocks; ++r) {
            // x = a[0:nf]. y1 = x + 0.2 c1 -> b; y2 = y1 + 0.2 c2 -> a;
            // out = x + 0.2 (y2 + 0.2 c3) = (x + 0.2 y2) + 0.04 c3 -> b.
            copy(a, saved);
            copy(a, b);
            dense_block(3 * r, a, b);
            copy(b, a);
            dense_block(3 * r + 1, b, a);
            {
                memory x = fmem(nf_desc, saved), y2 = fmem(nf_desc, a), dst = fmem(nf_desc, b);
                p.residual.execute(s, {{DNNL_ARG_MULTIPLE_SRC, x}, {DNNL_ARG_MULTIPLE_SRC + 1, y2}, {DNNL_ARG_DST, dst}});
            }
            dense_block(3 * r + 2, a, b);
            std::swap(a, b);
        }
        {  // conv_body, added to feat
            memory src(user_desc, eng_, feat.data_ptr<float>()), dst = fmem(nf_desc, body);
            dnnl::reorder(src, dst).execute(s, src, dst);
        }
        convolve(s, p, kBody, 0, fmem(p.src[kBody], a), fmem(nf_desc, body), scratch_mem);
        at::Tensor out = at::empty({1, nf_, h, w}, f32.memory_format(at::MemoryFormat::ChannelsLast));
        {
            memory src = fmem(nf_desc, body), dst(user_desc, eng_, out.data_ptr<float>());
            dnnl::reorder(src, dst).execute(s, src, dst);
        }
        s.wait();
        return out;
    }

private:
    struct Plan {
        dnnl::convolution_forward conv[kKinds];
        memory::desc src[kKinds];
        std::shared_ptr<const std::vector<memory>> weights[kKinds];
        dnnl::eltwise_forward lrelu;
        dnnl::sum residual;
        size_t scratch_bytes = 0;
    };

    static memory::desc blocked(int64_t c, int64_t h, int64_t w) { return memory::desc({1, c, h, w}, Dt::f32, Tag::nChw16c); }

    int in_channels(int kind) const { return kind == kBody ? nf_ : kind == 4 ? nf_ + 4 * gc_ : nf_ + kind * gc_; }
    int out_channels(int kind) const { return kind >= 4 ? nf_ : gc_; }

    // Layer `i` of `kind` (dense block i of the trunk; 0 for conv_body).
    void convolve(dnnl::stream& s, const Plan& p, int kind, size_t i, const memory& src, const memory& dst,
                  const memory& scratch) const {
        memory bias({{out_channels(kind)}, Dt::f32, Tag::x}, eng_, biases_[kind][i].data_ptr<float>());
        p.conv[kind].execute(s, {{DNNL_ARG_SRC, src},
                                 {DNNL_ARG_WEIGHTS, (*p.weights[kind])[i]},
                                 {DNNL_ARG_BIAS, bias},
                                 {DNNL_ARG_DST, dst},
                                 {DNNL_ARG_SCRATCHPAD, scratch}});
    }

    // Primitives for one tile size; Winograd where oneDNN offers it for the shape, else direct.
    Plan plan(int64_t h, int64_t w) const {
        Plan p;
        for (int k = 0; k < kKinds; ++k) {
            const int ic = in_channels(k), oc = out_channels(k);
            p.src[k] = blocked(ic, h, w);
            dnnl::post_ops ops;
            if (k >= 4) ops.append_sum(1.0f);  // conv5 and conv_body add onto their destination
            dnnl::primitive_attr attr;
            attr.set_post_ops(ops);
            attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
            const memory::desc bias({oc}, Dt::f32, Tag::x);
            // A weight layout already made for another tile size is tried first: Winograd layouts
            // depend on the tile size, but most sizes accept most layouts.
            std::vector<std::pair<dnnl::algorithm, memory::desc>> tries;
            for (const memory::desc& d : kept_layouts(k)) tries.emplace_back(dnnl::algorithm::convolution_winograd, d);
            tries.emplace_back(dnnl::algorithm::convolution_winograd, memory::desc({oc, ic, 3, 3}, Dt::f32, Tag::any));
            tries.emplace_back(dnnl::algorithm::convolution_direct, memory::desc({oc, ic, 3, 3}, Dt::f32, Tag::any));
            dnnl::convolution_forward::primitive_desc pd;
            bool made = false;
            for (const auto& [algorithm, weights] : tries) {
                try {
                    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, algorithm, p.src[k], weights, bias,
                                                      blocked(oc, h, w), {1, 1}, {1, 1}, {1, 1});
                    pd = dnnl::convolution_forward::primitive_desc(d, attr, eng_);
                    made = true;
                    break;
                } catch (const dnnl::error&) {
                }
            }
            if (!made) fail(Status::internal, "oneDNN has no convolution for a " + std::to_string(h) + "x" + std::to_string(w) + " tile");
            p.conv[k] = dnnl::convolution_forward(pd);
            p.weights[k] = laid_out(k, pd.weights_desc());
            p.scratch_bytes = std::max(p.scratch_bytes, pd.scratchpad_desc().get_size());
        }
        dnnl::eltwise_forward::desc ed(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_relu, blocked(gc_, h, w),
                                       kResidual /* LeakyReLU slope, also 0.2 */, 0.0f);
        p.lrelu = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(ed, eng_));
        const memory::desc nf_desc = blocked(nf_, h, w);
        p.residual = dnnl::sum(dnnl::sum::primitive_desc(nf_desc, {1.0f, kResidual}, {nf_desc, nf_desc}, eng_));
        return p;
    }

    // The kind's cached weight layouts, most recently used first.
    std::vector<memory::desc> kept_layouts(int kind) const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<Laid> kept = laid_[kind];
        std::sort(kept.begin(), kept.end(), [](const Laid& x, const Laid& y) { return x.used > y.used; });
        std::vector<memory::desc> descs;
        for (const Laid& l : kept) descs.push_back(l.desc);
        return descs;
    }

    // The kind's weights in the layout `desc`, reordered once and cached; Winograd layouts vary with
    // the tile size, so a few are kept (the least recently used goes first).
    std::shared_ptr<const std::vector<memory>> laid_out(int kind, const memory::desc& desc) const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<Laid>& kept = laid_[kind];
        ++clock_;
        for (Laid& l : kept)
            if (l.desc == desc) {
                l.used = clock_;
                return l.weights;
            }
        auto weights = std::make_shared<std::vector<memory>>();
        dnnl::stream s(eng_);
        for (const Conv& c : layers_[kind]) {
            // oihw: oneDNN's Winograd weight reorder reads only that layout.
            const at::Tensor t = (c.scale == 1.0f ? c.weight : c.weight * c.scale).contiguous();
            memory src(memory::desc({t.size(0), t.size(1), 3, 3}, Dt::f32, Tag::oihw), eng_, t.data_ptr<float>());
            memory dst(desc, eng_);
            dnnl::reorder(src, dst).execute(s, src, dst);
            s.wait();
            weights->push_back(dst);
        }
        constexpr size_t kKept = 2;
        if (kept.size() >= kKept) {
            auto oldest = std::min_element(kept.begin(), kept.end(), [](const Laid& x, const Laid& y) { return x.used < y.used; });
            kept.erase(oldest);
        }
        kept.push_back({desc, weights, clock_});
        return weights;
    }

    dnnl::engine eng_;
    int nf_, gc_;
    std::vector<Conv> layers_[kKinds];
    std::vector<at::Tensor> biases_[kKinds];
    mutable std::mutex mutex_;
    mutable std::vector<Laid> laid_[kKinds];
    mutable uint64_t clock_ = 0;
};

}  // namespace

std::unique_ptr<WinogradTrunk> WinogradTrunk::create(const std::map<std::string, at::Tensor>& weights, int num_block) {
    auto find = [&](const std::string& name) -> at::Tensor {
        auto it = weights.find(name);
        return it == weights.end() ? at::Tensor() : it->second;
    };
    const at::Tensor first = find("conv_first.weight"), grow = find("body.0.rdb1.conv1.weight");
    if (num_block < 1 || !first.defined() || !grow.defined()) return nullptr;
    const int nf = int(first.size(0)), gc = int(grow.size(0));
    if (nf % kBlock != 0 || gc % kBlock != 0) return nullptr;
    std::vector<Conv> layers[kKinds];
    auto add = [&](int kind, const std::string& name, float scale) {
        const at::Tensor wt = find(name + ".weight"), bias = find(name + ".bias");
        if (!wt.defined() || wt.dim() != 4 || wt.size(2) != 3 || wt.size(3) != 3 || wt.scalar_type() != at::kFloat) return false;
        layers[kind].push_back({wt, bias.defined() ? bias.contiguous() : at::zeros({wt.size(0)}, at::kFloat), scale});
        return true;
    };
    for (int b = 0; b < num_block; ++b)
        for (int r = 1; r <= 3; ++r)
            for (int j = 1; j <= 5; ++j) {
                const std::string name = "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv" + std::to_string(j);
                const float scale = j < 5 ? 1.0f : r < 3 ? kResidual : kResidual * kResidual;
                if (!add(j - 1, name, scale)) return nullptr;
            }
    if (!add(kBody, "conv_body", 1.0f)) return nullptr;
    return std::make_unique<Trunk>(layers, nf, gc);
}

}  // namespace upres::nn
