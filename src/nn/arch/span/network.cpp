#include "nn/arch/span/conv3xc.hpp"
#include "nn/arch/span/span.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

#if UPRES_WITH_DNNL
#include "nn/cpu_features.hpp"
#include "nn/onednn_chain.hpp"
#endif

namespace upres::nn::arch::span {

namespace {

class Span : public Network {
public:
    Span(const Params& p, Weights w, bool onednn) : p_(p) {
#if UPRES_WITH_DNNL
        // fp32 on the CPU with a feature width that is a multiple of 16: everything after conv_1
        // through oneDNN (onednn_chain.hpp) on blocked maps: the 3x3 convolutions by Winograd, SiLU
        // and the attention by eltwise / binary passes, conv_cat over a free concatenation.
        const at::Tensor& first = get(w, p_.convs[0].name + ".eval_conv.weight");
        if (onednn && cpu_runs_blocked_onednn() && first.device().is_cpu() && first.scalar_type() == at::kFloat && p_.feat % onednn::kBlock == 0) {
            chain_ = std::make_unique<onednn::Chain>();
            for (size_t i = 0; i < p_.convs.size(); ++i) {
                const std::string n = p_.convs[i].name + ".eval_conv";
                chain_->add_conv(get(w, n + ".weight"), get(w, n + ".bias"));
            }
            cat_ = chain_->add_conv(get(w, "conv_cat.weight"), get(w, "conv_cat.bias"));
            const at::Tensor& up = get(w, "upsampler.0.weight");
            if (up.size(0) % onednn::kBlock == 0) up_ = chain_->add_conv(up, get(w, "upsampler.0.bias"));
        }
#else
        (void)onednn;
#endif
        w_ = std::move(w);
    }

    at::Tensor forward(const at::Tensor& input) const override {
        at::Tensor x = input;
        if (p_.norm) {
            const at::Tensor mean = at::tensor(at::ArrayRef<float>(kMean, 3)).view({1, 3, 1, 1}).to(x.device(), x.scalar_type());
            x = (x - mean) * kImgRange;
        }
#if UPRES_WITH_DNNL
        if (chain_) return forward_onednn(x);
#endif
        const at::Tensor feature = conv3(0, x);
        at::Tensor b = feature, out1, first;
        for (int i = 0; i < kBlocks; ++i) {
            // SPAB. The official code's SiLU runs in place on out1, so the block's second output
            // (the block_6 one conv_cat reads) is SiLU(out1).
            out1 = conv3(1 + 3 * i, b);
            at::silu_(out1);
            at::Tensor out2 = conv3(2 + 3 * i, out1);
            at::silu_(out2);
            at::Tensor out3 = conv3(3 + 3 * i, out2);
            at::Tensor att = at::sigmoid(out3);
            att.sub_(0.5);
            out3.add_(b).mul_(att);
            b = out3;
            if (i == 0) first = b;
        }
        const at::Tensor last = conv3(1 + 3 * kBlocks, b);
        at::Tensor y = conv(w_, "conv_cat", at::cat({feature, last, first, out1}, 1));
        return at::pixel_shuffle(conv(w_, "upsampler.0", y), p_.scale);
    }

private:
    at::Tensor conv3(size_t i, const at::Tensor& x) const { return conv(w_, p_.convs[i].name + ".eval_conv", x); }

#if UPRES_WITH_DNNL
    // From the (normalised) input to the output. conv_cat's input is one
    // 4 x feat map whose quarters are the four maps it concatenates: feature, conv_2's output, the
    // first block's output and the last block's SiLU(out1); the blocks work in those quarters and
    // in three scratch maps.
    at::Tensor forward_onednn(const at::Tensor& input) const {
        const int64_t c = p_.feat;
        onednn::Chain::Run r(*chain_, input.size(2), input.size(3));
        const onednn::Map cat = r.map(4 * c);
        const onednn::Map f = r.slice(cat, 0, c), last = r.slice(cat, c, c), first = r.slice(cat, 2 * c, c),
                          out1 = r.slice(cat, 3 * c, c);
        r.conv_from(0, input, f);  // conv_1
        const onednn::Map x = r.map(c), out2 = r.map(c), out3 = r.map(c);
        onednn::Map b = f;
        for (int i = 0; i < kBlocks; ++i) {
            const int k = 1 + 3 * i;  // chain layers: block i's c1_r, c2_r, c3_r
            r.conv(k, b, out1);
            r.silu(out1);
            r.conv(k + 1, out1, out2);
            r.silu(out2);
            r.conv(k + 2, out2, out3);
            const onednn::Map& next = i == 0 ? first : x;
            r.span_attention(out3, b, next, out2);
            b = next;
        }
        r.conv(1 + 3 * kBlocks, b, last);  // conv_2
        const onednn::Map y = r.map(c);
        r.conv(cat_, cat, y);
        if (up_ < 0) return at::pixel_shuffle(conv(w_, "upsampler.0", r.out(y, at::MemoryFormat::ChannelsLast)), p_.scale);
        const onednn::Map up = r.map(get(w_, "upsampler.0.weight").size(0));
        r.conv(up_, y, up);
        return r.out_shuffled(up, p_.scale);
    }

    std::unique_ptr<onednn::Chain> chain_;  // layers: conv_1, the 18 block convolutions, conv_2, conv_cat, upsampler
    int cat_ = -1, up_ = -1;                // conv_cat's and the upsampler's layers (-1: the upsampler in ATen)
#endif

    Params p_;
    Weights w_;
};

}  // namespace

// Conv3XC's re-parameterisation: 1x1 (w1, b1) -> 3x3 (w2, b2) -> 1x1 (w3, b3), plus the 1x1 skip
// (sk) at the kernel's centre, as one 3x3 convolution. Composed in float64, then rounded once.
void merge(Weights& w, const Conv3xc& c) {
    const std::string p = c.name + ".";
    auto d = [&](const std::string& key) { return get(w, p + key).to(at::kDouble); };
    const at::Tensor w1 = d("conv.0.weight").flatten(1), b1 = d("conv.0.bias");  // [m1, in], [m1]
    const at::Tensor w2 = d("conv.1.weight"), b2 = d("conv.1.bias");              // [m2, m1, 3, 3], [m2]
    const at::Tensor w3 = d("conv.2.weight").flatten(1), b3 = d("conv.2.bias");  // [out, m2], [out]
    const at::Tensor sk = d("sk.weight").flatten(1), skb = d("sk.bias");          // [out, in], [out]
    // weight[o, i, y, x] = sum_b,a w3[o, b] w2[b, a, y, x] w1[a, i]
    at::Tensor weight = at::einsum("ob,bayx,ai->oiyx", {w3, w2, w1}).contiguous();
    weight.select(3, 1).select(2, 1).add_(sk);
    // bias = w3 (b2 + sum_a,y,x w2[., a, y, x] b1[a]) + b3 + sk.bias
    const at::Tensor mid = b2 + at::matmul(w2.sum({2, 3}), b1);
    const at::Tensor bias = at::matmul(w3, mid) + b3 + skb;
    for (const char* part : {"sk", "conv.0", "conv.1", "conv.2"}) {
        w.erase(p + part + ".weight");
        w.erase(p + part + ".bias");
    }
    w[p + "eval_conv.weight"] = weight.to(at::kFloat);
    w[p + "eval_conv.bias"] = bias.to(at::kFloat);
}

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    const Params p = params(m.tensors, "SPAN");
    Weights w = load_weights(m.tensors);
    for (const Conv3xc& c : p.convs)
        if (c.from_parts) merge(w, c);
    w.erase("no_norm");
    return std::make_unique<Span>(p, place(std::move(w), device_of(s), dtype_of(s)), s.onednn);
}

}  // namespace upres::nn::arch::span
