#include "nn/arch/hat/hat.hpp"
#include "nn/arch/swinir/swin.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::hat {

namespace {

struct Norm {
    at::Tensor w, b;  // fp32
};

struct Mlp {
    Norm norm;  // the norm before it (norm2)
    at::Tensor fc1_w, fc1_b, fc2_w, fc2_b;
};

struct Block {
    swin::Attention attn;
    Norm norm1;
    Mlp mlp;
    std::string cab;  // the conv_block's prefix in the convolution weights
    int64_t shift = 0;
};

struct Group {
    std::vector<Block> blocks;
    swin::Attention overlap;  // OCAB
    Norm norm1;
    Mlp mlp;
};

class Hat : public Network {
public:
    Hat(const Params& p, const Weights& f32, const at::Device& device, at::ScalarType dtype) : p_(p) {
        // Layer norms stay fp32 (they run in fp32); the rest in the run's dtype. The convolutions
        // (CAB's included) as Weights; the linear layers and tables prepared per block.
        auto norm = [&](const std::string& n) {
            return Norm{get(f32, n + ".weight").to(device, at::kFloat).contiguous(), get(f32, n + ".bias").to(device, at::kFloat).contiguous()};
        };
        auto placed = [&](const std::string& n) { return get(f32, n).to(device, dtype).contiguous(); };
        auto linear = [&](const std::string& n) { return swin::linear_weight(get(f32, n), device, dtype); };
        auto mlp = [&](const std::string& q, const std::string& norm_name) {
            return Mlp{norm(q + norm_name), linear(q + "mlp.fc1.weight"), placed(q + "mlp.fc1.bias"), linear(q + "mlp.fc2.weight"),
                       placed(q + "mlp.fc2.bias")};
        };
        Weights convs;
        for (const auto& [key, x] : f32) {
            const bool group = key.find(".residual_group.") != std::string::npos;
            if (group ? key.find(".conv_block.") != std::string::npos : key.rfind("norm.", 0) != 0 && key.rfind("patch_embed.", 0) != 0)
                convs.emplace(key, x);
        }
        w_ = place(std::move(convs), device, dtype);
        if (p_.patch_norm) embed_norm_ = norm("patch_embed.norm");
        norm_ = norm("norm");
        const at::Tensor oca_index = swin::overlap_position_index(p_.window, p_.overlap);
        for (size_t l = 0; l < p_.depths.size(); ++l) {
            const std::string gp = "layers." + std::to_string(l) + ".residual_group.";
            Group g;
            for (int b = 0; b < p_.depths[l]; ++b) {
                const std::string q = gp + "blocks." + std::to_string(b) + ".";
                Block k;
                k.attn = swin::prepare_attention(get(f32, q + "attn.qkv.weight"), maybe(f32, q + "attn.qkv.bias"),
                                                 get(f32, q + "attn.proj.weight"), get(f32, q + "attn.proj.bias"),
                                                 get(f32, q + "attn.relative_position_bias_table"), p_.window, device, dtype);
                k.norm1 = norm(q + "norm1");
                k.mlp = mlp(q, "norm2");
                k.cab = q + "conv_block.cab.";
                k.shift = b % 2 ? p_.window / 2 : 0;  // odd blocks shift by half a window
                g.blocks.push_back(std::move(k));
            }
            const std::string o = gp + "overlap_attn.";
            const int64_t nq = int64_t(p_.window) * p_.window, nk = int64_t(p_.overlap) * p_.overlap;
            g.overlap = swin::prepare_attention(get(f32, o + "qkv.weight"), maybe(f32, o + "qkv.bias"), get(f32, o + "proj.weight"),
                                                get(f32, o + "proj.bias"), get(f32, o + "relative_position_bias_table"), oca_index, nq,
                                                nk, device, dtype);
            g.norm1 = norm(o + "norm1");
            g.mlp = mlp(o, "norm2");
            groups_.push_back(std::move(g));
        }
    }

    at::Tensor forward(const at::Tensor& x) const override { return forward_tiled(x, nullptr); }
    bool averages_whole_input() const override { return true; }

    at::Tensor forward_tiled(const at::Tensor& input, ImageStatistics* stats) const override {
        // The runner pads to the window multiple already (reflect, as hat_model.py); a direct
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
        at::Tensor y = features(first, h, w, stats);
        y = (p_.conv_tail ? conv(w_, "conv_after_body", y) : y).add_(first);
        y = lrelu(conv(w_, "conv_before_upsample.0", y), 0.01);
        for (int i = 0; i < p_.ups; ++i) y = at::pixel_shuffle(conv(w_, "upsample." + std::to_string(2 * i), y), p_.scale == 3 ? 3 : 2);
        at::Tensor out = conv(w_, "conv_last", y);
        if (ph || pw) out = out.slice(2, 0, h0 * p_.scale).slice(3, 0, w0 * p_.scale);
        return out;
    }

private:
    // The deep features: tokens through the RHAGs and the final norm, back as an image.
    at::Tensor features(const at::Tensor& first, int64_t h, int64_t w, ImageStatistics* stats) const {
        at::Tensor t = swin::tokens(first);
        if (p_.patch_norm) t = swin::layer_norm(t, embed_norm_.w, embed_norm_.b);
        // The shifted windows' mask for this size (the same for every shifted block).
        const at::Tensor mask = swin::shifted_window_mask(h, w, p_.window, p_.window / 2, first.device());
        for (size_t l = 0; l < groups_.size(); ++l) {
            const Group& g = groups_[l];
            const at::Tensor skip = t;
            for (const Block& b : g.blocks) {
                // Window attention and the channel-attention branch both read norm1's output.
                const at::Tensor n = swin::layer_norm(t, b.norm1.w, b.norm1.b);
                at::Tensor a = swin::shifted_window_attention(n, h, w, p_.window, b.shift, b.attn, mask);
                t = a.add_(swin::tokens(cab(swin::image(n, h, w), b.cab, stats))).add_(t);
                swin::add_mlp_(t, b.mlp.norm.w, b.mlp.norm.b, b.mlp.fc1_w, b.mlp.fc1_b, b.mlp.fc2_w, b.mlp.fc2_b);
            }
            const at::Tensor n = swin::layer_norm(t, g.norm1.w, g.norm1.b);
            t = swin::overlapping_window_attention(n, h, w, p_.window, p_.overlap, g.overlap).add_(t);
            swin::add_mlp_(t, g.mlp.norm.w, g.mlp.norm.b, g.mlp.fc1_w, g.mlp.fc1_b, g.mlp.fc2_w, g.mlp.fc2_b);
            if (p_.conv_tail) t = swin::tokens(conv(w_, "layers." + std::to_string(l) + ".conv", swin::image(t, h, w)));
            t = t.add_(skip);
        }
        return swin::image(swin::layer_norm(t, norm_.w, norm_.b), h, w);
    }

    // CAB on x [1, C, H, W]: 3x3 down, GELU, 3x3 up, then channel attention on the means over the
    // whole image (the runner's when tiled); the sigmoid's weights carry conv_scale.
    at::Tensor cab(const at::Tensor& x, const std::string& p, ImageStatistics* stats) const {
        at::Tensor r = conv(w_, p + "2", at::gelu(conv(w_, p + "0", x)));
        at::Tensor s = conv(w_, p + "3.attention.1", channel_means(r, stats).to(r.scalar_type()).view({1, -1, 1, 1}));
        at::relu_(s);
        s = at::sigmoid(conv(w_, p + "3.attention.3", s)).mul_(kConvScale);
        return r.mul_(s);
    }

    Params p_;
    Weights w_;  // the convolutions
    Norm embed_norm_, norm_;
    std::vector<Group> groups_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<Hat>(params(m.tensors, "HAT"), load_weights(m.tensors), device_of(s), dtype_of(s));
}

}  // namespace upres::nn::arch::hat
