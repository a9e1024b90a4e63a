#include "nn/arch/drct/drct.hpp"
#include "nn/arch/swinir/swin.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::drct {

namespace {

struct Block {
    swin::Attention attn;
    at::Tensor norm1_w, norm1_b, norm2_w, norm2_b;  // fp32
    at::Tensor fc1_w, fc1_b, fc2_w, fc2_b;
    at::Tensor adjust_w, adjust_b;  // the 1x1 conv after the block, as a linear layer
    int64_t shift = 0;
};

class DRCT : public Network {
public:
    DRCT(const Params& p, const Weights& f32, const at::Device& device, at::ScalarType dtype) : p_(p) {
        // Layer norms stay fp32 (they run in fp32); everything else in the run's dtype.
        auto norm = [&](const std::string& n) { return get(f32, n).to(device, at::kFloat).contiguous(); };
        auto placed = [&](const std::string& n) { return get(f32, n).to(device, dtype).contiguous(); };
        auto linear = [&](const at::Tensor& w) { return swin::linear_weight(w, device, dtype); };
        Weights convs;
        for (const auto& [key, x] : f32)
            if (key.rfind("layers.", 0) != 0 && key.rfind("norm.", 0) != 0 && key.rfind("patch_embed.", 0) != 0) convs.emplace(key, x);
        w_ = place(std::move(convs), device, dtype);
        if (p_.patch_norm) embed_norm_w_ = norm("patch_embed.norm.weight"), embed_norm_b_ = norm("patch_embed.norm.bias");
        norm_w_ = norm("norm.weight");
        norm_b_ = norm("norm.bias");
        for (size_t l = 0; l < p_.heads.size(); ++l) {
            std::vector<Block> blocks;
            for (int b = 0; b < kBlocks; ++b) {
                const std::string q = "layers." + std::to_string(l) + ".swin" + std::to_string(b + 1) + ".";
                const std::string adjust = "layers." + std::to_string(l) + ".adjust" + std::to_string(b + 1) + ".";
                Block k;
                k.attn = swin::prepare_attention(get(f32, q + "attn.qkv.weight"), maybe(f32, q + "attn.qkv.bias"),
                                                 get(f32, q + "attn.proj.weight"), get(f32, q + "attn.proj.bias"),
                                                 get(f32, q + "attn.relative_position_bias_table"), p_.window, device, dtype);
                k.norm1_w = norm(q + "norm1.weight"), k.norm1_b = norm(q + "norm1.bias");
                k.norm2_w = norm(q + "norm2.weight"), k.norm2_b = norm(q + "norm2.bias");
                k.fc1_w = linear(get(f32, q + "mlp.fc1.weight")), k.fc1_b = placed(q + "mlp.fc1.bias");
                k.fc2_w = linear(get(f32, q + "mlp.fc2.weight")), k.fc2_b = placed(q + "mlp.fc2.bias");
                const at::Tensor& aw = get(f32, adjust + "weight");
                k.adjust_w = linear(aw.reshape({aw.size(0), aw.size(1)}));
                k.adjust_b = placed(adjust + "bias");
                k.shift = b % 2 ? p_.window / 2 : 0;  // swin2 and swin4 shift by half a window
                blocks.push_back(std::move(k));
            }
            groups_.push_back(std::move(blocks));
        }
    }

    at::Tensor forward(const at::Tensor& input) const override {
        // The runner pads to the window multiple already (reflect, as pre_process); a direct caller
        // may not have.
        const int64_t h0 = input.size(2), w0 = input.size(3), m = p_.window;
        const int64_t ph = (m - h0 % m) % m, pw = (m - w0 % m) % m;
        at::Tensor x = input;
        if (ph || pw) {
            const std::vector<int64_t> pad{0, pw, 0, ph};
            x = ph < h0 && pw < w0 ? at::reflection_pad2d(x, at::IntArrayRef(pad)) : at::replication_pad2d(x, at::IntArrayRef(pad));
        }
        const int64_t h = x.size(2), w = x.size(3);
        const at::Tensor first = conv(w_, "conv_first", x);
        at::Tensor y = features(first, h, w);
        y = (p_.conv_after_body ? conv(w_, "conv_after_body", y) : y.contiguous(at::MemoryFormat::ChannelsLast)).add_(first);
        y = lrelu(conv(w_, "conv_before_upsample.0", y), 0.01);
        for (int i = 0; i < p_.ups; ++i) y = at::pixel_shuffle(conv(w_, "upsample." + std::to_string(2 * i), y), p_.scale == 3 ? 3 : 2);
        at::Tensor out = conv(w_, "conv_last", y);
        if (ph || pw) out = out.slice(2, 0, h0 * p_.scale).slice(3, 0, w0 * p_.scale);
        return out;
    }

private:
    // The deep features: tokens through the RDGs and the final norm, back as an image.
    at::Tensor features(const at::Tensor& first, int64_t h, int64_t w) const {
        at::Tensor t = swin::tokens(first).contiguous();
        if (p_.patch_norm) t = swin::layer_norm(t, embed_norm_w_, embed_norm_b_);
        // The shifted windows' mask for this size (the same for every shifted block).
        const at::Tensor mask = swin::shifted_window_mask(h, w, p_.window, p_.window / 2, first.device());
        const int64_t e = p_.embed, gc = p_.gc, wide = p_.width(kBlocks - 1);
        for (const std::vector<Block>& blocks : groups_) {
            // The dense concatenation [x, x1, .., x4] in one buffer: block k reads its first
            // width(k) channels and its adjust conv writes the next gc.
            at::Tensor dense = at::empty({t.size(0), t.size(1), wide}, t.options());
            dense.narrow(2, 0, e).copy_(t);
            for (int b = 0; b < kBlocks; ++b) {
                const Block& k = blocks[size_t(b)];
                const at::Tensor in = dense.narrow(2, 0, p_.width(b));
                at::Tensor s = swin::shifted_window_attention(swin::layer_norm(in, k.norm1_w, k.norm1_b), h, w, p_.window, k.shift, k.attn, mask)
                                   .add_(in);
                swin::add_mlp_(s, k.norm2_w, k.norm2_b, k.fc1_w, k.fc1_b, k.fc2_w, k.fc2_b);
                at::Tensor a = swin::linear(s, k.adjust_w, k.adjust_b);
                if (b + 1 < kBlocks) {
                    dense.narrow(2, p_.width(b + 1) - gc, gc).copy_(lrelu(a, 0.2));
                } else {
                    t = a.mul_(0.2).add_(t);  // the group's residual, scaled
                }
            }
        }
        return swin::image(swin::layer_norm(t, norm_w_, norm_b_), h, w);
    }

    Params p_;
    Weights w_;  // the convolutions
    at::Tensor embed_norm_w_, embed_norm_b_, norm_w_, norm_b_;
    std::vector<std::vector<Block>> groups_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<DRCT>(params(m.tensors, "DRCT"), load_weights(m.tensors), device_of(s), dtype_of(s));
}

}  // namespace upres::nn::arch::drct
