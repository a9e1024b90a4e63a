#include "nn/arch/swinir/swin.hpp"
#include "nn/arch/swinir/swinir.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::swinir {

namespace {

struct Block {
    swin::Attention attn;
    at::Tensor norm1_w, norm1_b, norm2_w, norm2_b;  // fp32
    at::Tensor fc1_w, fc1_b, fc2_w, fc2_b;
    int64_t shift = 0;
};

class SwinIR : public Network {
public:
    SwinIR(const Params& p, const Weights& f32, const at::Device& device, at::ScalarType dtype) : p_(p) {
        // Layer norms stay fp32 (they run in fp32); everything else in the run's dtype.
        auto norm = [&](const std::string& n) { return get(f32, n).to(device, at::kFloat).contiguous(); };
        Weights convs;
        for (const auto& [key, x] : f32)
            if (key.find(".residual_group.") == std::string::npos && key.rfind("norm.", 0) != 0 && key.rfind("patch_embed.", 0) != 0)
                convs.emplace(key, x);
        w_ = place(std::move(convs), device, dtype);
        if (p_.patch_norm) embed_norm_w_ = norm("patch_embed.norm.weight"), embed_norm_b_ = norm("patch_embed.norm.bias");
        norm_w_ = norm("norm.weight");
        norm_b_ = norm("norm.bias");
        auto placed = [&](const std::string& n) { return get(f32, n).to(device, dtype).contiguous(); };
        auto linear = [&](const std::string& n) { return swin::linear_weight(get(f32, n), device, dtype); };
        for (size_t l = 0; l < p_.depths.size(); ++l) {
            std::vector<Block> blocks;
            for (int b = 0; b < p_.depths[l]; ++b) {
                const std::string q = "layers." + std::to_string(l) + ".residual_group.blocks." + std::to_string(b) + ".";
                Block k;
                k.attn = swin::prepare_attention(get(f32, q + "attn.qkv.weight"), maybe(f32, q + "attn.qkv.bias"),
                                                 get(f32, q + "attn.proj.weight"), get(f32, q + "attn.proj.bias"),
                                                 get(f32, q + "attn.relative_position_bias_table"), p_.window, device, dtype);
                k.norm1_w = norm(q + "norm1.weight"), k.norm1_b = norm(q + "norm1.bias");
                k.norm2_w = norm(q + "norm2.weight"), k.norm2_b = norm(q + "norm2.bias");
                k.fc1_w = linear(q + "mlp.fc1.weight"), k.fc1_b = placed(q + "mlp.fc1.bias");
                k.fc2_w = linear(q + "mlp.fc2.weight"), k.fc2_b = placed(q + "mlp.fc2.bias");
                k.shift = b % 2 ? p_.window / 2 : 0;  // BasicLayer: odd blocks shift by half a window
                blocks.push_back(std::move(k));
            }
            layers_.push_back(std::move(blocks));
        }
    }

    at::Tensor forward(const at::Tensor& input) const override {
        // The runner pads to the window multiple already (reflect, as check_image_size); a direct
        // caller may not have.
        const int64_t h0 = input.size(2), w0 = input.size(3), m = p_.window;
        const int64_t ph = (m - h0 % m) % m, pw = (m - w0 % m) % m;
        at::Tensor x = input;
        if (ph || pw) {
            const std::vector<int64_t> pad{0, pw, 0, ph};
            x = ph < h0 && pw < w0 ? at::reflection_pad2d(x, at::IntArrayRef(pad)) : at::replication_pad2d(x, at::IntArrayRef(pad));
        }
        const int64_t h = x.size(2), w = x.size(3);
        const at::Tensor first = conv(w_, "conv_first", x);
        at::Tensor y = conv_tail("conv_after_body", features(first, h, w)).add_(first);
        at::Tensor out;
        switch (p_.upsampler) {
            case Upsampler::pixelshuffle: {
                y = lrelu(conv(w_, "conv_before_upsample.0", y), 0.01);
                for (int i = 0; i < p_.ups; ++i) y = at::pixel_shuffle(conv(w_, "upsample." + std::to_string(2 * i), y), p_.scale == 3 ? 3 : 2);
                out = conv(w_, "conv_last", y);
                break;
            }
            case Upsampler::pixelshuffledirect: out = at::pixel_shuffle(conv(w_, "upsample.0", y), p_.scale); break;
            case Upsampler::nearest_conv: {
                y = lrelu(conv(w_, "conv_before_upsample.0", y), 0.01);
                for (int i = 1; i <= p_.ups; ++i) {
                    const std::vector<int64_t> size{y.size(2) * 2, y.size(3) * 2};
                    y = lrelu(conv(w_, "conv_up" + std::to_string(i), at::upsample_nearest2d(y, at::IntArrayRef(size))), 0.2);
                }
                out = conv(w_, "conv_last", lrelu(conv(w_, "conv_hr", y), 0.2));
                break;
            }
            case Upsampler::none: out = conv(w_, "conv_last", y).add_(x); break;
        }
        if (ph || pw) out = out.slice(2, 0, h0 * p_.scale).slice(3, 0, w0 * p_.scale);
        return out;
    }

private:
    // The deep features: tokens through the RSTBs and the final norm, back as an image.
    at::Tensor features(const at::Tensor& first, int64_t h, int64_t w) const {
        at::Tensor t = swin::tokens(first);
        if (p_.patch_norm) t = swin::layer_norm(t, embed_norm_w_, embed_norm_b_);
        // The shifted windows' mask for this size (the same for every shifted block).
        const at::Tensor mask = swin::shifted_window_mask(h, w, p_.window, p_.window / 2, first.device());
        for (size_t l = 0; l < layers_.size(); ++l) {
            const at::Tensor skip = t;
            for (const Block& b : layers_[l]) {
                t = swin::shifted_window_attention(swin::layer_norm(t, b.norm1_w, b.norm1_b), h, w, p_.window, b.shift, b.attn, mask)
                        .add_(t);
                swin::add_mlp_(t, b.norm2_w, b.norm2_b, b.fc1_w, b.fc1_b, b.fc2_w, b.fc2_b);
            }
            t = swin::tokens(conv_tail("layers." + std::to_string(l) + ".conv", swin::image(t, h, w)));
            t = t.add_(skip);
        }
        return swin::image(swin::layer_norm(t, norm_w_, norm_b_), h, w);
    }

    // resi_connection: one 3x3 conv, or 3x3 to dim/4, LeakyReLU 0.2, 1x1, LeakyReLU 0.2, 3x3 back.
    at::Tensor conv_tail(const std::string& n, const at::Tensor& x) const {
        if (!p_.three_conv) return conv(w_, n, x);
        at::Tensor y = lrelu(conv(w_, n + ".0", x), 0.2);
        y = lrelu(conv(w_, n + ".2", y), 0.2);
        return conv(w_, n + ".4", y);
    }

    Params p_;
    Weights w_;  // the convolutions
    at::Tensor embed_norm_w_, embed_norm_b_, norm_w_, norm_b_;
    std::vector<std::vector<Block>> layers_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<SwinIR>(params(m.tensors, m.metadata, "SwinIR"), load_weights(m.tensors), device_of(s), dtype_of(s));
}

}  // namespace upres::nn::arch::swinir
