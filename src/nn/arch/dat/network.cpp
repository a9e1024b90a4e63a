#include <cmath>

#include "nn/arch/dat/dat.hpp"
#include "nn/arch/swinir/swin.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::dat {

namespace {

constexpr double kBatchNormEps = 1e-5;

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Eval-mode BatchNorm `bn` folded into the convolution `conv` before it: {weight, bias}, fp32 CPU.
std::pair<at::Tensor, at::Tensor> fold(const Weights& w, const std::string& conv, const std::string& bn) {
    const at::Tensor scale = get(w, bn + ".weight") / at::sqrt(get(w, bn + ".running_var") + kBatchNormEps);
    const at::Tensor weight = get(w, conv + ".weight") * scale.view({-1, 1, 1, 1});
    const at::Tensor bias = (get(w, conv + ".bias") - get(w, bn + ".running_mean")) * scale + get(w, bn + ".bias");
    return {weight, bias};
}

// The adaptive interaction module's convolutions, BatchNorms folded.
struct Gates {
    at::Tensor dw_w, dw_b;                  // dwconv: depthwise 3x3 (channels-last)
    at::Tensor ch1_w, ch1_b, ch2_w, ch2_b;  // channel_interaction's 1x1s as linear layers
    at::Tensor sp1_w, sp1_b, sp2_w, sp2_b;  // spatial_interaction's
};

struct Block {
    bool spatial = true, shifted = false;
    at::Tensor norm1_w, norm1_b, norm2_w, norm2_b;  // fp32
    at::Tensor qkv_w, qkv_b, proj_w, proj_b;        // qkv_b may be undefined
    Gates gates;
    int64_t heads = 1;          // spatial: each branch's; channel: the attention's
    at::Tensor bias[2];         // spatial: each branch's relative position bias [1, heads, N, N]
    at::Tensor temperature;     // channel: [heads, 1, 1] fp32
    at::Tensor fc1_w, fc1_b, sg_norm_w, sg_norm_b, sg_w, sg_b, fc2_w, fc2_b;
};

class Dat : public Network {
public:
    Dat(const Params& p, const Weights& f32, const at::Device& device, at::ScalarType dtype) : p_(p) {
        fused_ = swin::use_fused_attention(dtype, device);
        auto norm = [&](const std::string& n) { return get(f32, n).to(device, at::kFloat).contiguous(); };
        auto placed = [&](const at::Tensor& x) { return x.to(device, dtype).contiguous(); };
        auto linear_w = [&](const at::Tensor& x) { return swin::linear_weight(x.reshape({x.size(0), x.size(1)}), device, dtype); };
        auto dw = [&](const at::Tensor& x) { return x.to(device, dtype).contiguous(at::MemoryFormat::ChannelsLast); };
        Weights convs;
        for (const auto& [key, x] : f32)
            if (key.rfind("layers.", 0) != 0 || key.find(".blocks.") == std::string::npos) convs.emplace(key, x);
        w_ = place(std::move(convs), device, dtype);
        before_w_ = norm("before_RG.1.weight"), before_b_ = norm("before_RG.1.bias");
        norm_w_ = norm("norm.weight"), norm_b_ = norm("norm.bias");
        const int64_t c = p_.embed, half = c / 2;
        for (size_t g = 0; g < p_.depths.size(); ++g) {
            std::vector<Block> blocks;
            for (int b = 0; b < p_.depths[g]; ++b) {
                const std::string q = "layers." + std::to_string(g) + ".blocks." + std::to_string(b) + ".", a = q + "attn.";
                Block k;
                k.spatial = b % 2 == 0;
                k.shifted = k.spatial && Params::shifted(int(g), b);
                k.norm1_w = norm(q + "norm1.weight"), k.norm1_b = norm(q + "norm1.bias");
                k.norm2_w = norm(q + "norm2.weight"), k.norm2_b = norm(q + "norm2.bias");
                at::Tensor qkv_w = get(f32, a + "qkv.weight"), qkv_b = maybe(f32, a + "qkv.bias");
                if (k.spatial) {
                    k.heads = p_.branch_heads[g];
                    // The queries carry head_dim^-0.5 (the fused path's default scale is the same).
                    if (!fused_) {
                        const double scale = 1.0 / std::sqrt(double(half / k.heads));
                        qkv_w = qkv_w.clone();
                        qkv_w.narrow(0, 0, c).mul_(scale);
                        if (qkv_b.defined()) {
                            qkv_b = qkv_b.clone();
                            qkv_b.narrow(0, 0, c).mul_(scale);
                        }
                    }
                    for (int br = 0; br < 2; ++br) {
                        const int64_t wh = br == 0 ? p_.split_h : p_.split_w, ww = br == 0 ? p_.split_w : p_.split_h;
                        const at::Tensor table = position_table(f32, a + "attns." + std::to_string(br) + ".pos.", wh, ww);
                        k.bias[br] = swin::relative_position_bias(table, wh, ww).to(device, fused_ ? dtype : at::kFloat);
                    }
                } else {
                    k.heads = p_.heads[g];
                    k.temperature = get(f32, a + "temperature").to(device, at::kFloat).contiguous();
                }
                k.qkv_w = swin::linear_weight(qkv_w, device, dtype);
                if (qkv_b.defined()) k.qkv_b = placed(qkv_b);
                k.proj_w = swin::linear_weight(get(f32, a + "proj.weight"), device, dtype);
                k.proj_b = placed(get(f32, a + "proj.bias"));
                auto [dw_w, dw_b] = fold(f32, a + "dwconv.0", a + "dwconv.1");
                k.gates.dw_w = dw(dw_w), k.gates.dw_b = placed(dw_b);
                auto [c1_w, c1_b] = fold(f32, a + "channel_interaction.1", a + "channel_interaction.2");
                k.gates.ch1_w = linear_w(c1_w), k.gates.ch1_b = placed(c1_b);
                k.gates.ch2_w = linear_w(get(f32, a + "channel_interaction.4.weight"));
                k.gates.ch2_b = placed(get(f32, a + "channel_interaction.4.bias"));
                auto [s1_w, s1_b] = fold(f32, a + "spatial_interaction.0", a + "spatial_interaction.1");
                k.gates.sp1_w = linear_w(s1_w), k.gates.sp1_b = placed(s1_b);
                k.gates.sp2_w = linear_w(get(f32, a + "spatial_interaction.3.weight"));
                k.gates.sp2_b = placed(get(f32, a + "spatial_interaction.3.bias"));
                k.fc1_w = swin::linear_weight(get(f32, q + "ffn.fc1.weight"), device, dtype);
                k.fc1_b = placed(get(f32, q + "ffn.fc1.bias"));
                k.sg_norm_w = norm(q + "ffn.sg.norm.weight"), k.sg_norm_b = norm(q + "ffn.sg.norm.bias");
                k.sg_w = dw(get(f32, q + "ffn.sg.conv.weight")), k.sg_b = placed(get(f32, q + "ffn.sg.conv.bias"));
                k.fc2_w = swin::linear_weight(get(f32, q + "ffn.fc2.weight"), device, dtype);
                k.fc2_b = placed(get(f32, q + "ffn.fc2.bias"));
                blocks.push_back(std::move(k));
            }
            groups_.push_back(std::move(blocks));
        }
    }

    at::Tensor forward(const at::Tensor& x) const override { return forward_tiled(x, nullptr); }
    bool averages_whole_input() const override { return true; }

    at::Tensor forward_tiled(const at::Tensor& x, ImageStatistics* stats) const override {
        const int64_t h = x.size(2), w = x.size(3);
        const at::Tensor first = conv(w_, "conv_first", x);
        at::Tensor t = swin::layer_norm(swin::tokens(first), before_w_, before_b_);
        // qkv is zero-padded to the windows' lattice; the shifted blocks' masks for that size.
        const int64_t m = std::max(p_.split_h, p_.split_w), ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
        at::Tensor masks[2];
        for (const auto& blocks : groups_)
            for (const Block& b : blocks)
                if (b.shifted && !masks[0].defined()) {
                    const int64_t sh = p_.split_h, sw = p_.split_w;
                    masks[0] = swin::shifted_window_mask(ph, pw, sh, sw, sh / 2, sw / 2, x.device());
                    masks[1] = swin::shifted_window_mask(ph, pw, sw, sh, sw / 2, sh / 2, x.device());
                }
        for (size_t g = 0; g < groups_.size(); ++g) {
            const at::Tensor skip = t;
            for (const Block& b : groups_[g]) {
                const at::Tensor n1 = swin::layer_norm(t, b.norm1_w, b.norm1_b);
                t = (b.spatial ? spatial_attention(b, n1, h, w, ph, pw, masks, stats) : channel_attention(b, n1, h, w, stats)).add_(t);
                t = ffn(b, swin::layer_norm(t, b.norm2_w, b.norm2_b), h, w).add_(t);
            }
            t = swin::tokens(conv_tail("layers." + std::to_string(g) + ".conv", swin::image(t, h, w))).add_(skip);
        }
        at::Tensor y = conv_tail("conv_after_body", swin::image(swin::layer_norm(t, norm_w_, norm_b_), h, w)).add_(first);
        if (p_.upsampler == Upsampler::pixelshuffledirect) return at::pixel_shuffle(conv(w_, "upsample.0", y), p_.scale);
        y = lrelu(conv(w_, "conv_before_upsample.0", y), 0.01);
        for (int i = 0; i < p_.ups; ++i) y = at::pixel_shuffle(conv(w_, "upsample." + std::to_string(2 * i), y), p_.scale == 3 ? 3 : 2);
        return conv(w_, "conv_last", y);
    }

private:
    // A branch's relative position bias table [(2wh - 1)(2ww - 1), heads] from its MLP over the
    // offsets (dy, dx) in row-major order (fp32, CPU): pos_proj, then three LayerNorm, ReLU, Linear.
    static at::Tensor position_table(const Weights& f32, const std::string& p, int64_t wh, int64_t ww) {
        std::vector<float> offsets;
        for (int64_t dy = 1 - wh; dy < wh; ++dy)
            for (int64_t dx = 1 - ww; dx < ww; ++dx) offsets.push_back(float(dy)), offsets.push_back(float(dx));
        at::Tensor x = at::tensor(offsets).view({-1, 2});
        x = at::linear(x, get(f32, p + "pos_proj.weight"), get(f32, p + "pos_proj.bias"));
        for (const char* s : {"pos1", "pos2", "pos3"}) {
            const std::string n = p + s;
            x = at::relu(at::layer_norm(x, {x.size(1)}, get(f32, n + ".0.weight"), get(f32, n + ".0.bias"), 1e-5));
            x = at::linear(x, get(f32, n + ".2.weight"), get(f32, n + ".2.bias"));
        }
        return x.contiguous();
    }

    // The depthwise 3x3 convolution of an image [1, C, H, W].
    static at::Tensor depthwise(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
        const std::vector<int64_t> one{1, 1};
        return at::conv2d(x, weight, bias, at::IntArrayRef(one), at::IntArrayRef(one), at::IntArrayRef(one), x.size(1));
    }

    // The depthwise branch on v ([h, w, C] tokens): conv, folded BatchNorm, GELU; [1, C, H, W]
    // channels-last.
    static at::Tensor conv_branch(const Gates& gates, const at::Tensor& v, int64_t h, int64_t w) {
        const at::Tensor image = v.contiguous().view({1, h, w, v.size(-1)}).permute({0, 3, 1, 2});
        at::Tensor y = depthwise(image, gates.dw_w, gates.dw_b).contiguous(at::MemoryFormat::ChannelsLast);
        at::gelu_(y);
        return y;
    }

    // The channel gate from a map's (image-wide) channel means: [1, C] in the dtype, after sigmoid.
    at::Tensor channel_gate(const Gates& gates, const at::Tensor& image, ImageStatistics* stats) const {
        const at::Tensor means = channel_means(image, stats).to(image.scalar_type());
        return at::sigmoid(swin::linear(at::gelu(swin::linear(means, gates.ch1_w, gates.ch1_b)), gates.ch2_w, gates.ch2_b));
    }

    // The spatial gate of tokens [.., C]: [.., 1] after sigmoid.
    static at::Tensor spatial_gate(const Gates& gates, const at::Tensor& x) {
        return at::sigmoid(swin::linear(at::gelu(swin::linear(x, gates.sp1_w, gates.sp1_b)), gates.sp2_w, gates.sp2_b));
    }

    // Spatial window attention of normalised tokens [1, h*w, C]: each half of the channels in its
    // own windows (rolled in shifted blocks), qkv zero-padded to ph x pw; then the interaction with
    // the depthwise branch and the projection.
    at::Tensor spatial_attention(const Block& b, const at::Tensor& x, int64_t h, int64_t w, int64_t ph, int64_t pw,
                                 const at::Tensor* masks, ImageStatistics* stats) const {
        const int64_t c = p_.embed, half = c / 2, hb = b.heads, d = half / hb;
        const at::Tensor qkv = swin::linear(x, b.qkv_w, b.qkv_b).view({h, w, 3 * c});
        const at::Tensor padded = ph == h && pw == w ? qkv : at::constant_pad_nd(qkv, {0, 0, 0, pw - w, 0, ph - h}, 0.0);
        at::Tensor att = at::empty({h, w, c}, qkv.options());
        for (int br = 0; br < 2; ++br) {
            const int64_t wh = br == 0 ? p_.split_h : p_.split_w, ww = br == 0 ? p_.split_w : p_.split_h;
            const int64_t sh = b.shifted ? wh / 2 : 0, sw = b.shifted ? ww / 2 : 0, n = wh * ww, nw = (ph / wh) * (pw / ww);
            at::Tensor part = padded.view({ph, pw, 3, 2, half}).select(3, br);
            if (b.shifted) part = at::roll(part, {-sh, -sw}, {0, 1});
            const at::Tensor windows =
                part.view({ph / wh, wh, pw / ww, ww, 3, hb, d}).permute({0, 2, 1, 3, 4, 5, 6}).reshape({nw, n, 3, hb, d});
            at::Tensor out = at::empty({nw, n, half}, qkv.options());
            const int64_t step = swin::windows_per_pass(hb, n);
            for (int64_t s = 0; s < nw; s += step) {
                const int64_t len = std::min(step, nw - s);
                const at::Tensor chunk = windows.narrow(0, s, len).permute({2, 0, 3, 1, 4});  // [3, len, heads, N, d]
                const at::Tensor mask = b.shifted ? masks[br].narrow(0, s, len) : at::Tensor();
                out.narrow(0, s, len).copy_(swin::attend(chunk[0], chunk[1], chunk[2], b.bias[br], mask, fused_));
            }
            at::Tensor y = swin::window_reverse(out, wh, ww, ph, pw)[0];
            if (b.shifted) y = at::roll(y, {sh, sw}, {0, 1});
            att.narrow(2, br * half, half).copy_(y.slice(0, 0, h).slice(1, 0, w));
        }
        att = att.view({1, h * w, c});
        const at::Tensor conv_x = conv_branch(b.gates, qkv.narrow(2, 2 * c, c), h, w);
        // Crossed gates: the attention by the depthwise branch's channel gate, the depthwise branch
        // by the attention's spatial gate.
        const at::Tensor spatial = spatial_gate(b.gates, att);
        att.mul_(channel_gate(b.gates, conv_x, stats).view({1, 1, c}));
        att.add_(swin::tokens(conv_x) * spatial);
        return swin::linear(att, b.proj_w, b.proj_b);
    }

    // Per head, the sums over an area's tokens (rows [m, 3C] of qkv) that the channel attention
    // normalises and compares: q_i . k_j ([heads, d, d]) and the squared norms of q and k ([2C]),
    // flattened into one fp32 vector.
    at::Tensor channel_sums(const at::Tensor& rows, int64_t heads) const {
        const int64_t c = p_.embed, d = c / heads, m = rows.size(0);
        if (m == 0) return at::zeros({heads * d * d + 2 * c}, rows.options().dtype(at::kFloat));
        at::Tensor qk = rows.narrow(1, 0, 2 * c);
        if (qk.scalar_type() != at::kFloat) qk = qk.to(at::kFloat);
        const at::Tensor qt = qk.narrow(1, 0, c).reshape({m, heads, d}).permute({1, 2, 0}).contiguous();  // [heads, d, m]
        const at::Tensor k = qk.narrow(1, c, c).reshape({m, heads, d}).permute({1, 0, 2});             // [heads, m, d]
        at::Tensor s;
#if UPRES_SWIN_DNNL_MATMUL
        if (swin::use_dnnl(at::kFloat, qk.device())) {
            const std::vector<int64_t> sizes{heads, d, d};
            s = swin::dnnl_matmul(qt, k.contiguous(), at::Tensor(), sizes);
        }
#endif
        if (!s.defined()) s = at::matmul(qt, k);
        return at::cat({s.reshape({-1}), at::sum(qk * qk, 0)});
    }

    // Channel attention of normalised tokens [1, h*w, C]: per head softmax(temperature * cos(q_i,
    // k_j)) over channels, q and k normalised over the whole image (its sums from `stats` when
    // tiled), applied to v; then the interaction with the depthwise branch and the projection.
    at::Tensor channel_attention(const Block& b, const at::Tensor& x, int64_t h, int64_t w, ImageStatistics* stats) const {
        const int64_t c = p_.embed, heads = b.heads, d = c / heads, l = h * w;
        const at::Tensor qkv = swin::linear(x, b.qkv_w, b.qkv_b).view({l, 3 * c});
        const at::Tensor map = qkv.view({h, w, 3 * c});
        auto sums_over = [&](const MapArea& a) {
            return channel_sums(map.slice(0, a.top, a.bottom).slice(1, a.left, a.right).reshape({-1, 3 * c}), heads);
        };
        const at::Tensor sums = image_sum(h, w, sums_over, stats);
        // F.normalize: x / max(|x|, 1e-12).
        const at::Tensor norms = sums.narrow(0, heads * d * d, 2 * c).sqrt().clamp_min(1e-12);
        at::Tensor logits = sums.narrow(0, 0, heads * d * d).view({heads, d, d}) / norms.narrow(0, 0, c).view({heads, d, 1}) /
                            norms.narrow(0, c, c).view({heads, 1, d});
        const at::Tensor attn = at::softmax(logits.mul_(b.temperature), -1).to(qkv.scalar_type());
        // out[n, h d + i] = sum_j attn[h, i, j] v[n, h d + j], written straight into [l, C].
        const at::Tensor v = qkv.narrow(1, 2 * c, c).view({l, heads, d}).permute({1, 0, 2});  // [heads, l, d]
        at::Tensor att;
#if UPRES_SWIN_DNNL_MATMUL
        if (swin::use_dnnl(qkv.scalar_type(), qkv.device())) {
            const std::vector<int64_t> sizes{heads, l, d}, strides{d, c, 1};
            const at::Tensor o = swin::dnnl_matmul(v, attn.transpose(1, 2), at::Tensor(), sizes, strides);
            if (o.defined()) att = o.as_strided({l, c}, {c, 1});
        }
#endif
        if (!att.defined()) att = at::matmul(v, attn.transpose(1, 2)).permute({1, 0, 2}).reshape({l, c});
        att = att.view({1, l, c});
        const at::Tensor conv_x = conv_branch(b.gates, qkv.view({h, w, 3 * c}).narrow(2, 2 * c, c), h, w);
        // Crossed gates: the attention by the depthwise branch's spatial gate, the depthwise branch
        // by the attention's channel gate (its image-wide means).
        const at::Tensor gate = channel_gate(b.gates, swin::image(att, h, w), stats);
        att.mul_(spatial_gate(b.gates, swin::tokens(conv_x)));
        att.add_(swin::tokens(conv_x) * gate.view({1, 1, c}));
        return swin::linear(att, b.proj_w, b.proj_b);
    }

    // The spatial-gate FFN: fc1, GELU, the second half normalised and depthwise-convolved gates
    // the first, fc2.
    at::Tensor ffn(const Block& b, const at::Tensor& x, int64_t h, int64_t w) const {
        const int64_t half = p_.hidden / 2;
        at::Tensor hidden = swin::linear(x, b.fc1_w, b.fc1_b);
        at::gelu_(hidden);
        const at::Tensor gate = swin::layer_norm(hidden.narrow(2, half, half), b.sg_norm_w, b.sg_norm_b);
        const at::Tensor conv_gate = depthwise(swin::image(gate.contiguous(), h, w), b.sg_w, b.sg_b);
        return swin::linear(hidden.narrow(2, 0, half) * swin::tokens(conv_gate.contiguous(at::MemoryFormat::ChannelsLast)), b.fc2_w,
                            b.fc2_b);
    }

    // resi_connection: one 3x3 conv, or 3x3 to dim/4, LeakyReLU 0.2, 1x1, LeakyReLU 0.2, 3x3 back.
    at::Tensor conv_tail(const std::string& n, const at::Tensor& x) const {
        if (!p_.three_conv) return conv(w_, n, x);
        at::Tensor y = lrelu(conv(w_, n + ".0", x), 0.2);
        y = lrelu(conv(w_, n + ".2", y), 0.2);
        return conv(w_, n + ".4", y);
    }

    Params p_;
    bool fused_ = false;
    Weights w_;  // the convolutions outside the blocks
    at::Tensor before_w_, before_b_, norm_w_, norm_b_;
    std::vector<std::vector<Block>> groups_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    const Params p = params(m.tensors, m.metadata, "DAT");
    // The buffers are never read (their sizes are the training patch's; their values are recomputed).
    formats::TensorMap tensors;
    for (const auto& [key, x] : m.tensors)
        if (!ends_with(key, ".rpe_biases") && !ends_with(key, ".relative_position_index") && !ends_with(key, ".attn_mask_0") &&
            !ends_with(key, ".attn_mask_1") && !ends_with(key, ".num_batches_tracked"))
            tensors.emplace(key, x);
    return std::make_unique<Dat>(p, load_weights(tensors), device_of(s), dtype_of(s));
}

}  // namespace upres::nn::arch::dat
