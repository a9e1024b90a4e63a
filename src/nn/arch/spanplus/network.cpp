#include "nn/arch/plksr/dysample.hpp"
#include "nn/arch/span/conv3xc.hpp"
#include "nn/arch/spanplus/spanplus.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

#if UPRES_WITH_DNNL
#include "nn/cpu_features.hpp"
#include "nn/onednn_chain.hpp"
#endif

namespace upres::nn::arch::spanplus {

namespace {

// Mish in place; as x tanh(softplus(x)) where ATen has no Mish kernel for the type (bf16 on the
// CPU in libtorch 1.13).
void mish(at::Tensor& t) {
    if (t.is_cpu() && t.scalar_type() == at::kBFloat16) t.mul_(at::softplus(t).tanh_());
    else at::mish_(t);
}

class SpanPlus : public Network {
public:
    SpanPlus(Params p, Weights w, bool onednn) : p_(std::move(p)) {
#if UPRES_WITH_DNNL
        // fp32 on the CPU with a feature width that is a multiple of 16: the stages through oneDNN
        // (onednn_chain.hpp) as SPAN's are: the 3x3 convolutions by Winograd, Mish and the
        // attention as passes over blocked maps, each conv_cat over a free concatenation.
        const at::Tensor& first = get(w, p_.convs[0].name + ".eval_conv.weight");
        if (onednn && cpu_runs_blocked_onednn() && first.device().is_cpu() && first.scalar_type() == at::kFloat && p_.feat % onednn::kBlock == 0) {
            chain_ = std::make_unique<onednn::Chain>();
            for (const span::Conv3xc& c : p_.convs) chain_->add_conv(get(w, c.name + ".eval_conv.weight"), get(w, c.name + ".eval_conv.bias"));
            for (size_t s = 0; s < p_.blocks.size(); ++s) {
                const std::string n = "feats." + std::to_string(s + 1) + ".conv_cat";
                cat_.push_back(chain_->add_conv(get(w, n + ".weight"), get(w, n + ".bias")));
            }
            if (p_.up == Upsampler::pixel_shuffle && get(w, "upsampler.0.weight").size(0) % onednn::kBlock == 0)
                up_ = chain_->add_conv(get(w, "upsampler.0.weight"), get(w, "upsampler.0.bias"));
            if (p_.up == Upsampler::dysample && p_.out * kDyGroups <= onednn::kBlock) {
                // DySample's three 1x1 convolutions as one layer: offset (8 s^2 outputs), scope
                // (8 s^2) and the grouped end_conv (4 x out, block-diagonal, zero-padded to 16).
                const int64_t n = 8 * int64_t(p_.scale) * p_.scale, c = p_.feat, cg = c / kDyGroups;
                at::Tensor weight = at::zeros({2 * n + onednn::kBlock, c, 1, 1}, at::kFloat);
                at::Tensor bias = at::zeros({2 * n + onednn::kBlock}, at::kFloat);
                weight.narrow(0, 0, n).copy_(get(w, "upsampler.offset.weight"));
                bias.narrow(0, 0, n).copy_(get(w, "upsampler.offset.bias"));
                weight.narrow(0, n, n).copy_(get(w, "upsampler.scope.weight"));
                const at::Tensor grouped = dysample_grouped_end_conv(w, dy());  // [4 out, c / 4, 1, 1]
                for (int64_t g = 0; g < kDyGroups; ++g)
                    weight.narrow(0, 2 * n + g * p_.out, p_.out).narrow(1, g * cg, cg).copy_(grouped.narrow(0, g * p_.out, p_.out));
                dy_ = chain_->add_conv(weight.contiguous(at::MemoryFormat::ChannelsLast), bias);
            }
        }
#else
        (void)onednn;
#endif
        w_ = std::move(w);
    }

    at::Tensor forward(const at::Tensor& x) const override {
#if UPRES_WITH_DNNL
        if (chain_) return forward_onednn(x);
#endif
        at::Tensor f = conv3(0, x);
        size_t i = 1;  // the next Conv3XC
        for (size_t s = 0; s < p_.blocks.size(); ++s) {
            const at::Tensor in = f;
            const at::Tensor first = spab(i, in, nullptr);
            at::Tensor b = first, act1;
            for (int j = 0; j < p_.blocks[s]; ++j) b = spab(i, b, nullptr);
            b = spab(i, b, &act1);  // block_end
            const at::Tensor last = conv3(i++, b);  // conv_2
            f = conv(w_, "feats." + std::to_string(s + 1) + ".conv_cat", at::cat({in, last, first, act1}, 1));
        }
        return upsample(f);
    }

private:
    at::Tensor upsample(const at::Tensor& f) const {
        switch (p_.up) {
            case Upsampler::pixel_shuffle: return at::pixel_shuffle(conv(w_, "upsampler.0", f), p_.scale);
            case Upsampler::conv: return conv(w_, "upsampler", f);
            case Upsampler::dysample: break;
        }
        return dysample(w_, dy(), f);
    }

    // align_corners off, as SPANPlus is trained (umzi2's and traiNNer-redux's DySample): the
    // positions do not depend on the map's size, so tiles agree with the whole image.
    DySample dy() const { return {"upsampler.", p_.scale, kDyGroups, true, /*align_corners=*/false}; }

    at::Tensor conv3(size_t i, const at::Tensor& x) const { return conv(w_, p_.convs[i].name + ".eval_conv", x); }

    // One SPAB (convolutions i, i+1, i+2; i moves past them). `act1`, when given, receives
    // Mish(out1), the block's second output.
    at::Tensor spab(size_t& i, const at::Tensor& x, at::Tensor* act1) const {
        at::Tensor out1 = conv3(i, x);
        mish(out1);
        at::Tensor out2 = conv3(i + 1, out1);
        mish(out2);
        at::Tensor out3 = conv3(i + 2, out2);
        i += 3;
        at::Tensor att = at::sigmoid(out3);
        att.sub_(0.5);
        out3.add_(x).mul_(att);
        if (act1) *act1 = out1;
        return out3;
    }

#if UPRES_WITH_DNNL
    // One SPAB on blocked maps (layers i, i+1, i+2; i moves past them): dst = the block's output,
    // out1 = Mish(c1_r x) (block_end's is conv_cat's fourth quarter), out2 and out3 scratch.
    void spab(onednn::Chain::Run& r, size_t& i, const onednn::Map& x, const onednn::Map& dst, const onednn::Map& out1,
              const onednn::Map& out2, const onednn::Map& out3) const {
        r.conv(int(i), x, out1);
        r.eltwise(dnnl::algorithm::eltwise_mish, 0.0f, 0.0f, out1, out1);
        r.conv(int(i + 1), out1, out2);
        r.eltwise(dnnl::algorithm::eltwise_mish, 0.0f, 0.0f, out2, out2);
        r.conv(int(i + 2), out2, out3);
        r.span_attention(out3, x, dst, out2);
        i += 3;
    }

    // Each stage works in one 4 x feat map whose quarters are conv_cat's inputs: the stage's input
    // (written there by the layer before), conv_2's output, block_1's output and block_end's
    // Mish(out1); the SPABs between pass their maps through two scratch maps.
    at::Tensor forward_onednn(const at::Tensor& input) const {
        const int64_t c = p_.feat;
        onednn::Chain::Run r(*chain_, input.size(2), input.size(3));
        const onednn::Map out1 = r.map(c), out2 = r.map(c), out3 = r.map(c), a = r.map(c), b = r.map(c);
        onednn::Map cat = r.map(4 * c), next = p_.blocks.size() > 1 ? r.map(4 * c) : onednn::Map();
        r.conv_from(0, input, r.slice(cat, 0, c));  // feats.0
        size_t i = 1;
        onednn::Map y;
        for (size_t s = 0; s < p_.blocks.size(); ++s) {
            const onednn::Map in = r.slice(cat, 0, c), last = r.slice(cat, c, c), first = r.slice(cat, 2 * c, c),
                              act1 = r.slice(cat, 3 * c, c);
            spab(r, i, in, first, out1, out2, out3);  // block_1
            const int m = p_.blocks[s];
            for (int j = 0; j < m; ++j) spab(r, i, j == 0 ? first : j % 2 ? a : b, j % 2 ? b : a, out1, out2, out3);
            const onednn::Map& x = m == 0 ? first : m % 2 ? a : b;  // the last block_n's output
            const onednn::Map& end = m % 2 ? b : a;
            spab(r, i, x, end, act1, out2, out3);  // block_end
            r.conv(int(i++), end, last);           // conv_2
            if (s + 1 == p_.blocks.size()) {
                y = r.map(c);
                r.conv(cat_[s], cat, y);
            } else {
                r.conv(cat_[s], cat, r.slice(next, 0, c));
                std::swap(cat, next);
            }
        }
        if (up_ >= 0) {
            const onednn::Map up = r.map(get(w_, "upsampler.0.weight").size(0));
            r.conv(up_, y, up);
            return r.out_shuffled(up, p_.scale);
        }
        if (dy_ >= 0) {
            const int64_t n = 8 * int64_t(p_.scale) * p_.scale;
            const onednn::Map u = r.map(2 * n + onednn::kBlock);
            r.conv(dy_, y, u);
            const at::Tensor t = r.out(u, at::MemoryFormat::ChannelsLast);
            return dysample_from(w_, dy(), t.narrow(1, 0, n), t.narrow(1, n, n), t.narrow(1, 2 * n, kDyGroups * p_.out), at::kFloat);
        }
        return upsample(r.out(y, at::MemoryFormat::ChannelsLast));
    }

    std::unique_ptr<onednn::Chain> chain_;  // layers: the Conv3XCs in order, each stage's conv_cat, the upsampler
    std::vector<int> cat_;                  // each stage's conv_cat layer
    int up_ = -1;                           // the pixel-shuffle upsampler's layer (-1: in ATen)
    int dy_ = -1;                           // DySample's 1x1 convolutions as one layer (-1: in ATen)
#endif

    Params p_;
    Weights w_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    const Params p = params(m.tensors, "SPANPlus");
    Weights w = load_weights(m.tensors);
    for (const span::Conv3xc& c : p.convs)
        if (c.from_parts) span::merge(w, c);
    return std::make_unique<SpanPlus>(p, place(std::move(w), device_of(s), dtype_of(s)), s.onednn);
}

}  // namespace upres::nn::arch::spanplus
