#include "nn/arch/rrdbnet/onednn_trunk.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>

#include "core/error.hpp"
#include "nn/cpu_features.hpp"

#if DNNL_VERSION_MAJOR != 2
#error "onednn_trunk.cpp is written against oneDNN 2.x (CMake enables it only for that version)"
#endif

namespace upres::nn {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

constexpr int kBlock = 16;  // nChw16c: channel counts must be multiples of this
// Each dense block's conv5 output is scaled by 0.2 before its residual add: folded into its weights.
// The third block's output is scaled by 0.2 once more by the RRDB's own residual (see the runs).
constexpr float kResidual = 0.2f;
constexpr float kSlope = 0.2f;  // LeakyReLU

// The six convolution kinds of the trunk: conv1..conv5 of a dense block, then conv_body. Each kind
// has one input/output shape, so one primitive (and one weight layout) per kind and tile size.
constexpr int kKinds = 6, kConv5 = 4, kBody = 5;

// One convolution: f32 weights as the file has them, and its bias already scaled.
struct Conv {
    at::Tensor weight, bias;
    float scale = 1.0f;  // applied to the weights when they are laid out for oneDNN
};

// A kind's weights laid out for one primitive (Winograd layouts depend on the tile size).
struct Laid {
    memory::desc desc;
    std::shared_ptr<const std::vector<memory>> weights;  // one per layer of the kind
    uint64_t used = 0;
};

class Trunk : public OnednnTrunk {
public:
    Trunk(std::vector<Conv> layers[kKinds], int nf, int gc, bool bf16)
        : eng_(dnnl::engine::kind::cpu, 0), nf_(nf), gc_(gc), act_(bf16 ? Dt::bf16 : Dt::f32) {
        for (int k = 0; k < kKinds; ++k) layers_[k] = std::move(layers[k]);
    }

    at::Tensor run(const at::Tensor& feat_in) const override {
        try {
            return run_trunk(feat_in);
        } catch (const dnnl::error& e) {
            fail(e.status == dnnl_out_of_memory ? Status::out_of_memory : Status::internal,
                 std::string("oneDNN (RRDBNet trunk): ") + e.what());
        }
    }

private:
    at::Tensor run_trunk(const at::Tensor& feat_in) const {
        const at::Tensor feat = feat_in.contiguous(at::MemoryFormat::ChannelsLast);
        Run r(*this, feat.size(2), feat.size(3));
        const memory::desc user({1, nf_, r.h, r.w}, Dt::f32, Tag::nhwc);
        const at::Tensor x = r.trunk_map();
        r.reorder(memory(user, eng_, feat.data_ptr()), r.trunk(x));
        const at::Tensor y = act_ == Dt::f32 ? blocks_f32(r, x) : blocks_bf16(r, x);
        // conv_body, added onto feat.
        const at::Tensor body = r.trunk_map();
        r.reorder(memory(user, eng_, feat.data_ptr()), r.trunk(body));
        if (act_ != Dt::f32) r.reorder(r.trunk(y), r.dense_input(r.dense_a));
        convolve(r, kBody, 0, act_ == Dt::f32 ? r.trunk(y) : r.dense_input(r.dense_a), r.trunk(body));
        at::Tensor out = at::empty({1, nf_, r.h, r.w}, at::TensorOptions().dtype(at::kFloat).memory_format(at::MemoryFormat::ChannelsLast));
        r.reorder(r.trunk(body), memory(user, eng_, out.data_ptr()));
        r.s.wait();
        return out;
    }

    struct Plan {
        dnnl::convolution_forward conv[kKinds];
        memory::desc src[kKinds];
        std::shared_ptr<const std::vector<memory>> weights[kKinds];
        bool fused_lrelu = false;  // else `lrelu` runs after conv1..4 (Winograd takes no LeakyReLU)
        dnnl::eltwise_forward lrelu;
        dnnl::sum residual;
        size_t scratch_bytes = 0;
    };

    // One call's stream, primitives and buffers.
    struct Run {
        Run(const Trunk& t, int64_t height, int64_t width)
            : trunk_(t), h(height), w(width), plane(height * width), s(t.eng_), p(t.plan(height, width)) {
            scratch = at::empty({int64_t(p.scratch_bytes)}, at::TensorOptions().dtype(at::kByte));
            scratch_mem = memory({{int64_t(p.scratch_bytes)}, Dt::u8, Tag::x}, t.eng_, scratch.data_ptr());
            const int64_t wide = t.nf_ + 4 * t.gc_;  // a dense block's concatenation
            const auto dense_type = t.act_ == Dt::f32 ? at::kFloat : at::kBFloat16;
            dense_a = at::empty({wide * plane}, at::TensorOptions().dtype(dense_type));
            if (t.act_ == Dt::f32) dense_b = at::empty({wide * plane}, at::TensorOptions().dtype(dense_type));
        }
        memory::desc blocked(int64_t c, Dt type) const { return memory::desc({1, c, h, w}, type, Tag::nChw16c); }
        // Channels [c0, c0 + c) of a blocked map starting at `base`: a contiguous range.
        memory slice(const at::Tensor& base, int64_t c0, int64_t c, Dt type) const {
            return memory(blocked(c, type), trunk_.eng_, static_cast<char*>(base.data_ptr()) + c0 * plane * int64_t(base.element_size()));
        }
        at::Tensor trunk_map() const { return at::empty({trunk_.nf_ * plane}, at::TensorOptions().dtype(at::kFloat)); }
        memory trunk(const at::Tensor& t) const { return slice(t, 0, trunk_.nf_, Dt::f32); }
        memory dense_input(const at::Tensor& d) const { return slice(d, 0, trunk_.nf_, trunk_.act_); }
        void reorder(memory from, memory to) { dnnl::reorder(from, to).execute(s, from, to); }

        const Trunk& trunk_;
        int64_t h, w, plane;
        dnnl::stream s;
        Plan p;
        at::Tensor scratch, dense_a, dense_b;
        memory scratch_mem;
    };

    // Layer `i` of `kind` (dense block i of the trunk; 0 for conv_body).
    void convolve(Run& r, int kind, size_t i, const memory& src, const memory& dst) const {
        memory bias({{out_channels(kind)}, Dt::f32, Tag::x}, eng_, layers_[kind][i].bias.data_ptr<float>());
        r.p.conv[kind].execute(r.s, {{DNNL_ARG_SRC, src},
                                     {DNNL_ARG_WEIGHTS, (*r.p.weights[kind])[i]},
                                     {DNNL_ARG_BIAS, bias},
                                     {DNNL_ARG_DST, dst},
                                     {DNNL_ARG_SCRATCHPAD, r.scratch_mem}});
    }

    // Dense block `layer`: dense[0:nf] holds its input; conv5 adds onto `out` (nf channels, f32).
    void dense_block(Run& r, size_t layer, const at::Tensor& dense, const memory& out) const {
        for (int k = 0; k < 4; ++k) {
            const memory dst = r.slice(dense, nf_ + k * gc_, gc_, act_);
            convolve(r, k, layer, memory(r.p.src[k], eng_, dense.data_ptr()), dst);
            if (!r.p.fused_lrelu) r.p.lrelu.execute(r.s, {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
        }
        convolve(r, kConv5, layer, memory(r.p.src[kConv5], eng_, dense.data_ptr()), out);
    }

    // out = x + 0.2 y (the RRDB residual, before the third block's conv5 adds 0.04 conv5).
    static void residual(Run& r, const memory& x, const memory& y, const memory& out) {
        r.p.residual.execute(r.s, {{DNNL_ARG_MULTIPLE_SRC, x}, {DNNL_ARG_MULTIPLE_SRC + 1, y}, {DNNL_ARG_DST, out}});
    }

    // fp32: the trunk value of each dense block is the prefix of its buffer, so conv5 writes the
    // next block's input in place. Two buffers in turn, plus the RRDB's input kept for its residual.
    // Returns the buffer whose prefix holds the result.
    at::Tensor blocks_f32(Run& r, const at::Tensor& x_in) const {
        at::Tensor a = r.dense_a, b = r.dense_b;
        const at::Tensor saved = r.trunk_map();
        r.reorder(r.trunk(x_in), r.trunk(a));
        const size_t blocks = layers_[0].size() / 3;
        for (size_t i = 0; i < blocks; ++i) {
            // x = a[0:nf]. y1 = x + 0.2 c1 -> b; y2 = y1 + 0.2 c2 -> a;
            // out = x + 0.2 (y2 + 0.2 c3) = (x + 0.2 y2) + 0.04 c3 -> b.
            r.reorder(r.trunk(a), r.trunk(saved));
            r.reorder(r.trunk(a), r.trunk(b));
            dense_block(r, 3 * i, a, r.trunk(b));
            r.reorder(r.trunk(b), r.trunk(a));
            dense_block(r, 3 * i + 1, b, r.trunk(a));
            residual(r, r.trunk(saved), r.trunk(a), r.trunk(b));
            dense_block(r, 3 * i + 2, a, r.trunk(b));
            std::swap(a, b);
        }
        return a;
    }

    // bf16: the trunk stays f32 in its own maps; each block's input is converted into the one bf16
    // dense buffer, and conv5 adds its f32 result onto the next trunk map.
    at::Tensor blocks_bf16(Run& r, const at::Tensor& x_in) const {
        at::Tensor x = x_in, y = r.trunk_map(), z = r.trunk_map();
        const at::Tensor& dense = r.dense_a;
        const size_t blocks = layers_[0].size() / 3;
        for (size_t i = 0; i < blocks; ++i) {
            r.reorder(r.trunk(x), r.dense_input(dense));
            r.reorder(r.trunk(x), r.trunk(y));
            dense_block(r, 3 * i, dense, r.trunk(y));  // y1
            r.reorder(r.trunk(y), r.dense_input(dense));
            r.reorder(r.trunk(y), r.trunk(z));
            dense_block(r, 3 * i + 1, dense, r.trunk(z));  // y2
            r.reorder(r.trunk(z), r.dense_input(dense));
            residual(r, r.trunk(x), r.trunk(z), r.trunk(y));
            dense_block(r, 3 * i + 2, dense, r.trunk(y));  // the RRDB's output
            std::swap(x, y);
        }
        return x;
    }

    int in_channels(int kind) const { return kind == kBody ? nf_ : nf_ + kind * gc_; }
    int out_channels(int kind) const { return kind >= kConv5 ? nf_ : gc_; }

    // Primitives for one tile size. fp32: Winograd where oneDNN offers it for the shape, else direct.
    Plan plan(int64_t h, int64_t w) const {
        Plan p;
        p.fused_lrelu = act_ != Dt::f32;
        for (int k = 0; k < kKinds; ++k) {
            const int ic = in_channels(k), oc = out_channels(k);
            p.src[k] = memory::desc({1, ic, h, w}, act_, Tag::nChw16c);
            // conv1..4 write the dense buffer; conv5 and conv_body add onto an f32 trunk map.
            const memory::desc dst({1, oc, h, w}, k < kConv5 ? act_ : Dt::f32, Tag::nChw16c);
            dnnl::post_ops ops;
            if (k >= kConv5) ops.append_sum(1.0f);
            else if (p.fused_lrelu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, kSlope, 0.0f);
            dnnl::primitive_attr attr;
            attr.set_post_ops(ops);
            attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
            const memory::desc bias({oc}, Dt::f32, Tag::x), any({oc, ic, 3, 3}, act_, Tag::any);
            std::vector<std::pair<dnnl::algorithm, memory::desc>> tries;
            if (act_ == Dt::f32) {
                // A weight layout already made for another tile size is tried first: Winograd layouts
                // depend on the tile size, but most sizes accept most layouts.
                for (const memory::desc& d : kept_layouts(k)) tries.emplace_back(dnnl::algorithm::convolution_winograd, d);
                tries.emplace_back(dnnl::algorithm::convolution_winograd, any);
            }
            tries.emplace_back(dnnl::algorithm::convolution_direct, any);
            dnnl::convolution_forward::primitive_desc pd;
            bool made = false;
            for (const auto& [algorithm, weights] : tries) {
                try {
                    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, algorithm, p.src[k], weights, bias,
                                                      dst, {1, 1}, {1, 1}, {1, 1});
                    pd = dnnl::convolution_forward::primitive_desc(d, attr, eng_);
                    made = true;
                    break;
                } catch (const dnnl::error&) {
                }
            }
            if (!made)
                fail(Status::internal, "oneDNN has no convolution for a " + std::to_string(h) + "x" + std::to_string(w) + " tile");
            p.conv[k] = dnnl::convolution_forward(pd);
            p.weights[k] = laid_out(k, pd.weights_desc());
            p.scratch_bytes = std::max(p.scratch_bytes, pd.scratchpad_desc().get_size());
        }
        if (!p.fused_lrelu) {
            dnnl::eltwise_forward::desc ed(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_relu,
                                           memory::desc({1, gc_, h, w}, act_, Tag::nChw16c), kSlope, 0.0f);
            p.lrelu = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(ed, eng_));
        }
        const memory::desc trunk({1, nf_, h, w}, Dt::f32, Tag::nChw16c);
        p.residual = dnnl::sum(dnnl::sum::primitive_desc(trunk, {1.0f, kResidual}, {trunk, trunk}, eng_));
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
            const at::Tensor t = (c.weight * c.scale).contiguous();
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
    Dt act_;  // the dense blocks' data type: f32 or bf16
    std::vector<Conv> layers_[kKinds];
    mutable std::mutex mutex_;
    mutable std::vector<Laid> laid_[kKinds];
    mutable uint64_t clock_ = 0;
};

}  // namespace

std::unique_ptr<OnednnTrunk> OnednnTrunk::create(const std::map<std::string, at::Tensor>& weights, int num_block, bool bf16) {
    auto find = [&](const std::string& name) -> at::Tensor {
        auto it = weights.find(name);
        return it == weights.end() ? at::Tensor() : it->second;
    };
    const at::Tensor first = find("conv_first.weight"), grow = find("body.0.rdb1.conv1.weight");
    if (num_block < 1 || !first.defined() || !grow.defined() || !cpu_runs_blocked_onednn()) return nullptr;
    const int nf = int(first.size(0)), gc = int(grow.size(0));
    if (nf % kBlock != 0 || gc % kBlock != 0) return nullptr;
    std::vector<Conv> layers[kKinds];
    auto add = [&](int kind, const std::string& name, float scale) {
        const at::Tensor wt = find(name + ".weight"), bias = find(name + ".bias");
        if (!wt.defined() || wt.dim() != 4 || wt.size(2) != 3 || wt.size(3) != 3 || wt.scalar_type() != at::kFloat) return false;
        const at::Tensor b = bias.defined() ? bias * scale : at::zeros({wt.size(0)}, at::kFloat);
        layers[kind].push_back({wt, b.contiguous(), scale});
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
    return std::make_unique<Trunk>(layers, nf, gc, bf16);
}

}  // namespace upres::nn
