#include "nn/arch/span/span.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::span {

namespace {

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

class Span : public Network {
public:
    Span(const Params& p, Weights w) : p_(p), w_(std::move(w)) {}

    at::Tensor forward(const at::Tensor& input) const override {
        at::Tensor x = input;
        if (p_.norm) {
            const at::Tensor mean = at::tensor(at::ArrayRef<float>(kMean, 3)).view({1, 3, 1, 1}).to(x.device(), x.scalar_type());
            x = (x - mean) * kImgRange;
        }
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

    Params p_;
    Weights w_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    const Params p = params(m.tensors, "SPAN");
    Weights w = load_weights(m.tensors);
    for (const Conv3xc& c : p.convs)
        if (c.from_parts) merge(w, c);
    w.erase("no_norm");
    return std::make_unique<Span>(p, place(std::move(w), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::span
