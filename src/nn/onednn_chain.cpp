#include "nn/onednn_chain.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/error.hpp"
#include "nn/cpu_features.hpp"

#if DNNL_VERSION_MAJOR != 2
#error "onednn_chain.cpp is written against oneDNN 2.x (CMake enables it only for that version)"
#endif

namespace upres::nn::onednn {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

namespace {

memory::desc blocked(int64_t c, int64_t h, int64_t w) { return memory::desc({1, c, h, w}, Dt::f32, Tag::nChw16c); }

[[noreturn]] void rethrow(const dnnl::error& e, const char* what) {
    fail(e.status == dnnl_out_of_memory ? Status::out_of_memory : Status::internal,
         std::string("oneDNN (") + what + "): " + e.what());
}

std::string shape_key(const char* kind, int64_t c, int64_t h, int64_t w) {
    return std::string(kind) + ":" + std::to_string(c) + ":" + std::to_string(h) + "x" + std::to_string(w);
}

#if defined(__x86_64__)
#define UPRES_AVX512F __attribute__((target("avx512f,fma")))
const bool kAvx512 = __builtin_cpu_supports("avx512f") && cpu_runs_blocked_onednn();

// e^x for x in [-87, 88] (clamped outside): 2^n e^r with |r| <= ln2 / 2, a degree-6 Taylor
// polynomial for e^r (relative error below 2e-7, close to f32 rounding).
UPRES_AVX512F inline __m512 exp512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

UPRES_AVX512F inline __m512 sigmoid512(__m512 x) {
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

// The kernels work on 16-float vectors [begin, end) of blocked maps.
UPRES_AVX512F void silu_avx512(float* x, int64_t begin, int64_t end) {
    for (int64_t v = begin; v < end; ++v) {
        const __m512 a = _mm512_loadu_ps(x + 16 * v);
        _mm512_storeu_ps(x + 16 * v, _mm512_mul_ps(a, sigmoid512(a)));
    }
}

UPRES_AVX512F void attention_avx512(const float* a, const float* b, float* dst, int64_t begin, int64_t end) {
    const __m512 half = _mm512_set1_ps(0.5f);
    for (int64_t v = begin; v < end; ++v) {
        const __m512 x = _mm512_loadu_ps(a + 16 * v);
        const __m512 s = _mm512_add_ps(x, _mm512_loadu_ps(b + 16 * v));
        _mm512_storeu_ps(dst + 16 * v, _mm512_mul_ps(s, _mm512_sub_ps(sigmoid512(x), half)));
    }
}

// Vector v of an nChw16c map holds channels 16 (v / plane) .. + 15 of one pixel.
UPRES_AVX512F void prelu_avx512(float* x, const float* slope, int64_t plane, int64_t begin, int64_t end) {
    for (int64_t v = begin; v < end; ++v) {
        const __m512 a = _mm512_loadu_ps(x + 16 * v), s = _mm512_loadu_ps(slope + 16 * (v / plane));
        const __mmask16 negative = _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_LT_OQ);
        _mm512_storeu_ps(x + 16 * v, _mm512_mask_mul_ps(a, negative, a, s));
    }
}
#else
const bool kAvx512 = false;
#endif

// fn(begin, end) over the n / 16 vectors of n floats, on ATen's threads.
template <class Fn>
void vectors(int64_t n, const Fn& fn) {
    at::parallel_for(0, n / 16, 2048, fn);
}

}  // namespace

// One layer: its f32 weights in oihw (the only layout oneDNN's Winograd weight reorder reads), its
// bias, and the weights laid out for the primitives that used them (the two most recent kept).
struct Chain::Layer {
    at::Tensor weight, bias;
    int64_t ic = 0, oc = 0, k = 3;
    struct Laid {
        memory::desc desc;
        memory weights;
        uint64_t used = 0;
    };
    std::vector<Laid> laid;
};

struct Chain::ConvPlan {
    dnnl::convolution_forward conv;
    memory::desc weights;
    size_t scratch = 0;
};

Chain::Chain() : eng_(dnnl::engine::kind::cpu, 0) {}
Chain::~Chain() = default;

int Chain::add_conv(const at::Tensor& weight, const at::Tensor& bias) {
    auto l = std::make_unique<Layer>();
    l->k = weight.size(2);
    l->weight = weight.to(at::kFloat).contiguous();
    l->oc = weight.size(0);
    l->ic = weight.size(1);
    l->bias = bias.defined() ? bias.to(at::kFloat).contiguous() : at::zeros({l->oc}, at::kFloat);
    layers_.push_back(std::move(l));
    return int(layers_.size() - 1);
}

// The convolution for one layer shape, tile size and post-ops: Winograd where oneDNN takes it
// (the post-ops of its fp32 kernel: sum and plain ReLU), trying first a weight layout some layer
// of that shape already has, else direct.
const Chain::ConvPlan& Chain::conv_plan(int layer, int64_t h, int64_t w, bool accumulate, bool relu, bool plain) const {
    const Layer& l = *layers_[size_t(layer)];
    const std::string key = std::to_string(l.k) + ":" + std::to_string(l.ic) + ">" + std::to_string(l.oc) + ":" + std::to_string(h) + "x" +
                            std::to_string(w) + (accumulate ? "+" : "") + (relu ? "r" : "") + (plain ? "n" : "");
    std::vector<memory::desc> kept;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = plans_.find(key);
        if (it != plans_.end()) return *it->second;
        for (const auto& other : layers_)
            if (other->ic == l.ic && other->oc == l.oc && other->k == l.k)
                for (const Layer::Laid& d : other->laid)
                    if (std::find(kept.begin(), kept.end(), d.desc) == kept.end()) kept.push_back(d.desc);
    }
    dnnl::post_ops ops;
    if (accumulate) ops.append_sum(1.0f);
    if (relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    // `plain`: the source is an NCHW ATen tensor.
    const memory::desc src = plain ? memory::desc({1, l.ic, h, w}, Dt::f32, Tag::nchw) : blocked(l.ic, h, w), dst = blocked(l.oc, h, w), bias({l.oc}, Dt::f32, Tag::x);
    const memory::desc any({l.oc, l.ic, l.k, l.k}, Dt::f32, Tag::any);
    std::vector<std::pair<dnnl::algorithm, memory::desc>> tries;
    if (l.k == 3 && !plain) {
        for (const memory::desc& d : kept) tries.emplace_back(dnnl::algorithm::convolution_winograd, d);
        tries.emplace_back(dnnl::algorithm::convolution_winograd, any);
    }
    const int64_t pad = l.k / 2;
    tries.emplace_back(dnnl::algorithm::convolution_direct, any);
    for (const auto& [algorithm, weights] : tries) {
        try {
            dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, algorithm, src, weights, bias, dst, {1, 1},
                                              {pad, pad}, {pad, pad});
            dnnl::convolution_forward::primitive_desc pd(d, attr, eng_);
            // oneDNN lists its F(2x2, 3x3) kernel first and takes it for narrow layers; F(4x4, 3x3)
            // does 4x fewer multiplications against 2.25x and is the faster one here.
            if (algorithm == dnnl::algorithm::convolution_winograd) {
                dnnl::convolution_forward::primitive_desc first = pd;
                bool found = false;
                do {
                    if (std::string(pd.impl_info_str()).find("4x3") != std::string::npos) {
                        found = true;
                        break;
                    }
                } while (pd.next_impl());
                if (!found) pd = first;
            }
            auto plan = std::make_unique<ConvPlan>();
            plan->conv = dnnl::convolution_forward(pd);
            plan->weights = pd.weights_desc();
            plan->scratch = pd.scratchpad_desc().get_size();
            std::lock_guard<std::mutex> lock(mutex_);
            auto& slot = plans_[key];
            if (!slot) slot = std::move(plan);
            return *slot;
        } catch (const dnnl::error&) {
        }
    }
    fail(Status::internal, "oneDNN has no convolution for a " + std::to_string(h) + "x" + std::to_string(w) + " map");
}

std::pair<dnnl::primitive, size_t> Chain::cached(const std::string& key,
                                                 const std::function<std::pair<dnnl::primitive, size_t>()>& make) const {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = prims_.find(key);
        if (it != prims_.end()) return it->second;
    }
    auto made = make();
    std::lock_guard<std::mutex> lock(mutex_);
    return prims_.emplace(key, made).first->second;
}

at::Tensor Chain::take(int64_t numel) const {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = pool_.begin(); it != pool_.end(); ++it)
            if (it->numel() == numel) {
                at::Tensor t = std::move(*it);
                pool_.erase(it);
                return t;
            }
    }
    return at::empty({numel}, at::TensorOptions().dtype(at::kFloat));
}

void Chain::give(std::vector<at::Tensor>& buffers) const {
    std::lock_guard<std::mutex> lock(mutex_);
    // The newest first; the oldest go when the pool is over its bound.
    pool_.insert(pool_.begin(), buffers.begin(), buffers.end());
    buffers.clear();
    int64_t bytes = 0;
    size_t keep = 0;
    while (keep < pool_.size() && bytes + pool_[keep].numel() * 4 <= kPoolBytes) bytes += pool_[keep++].numel() * 4;
    pool_.resize(keep);
}

Chain::Run::Run(const Chain& chain, int64_t h, int64_t w) : chain_(chain), h_(h), w_(w), s_(chain.eng_) {}

Chain::Run::~Run() {
    try {
        s_.wait();
    } catch (const dnnl::error&) {
        taken_.clear();  // not known to be done with: not reused
    }
    chain_.give(taken_);
}

Map Chain::Run::map(int64_t c) {
    taken_.push_back(chain_.take(c * h_ * w_));
    return {taken_.back(), c};
}

memory Chain::Run::mem(const Map& m) const {
    return memory(blocked(m.c, h_, w_), chain_.eng_, m.data.data_ptr<float>() + m.offset);
}

memory& Chain::Run::scratch(size_t bytes) {
    if (!scratch_.defined() || size_t(scratch_.numel()) < bytes) {
        s_.wait();
        scratch_ = at::empty({int64_t(std::max<size_t>(bytes, 1))}, at::TensorOptions().dtype(at::kByte));
        scratch_mem_ = memory({{scratch_.numel()}, Dt::u8, Tag::x}, chain_.eng_, scratch_.data_ptr());
    }
    return scratch_mem_;
}

Map Chain::Run::in(const at::Tensor& x) {
    Map m = map(x.size(1));
    in(x, m);
    return m;
}

void Chain::Run::in(const at::Tensor& x, const Map& dst) {
    try {
        const at::Tensor t = x.to(at::kFloat);
        const memory::desc user({1, dst.c, h_, w_}, Dt::f32, {t.stride(0), t.stride(1), t.stride(2), t.stride(3)});
        memory from(user, chain_.eng_, t.data_ptr()), to = mem(dst);
        dnnl::reorder(from, to).execute(s_, from, to);
        s_.wait();
    } catch (const dnnl::error& e) {
        rethrow(e, "reorder");
    }
}

at::Tensor Chain::Run::out(const Map& m, at::MemoryFormat format) {
    try {
        at::Tensor t = at::empty({1, m.c, h_, w_}, at::TensorOptions().dtype(at::kFloat).memory_format(format));
        const memory::desc user({1, m.c, h_, w_}, Dt::f32, {t.stride(0), t.stride(1), t.stride(2), t.stride(3)});
        memory from = mem(m), to(user, chain_.eng_, t.data_ptr());
        dnnl::reorder(from, to).execute(s_, from, to);
        s_.wait();
        return t;
    } catch (const dnnl::error& e) {
        rethrow(e, "reorder");
    }
}

memory Chain::weights_for(int layer, const memory::desc& desc) const {
    Layer& l = *layers_[size_t(layer)];
    std::lock_guard<std::mutex> lock(mutex_);
    ++clock_;
    for (Layer::Laid& d : l.laid)
        if (d.desc == desc) {
            d.used = clock_;
            return d.weights;
        }
    memory from(memory::desc({l.oc, l.ic, l.k, l.k}, Dt::f32, Tag::oihw), eng_, l.weight.data_ptr());
    memory weights(desc, eng_);
    dnnl::stream s(eng_);
    dnnl::reorder(from, weights).execute(s, from, weights);
    s.wait();
    if (l.laid.size() >= 2)
        l.laid.erase(std::min_element(l.laid.begin(), l.laid.end(),
                                      [](const Layer::Laid& a, const Layer::Laid& b) { return a.used < b.used; }));
    l.laid.push_back({desc, weights, clock_});
    return weights;
}

at::Tensor Chain::Run::out_shuffled(const Map& m, int64_t s, const at::Tensor& residual) {
    const int64_t channels = m.c / (s * s), plane = h_ * w_, ow = w_ * s;
    at::Tensor t = at::empty({1, channels, h_ * s, ow}, at::TensorOptions().dtype(at::kFloat));
    const at::Tensor res = residual.defined() ? residual.to(at::kFloat).contiguous() : residual;
    const float* src = ptr(m);
    const float* r = res.defined() ? res.data_ptr<float>() : nullptr;
    float* dst = t.data_ptr<float>();
    // Output row (c, y) with y = h s + i reads channels k = c s^2 + i s + j, j < s, of source row h:
    // in nChw16c, value (k, h, x) is at (k / 16) plane 16 + (h w + x) 16 + k % 16.
    at::parallel_for(0, channels * h_ * s, 16, [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
            const int64_t c = row / (h_ * s), y = row % (h_ * s), h = y / s, i = y % s;
            float* out = dst + row * ow;
            const float* lr = r ? r + c * plane + h * w_ : nullptr;
            for (int64_t j = 0; j < s; ++j) {
                const int64_t k = c * s * s + i * s + j;
                const float* in = src + (k / kBlock) * plane * kBlock + h * w_ * kBlock + k % kBlock;
                if (lr)
                    for (int64_t x = 0; x < w_; ++x) out[x * s + j] = in[x * kBlock] + lr[x];
                else
                    for (int64_t x = 0; x < w_; ++x) out[x * s + j] = in[x * kBlock];
            }
        }
    });
    return t;
}

void Chain::Run::conv(int layer, const Map& src, const Map& dst, bool accumulate, bool relu) {
    try {
        const ConvPlan& p = chain_.conv_plan(layer, h_, w_, accumulate, relu);
        const Layer& l = *chain_.layers_[size_t(layer)];
        memory bias({{l.oc}, Dt::f32, Tag::x}, chain_.eng_, l.bias.data_ptr());
        p.conv.execute(s_, {{DNNL_ARG_SRC, mem(src)},
                            {DNNL_ARG_WEIGHTS, chain_.weights_for(layer, p.weights)},
                            {DNNL_ARG_BIAS, bias},
                            {DNNL_ARG_DST, mem(dst)},
                            {DNNL_ARG_SCRATCHPAD, scratch(p.scratch)}});
    } catch (const dnnl::error& e) {
        rethrow(e, "convolution");
    }
}

void Chain::Run::conv_from(int layer, const at::Tensor& x, const Map& dst) {
    try {
        const at::Tensor t = x.to(at::kFloat).contiguous();
        const ConvPlan& p = chain_.conv_plan(layer, h_, w_, false, false, true);
        const Layer& l = *chain_.layers_[size_t(layer)];
        memory bias({{l.oc}, Dt::f32, Tag::x}, chain_.eng_, l.bias.data_ptr());
        p.conv.execute(s_, {{DNNL_ARG_SRC, memory(memory::desc({1, l.ic, h_, w_}, Dt::f32, Tag::nchw), chain_.eng_, t.data_ptr())},
                            {DNNL_ARG_WEIGHTS, chain_.weights_for(layer, p.weights)},
                            {DNNL_ARG_BIAS, bias},
                            {DNNL_ARG_DST, mem(dst)},
                            {DNNL_ARG_SCRATCHPAD, scratch(p.scratch)}});
        s_.wait();  // t may be a temporary
    } catch (const dnnl::error& e) {
        rethrow(e, "convolution");
    }
}

void Chain::Run::eltwise(dnnl::algorithm alg, float alpha, float beta, const Map& src, const Map& dst) {
    try {
        const std::string key = shape_key("eltwise", src.c, h_, w_) + ":" + std::to_string(int(alg)) + ":" +
                                std::to_string(alpha) + ":" + std::to_string(beta);
        auto [prim, bytes] = chain_.cached(key, [&] {
            dnnl::primitive_attr attr;
            attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
            dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, blocked(src.c, h_, w_), alpha, beta);
            dnnl::eltwise_forward::primitive_desc pd(d, attr, chain_.eng_);
            return std::make_pair(dnnl::primitive(dnnl::eltwise_forward(pd)), pd.scratchpad_desc().get_size());
        });
        prim.execute(s_, {{DNNL_ARG_SRC, mem(src)}, {DNNL_ARG_DST, mem(dst)}, {DNNL_ARG_SCRATCHPAD, scratch(bytes)}});
    } catch (const dnnl::error& e) {
        rethrow(e, "eltwise");
    }
}

void Chain::Run::binary(dnnl::algorithm op, const Map& a, const Map& b, const Map& dst, bool accumulate, float sum_scale) {
    try {
        const std::string key = shape_key("binary", a.c, h_, w_) + ":" + std::to_string(int(op)) +
                                (accumulate ? ":" + std::to_string(sum_scale) : std::string());
        auto [prim, bytes] = chain_.cached(key, [&] {
            dnnl::primitive_attr attr;
            attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
            if (accumulate) {
                dnnl::post_ops ops;
                ops.append_sum(sum_scale);
                attr.set_post_ops(ops);
            }
            const memory::desc md = blocked(a.c, h_, w_);
            dnnl::binary::desc d(op, md, md, md);
            dnnl::binary::primitive_desc pd(d, attr, chain_.eng_);
            return std::make_pair(dnnl::primitive(dnnl::binary(pd)), pd.scratchpad_desc().get_size());
        });
        prim.execute(s_, {{DNNL_ARG_SRC_0, mem(a)}, {DNNL_ARG_SRC_1, mem(b)}, {DNNL_ARG_DST, mem(dst)},
                          {DNNL_ARG_SCRATCHPAD, scratch(bytes)}});
    } catch (const dnnl::error& e) {
        rethrow(e, "binary");
    }
}

float* Chain::Run::ptr(const Map& m) {
    s_.wait();  // the primitives so far are done before our own code touches a map
    return m.data.data_ptr<float>() + m.offset;
}

void Chain::Run::silu(const Map& x) {
#if defined(__x86_64__)
    if (kAvx512) {
        float* p = ptr(x);
        vectors(x.c * h_ * w_, [&](int64_t begin, int64_t end) { silu_avx512(p, begin, end); });
        return;
    }
#endif
    eltwise(dnnl::algorithm::eltwise_swish, 1.0f, 0.0f, x, x);
}

void Chain::Run::span_attention(const Map& a, const Map& b, const Map& dst, const Map& spare) {
#if defined(__x86_64__)
    if (kAvx512) {
        const float *pa = ptr(a), *pb = ptr(b);
        float* pd = ptr(dst);
        vectors(a.c * h_ * w_, [&](int64_t begin, int64_t end) { attention_avx512(pa, pb, pd, begin, end); });
        return;
    }
#endif
    // s = a + b; dst = s * sigmoid(a) - 0.5 s.
    eltwise(dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f, a, spare);
    binary(dnnl::algorithm::binary_add, a, b, dst);
    binary(dnnl::algorithm::binary_mul, dst, spare, dst, true, -0.5f);
}

void Chain::Run::prelu(const Map& x, const at::Tensor& slope) {
#if defined(__x86_64__)
    if (kAvx512) {
        float* p = ptr(x);
        const float* s = slope.data_ptr<float>();
        const int64_t plane = h_ * w_;
        vectors(x.c * plane, [&](int64_t begin, int64_t end) { prelu_avx512(p, s, plane, begin, end); });
        return;
    }
#endif
    try {
        const std::string key = shape_key("prelu", x.c, h_, w_);
        // Slopes as a [1, c, 1, 1] map in the blocked layout: the JIT kernel needs that (a plain
        // slope vector sends oneDNN 2.6 to its reference kernel, 20x slower).
        const memory::desc sd({1, x.c, 1, 1}, Dt::f32, Tag::nChw16c);
        auto [prim, bytes] = chain_.cached(key, [&] {
            dnnl::primitive_attr attr;
            attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
            dnnl::prelu_forward::desc d(dnnl::prop_kind::forward_inference, blocked(x.c, h_, w_), sd);
            dnnl::prelu_forward::primitive_desc pd(d, attr, chain_.eng_);
            return std::make_pair(dnnl::primitive(dnnl::prelu_forward(pd)), pd.scratchpad_desc().get_size());
        });
        // [1, c, 1, 1] in nChw16c is the plain vector (c a multiple of 16).
        const at::Tensor sl = slope.to(at::kFloat).contiguous();
        prim.execute(s_, {{DNNL_ARG_SRC, mem(x)},
                          {DNNL_ARG_WEIGHTS, memory(sd, chain_.eng_, sl.data_ptr())},
                          {DNNL_ARG_DST, mem(x)},
                          {DNNL_ARG_SCRATCHPAD, scratch(bytes)}});
    } catch (const dnnl::error& e) {
        rethrow(e, "prelu");
    }
}

}  // namespace upres::nn::onednn
