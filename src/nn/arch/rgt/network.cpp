#include <cmath>

#include "nn/arch/rgt/rgt.hpp"
#include "nn/arch/swinir/swin.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::rgt {

namespace {

struct Conv {
    at::Tensor w, b;
};

// Depthwise k x k convolution (groups = channels), stride `stride`, padding k / 2 unless strided.
at::Tensor depthwise(const at::Tensor& x, const Conv& c, int64_t stride = 1) {
    const int64_t k = c.w.size(2), pad = stride == 1 ? k / 2 : 0;
    const std::vector<int64_t> s{stride, stride}, p{pad, pad}, d{1, 1};
    return at::conv2d(x, c.w, c.b, at::IntArrayRef(s), at::IntArrayRef(p), at::IntArrayRef(d), c.w.size(0));
}

// L-SA: two branches of rectangular windows on the channel halves.
struct LocalAttention {
    at::Tensor qkv_w, qkv_b, proj_w, proj_b;  // q rows of qkv carry head_dim^-1/2
    Conv get_v;
    at::Tensor bias[2];                       // [1, heads / 2, N, N] fp32, from the position MLPs
    int64_t heads = 2;
    bool shifted = false;
};

// RG-SA: cross-attention of every token to the recursively reduced map.
struct GlobalAttention {
    Conv reduction, dwconv, conv, cpe;
    at::Tensor norm_w, norm_b;                // fp32
    at::Tensor q_w, q_b, k_w, k_b, v_w, v_b, proj_w, proj_b;  // q carries the scale
    int64_t heads = 2;
};

struct Block {
    at::Tensor norm1_w, norm1_b, norm2_w, norm2_b, sg_norm_w, sg_norm_b;  // fp32
    at::Tensor gamma, fc1_w, fc1_b, fc2_w, fc2_b;
    Conv sg_conv;
    bool local = true;
    LocalAttention la;
    GlobalAttention ga;
};

class RGT : public Network {
public:
    RGT(const Params& p, const Weights& f32, const at::Device& device, at::ScalarType dtype) : p_(p) {
        auto norm = [&](const std::string& n) { return get(f32, n).to(device, at::kFloat).contiguous(); };
        auto placed = [&](const std::string& n) { return get(f32, n).to(device, dtype).contiguous(); };
        auto optional = [&](const std::string& n) {
            const at::Tensor t = maybe(f32, n);
            return t.defined() ? t.to(device, dtype).contiguous() : t;
        };
        auto lin = [&](const std::string& n) { return swin::linear_weight(get(f32, n), device, dtype); };
        auto conv4 = [&](const std::string& n) {
            return Conv{get(f32, n + ".weight").to(device, dtype).contiguous(at::MemoryFormat::ChannelsLast), placed(n + ".bias")};
        };
        Weights convs;
        for (const auto& [key, x] : f32)  // conv_first, the groups' convs and the tail
            if (key.find(".blocks.") == std::string::npos && key.rfind("before_RG.", 0) != 0 && key.rfind("norm.", 0) != 0)
                convs.emplace(key, x);
        w_ = place(std::move(convs), device, dtype);
        before_w_ = norm("before_RG.1.weight"), before_b_ = norm("before_RG.1.bias");
        norm_w_ = norm("norm.weight"), norm_b_ = norm("norm.bias");
        const int64_t c = p_.embed;
        for (size_t g = 0; g < p_.depths.size(); ++g) {
            std::vector<Block> blocks;
            const int64_t heads = p_.heads[g];
            for (int b = 0; b < p_.depths[g]; ++b) {
                const std::string q = "layers." + std::to_string(g) + ".blocks." + std::to_string(b) + ".", a = q + "attn.";
                Block k;
                k.norm1_w = norm(q + "norm1.weight"), k.norm1_b = norm(q + "norm1.bias");
                k.norm2_w = norm(q + "norm2.weight"), k.norm2_b = norm(q + "norm2.bias");
                k.sg_norm_w = norm(q + "mlp.sg.norm.weight"), k.sg_norm_b = norm(q + "mlp.sg.norm.bias");
                k.gamma = placed(q + "gamma");
                k.fc1_w = lin(q + "mlp.fc1.weight"), k.fc1_b = placed(q + "mlp.fc1.bias");
                k.fc2_w = lin(q + "mlp.fc2.weight"), k.fc2_b = placed(q + "mlp.fc2.bias");
                k.sg_conv = conv4(q + "mlp.sg.conv");
                k.local = b % 2 == 0;
                if (k.local) {
                    LocalAttention& la = k.la;
                    la.heads = heads;
                    la.shifted = shifted(int(g), b);
                    // Branch head dim (C / 2) / (heads / 2) = C / heads.
                    at::Tensor qkv_w = get(f32, a + "qkv.weight").clone(), qkv_b = maybe(f32, a + "qkv.bias");
                    const double scale = 1.0 / std::sqrt(double(c / heads));
                    qkv_w.narrow(0, 0, c).mul_(scale);
                    if (qkv_b.defined()) qkv_b = qkv_b.clone(), qkv_b.narrow(0, 0, c).mul_(scale);
                    la.qkv_w = swin::linear_weight(qkv_w, device, dtype);
                    if (qkv_b.defined()) la.qkv_b = qkv_b.to(device, dtype).contiguous();
                    la.proj_w = lin(a + "proj.weight"), la.proj_b = placed(a + "proj.bias");
                    la.get_v = conv4(a + "get_v");
                    for (int i = 0; i < 2; ++i)
                        la.bias[i] = position_bias(f32, a + "attns." + std::to_string(i) + ".pos.", i == 0 ? p_.split_h : p_.split_w,
                                                   i == 0 ? p_.split_w : p_.split_h)
                                         .to(device);
                } else {
                    GlobalAttention& ga = k.ga;
                    ga.heads = heads;
                    ga.reduction = conv4(a + "reduction1"), ga.dwconv = conv4(a + "dwconv"), ga.conv = conv4(a + "conv");
                    ga.cpe = conv4(a + "cpe");
                    ga.norm_w = norm(a + "norm_act.0.weight"), ga.norm_b = norm(a + "norm_act.0.bias");
                    // (C / heads * c_ratio)^-1/2, c_ratio = cr / C (rgt_arch.py's head_dim is C // heads).
                    const double scale = 1.0 / std::sqrt(double(c / heads) * double(p_.cr) / double(c));
                    ga.q_w = swin::linear_weight(get(f32, a + "q.weight") * scale, device, dtype);
                    const at::Tensor qb = maybe(f32, a + "q.bias");
                    if (qb.defined()) ga.q_b = (qb * scale).to(device, dtype).contiguous();
                    ga.k_w = lin(a + "k.weight"), ga.k_b = optional(a + "k.bias");
                    ga.v_w = lin(a + "v.weight"), ga.v_b = optional(a + "v.bias");
                    ga.proj_w = lin(a + "proj.weight"), ga.proj_b = placed(a + "proj.bias");
                }
                blocks.push_back(std::move(k));
            }
            groups_.push_back(std::move(blocks));
        }
    }

    at::Tensor forward(const at::Tensor& x) const override {
        const int64_t h = x.size(2), w = x.size(3);
        const at::Tensor first = conv(w_, "conv_first", x);
        at::Tensor t = swin::layer_norm(swin::tokens(first), before_w_, before_b_);
        for (size_t g = 0; g < groups_.size(); ++g) {
            const at::Tensor skip = t;
            for (const Block& b : groups_[g]) t = block(b, t, h, w);
            t = swin::tokens(conv_tail("layers." + std::to_string(g) + ".conv", swin::image(t.contiguous(), h, w))).add(skip);
        }
        at::Tensor y = conv_tail("conv_after_body", swin::image(swin::layer_norm(t, norm_w_, norm_b_).contiguous(), h, w)).add_(first);
        y = lrelu(conv(w_, "conv_before_upsample.0", y), 0.01);
        for (int i = 0; i < p_.ups; ++i) y = at::pixel_shuffle(conv(w_, "upsample." + std::to_string(2 * i), y), p_.scale == 3 ? 3 : 2);
        return conv(w_, "conv_last", y);
    }

private:
    // The bias MLP (Linear(2, d); then LayerNorm, ReLU, Linear three times) of the (dy, dx) offsets
    // of an hs x ws window, gathered per (query, key) pair: [1, heads, N, N] fp32. It depends on
    // the weights alone, so it is computed once here.
    static at::Tensor position_bias(const Weights& f32, const std::string& p, int64_t hs, int64_t ws) {
        std::vector<float> off;
        for (int64_t dy = 1 - hs; dy < hs; ++dy)
            for (int64_t dx = 1 - ws; dx < ws; ++dx) off.push_back(float(dy)), off.push_back(float(dx));
        at::Tensor x = at::tensor(off, at::kFloat).view({-1, 2});
        x = at::linear(x, get(f32, p + "pos_proj.weight"), get(f32, p + "pos_proj.bias"));
        for (const char* s : {"pos1", "pos2", "pos3"}) {
            const std::string n = p + s;
            const std::vector<int64_t> shape{x.size(1)};
            x = at::relu(at::layer_norm(x, at::IntArrayRef(shape), get(f32, n + ".0.weight"), get(f32, n + ".0.bias"), 1e-5));
            x = at::linear(x, get(f32, n + ".2.weight"), get(f32, n + ".2.bias"));
        }
        const int64_t n = hs * ws;
        std::vector<int64_t> idx(size_t(n * n));
        size_t i = 0;
        for (int64_t a = 0; a < n; ++a)
            for (int64_t b = 0; b < n; ++b) idx[i++] = (a / ws - b / ws + hs - 1) * (2 * ws - 1) + (a % ws - b % ws + ws - 1);
        return x.index_select(0, at::tensor(idx, at::kLong)).view({n, n, -1}).permute({2, 0, 1}).contiguous().unsqueeze(0);
    }

    at::Tensor block(const Block& b, const at::Tensor& t, int64_t h, int64_t w) const {
        const at::Tensor x = swin::layer_norm(t, b.norm1_w, b.norm1_b);
        at::Tensor y = (b.local ? local(b.la, x, h, w) : global(b.ga, x, h, w)).add_(t);
        y.add_(mlp(b, swin::layer_norm(y, b.norm2_w, b.norm2_b), h, w));
        return y.add_(t * b.gamma);
    }

    // fc1, GELU, the second half layer-normed and depthwise-convolved gating the first, fc2.
    at::Tensor mlp(const Block& b, const at::Tensor& x, int64_t h, int64_t w) const {
        const at::Tensor y = at::gelu(swin::linear(x, b.fc1_w, b.fc1_b));
        const int64_t half = y.size(2) / 2;
        const at::Tensor gate = swin::layer_norm(y.narrow(2, half, half), b.sg_norm_w, b.sg_norm_b).contiguous();
        const at::Tensor conv = swin::tokens(depthwise(swin::image(gate, h, w), b.sg_conv));
        return swin::linear(y.narrow(2, 0, half) * conv, b.fc2_w, b.fc2_b);
    }

    at::Tensor local(const LocalAttention& a, const at::Tensor& x, int64_t h, int64_t w) const {
        const int64_t c = x.size(2), half = c / 2, heads = a.heads / 2, d = half / heads;
        const at::Tensor qkv = swin::linear(x, a.qkv_w, a.qkv_b).view({h, w, 3, c});
        const int64_t m = std::max(p_.split_h, p_.split_w), ph = (m - h % m) % m, pw = (m - w % m) % m, hp = h + ph, wp = w + pw;
        at::Tensor out = at::empty({h, w, c}, x.options());
        for (int i = 0; i < 2; ++i) {
            const int64_t hs = i == 0 ? p_.split_h : p_.split_w, ws = i == 0 ? p_.split_w : p_.split_h;
            // Zeros right and bottom (the padded tokens are keys like any other, as in rgt_arch.py).
            const std::vector<int64_t> pad{0, 0, 0, 0, 0, pw, 0, ph};
            at::Tensor part = at::constant_pad_nd(qkv.narrow(3, i * half, half), at::IntArrayRef(pad), 0);  // [hp, wp, 3, half]
            const int64_t sy = a.shifted ? hs / 2 : 0, sx = a.shifted ? ws / 2 : 0;
            if (a.shifted) part = at::roll(part, {-sy, -sx}, {0, 1});
            const int64_t nw = (hp / hs) * (wp / ws), n = hs * ws;
            const at::Tensor win = part.view({hp / hs, hs, wp / ws, ws, 3, heads, d}).permute({4, 0, 2, 5, 1, 3, 6}).reshape({3, nw, heads, n, d});
            const at::Tensor mask = a.shifted ? swin::shifted_window_mask(hp, wp, hs, ws, sy, sx, x.device()) : at::Tensor();
            at::Tensor o = at::empty({nw, n, half}, x.options());
            const int64_t step = swin::windows_per_pass(heads, n);
            for (int64_t s = 0; s < nw; s += step) {
                const int64_t len = std::min(step, nw - s);
                o.narrow(0, s, len).copy_(swin::attend(win[0].narrow(0, s, len), win[1].narrow(0, s, len), win[2].narrow(0, s, len), a.bias[i],
                                                       mask.defined() ? mask.narrow(0, s, len) : mask));
            }
            at::Tensor img = o.view({hp / hs, wp / ws, hs, ws, half}).permute({0, 2, 1, 3, 4}).reshape({hp, wp, half});
            if (a.shifted) img = at::roll(img, {sy, sx}, {0, 1});
            out.narrow(2, i * half, half).copy_(img.narrow(0, 0, h).narrow(1, 0, w));
        }
        const at::Tensor v = qkv.select(2, 2).permute({2, 0, 1}).unsqueeze(0).contiguous(at::MemoryFormat::ChannelsLast);
        out.add_(depthwise(v, a.get_v)[0].permute({1, 2, 0}));
        return swin::linear(out.view({1, h * w, c}), a.proj_w, a.proj_b);
    }

    at::Tensor global(const GlobalAttention& a, const at::Tensor& x, int64_t h, int64_t w) const {
        const int64_t c = x.size(2), heads = a.heads, l = h * w;
        at::Tensor r = swin::image(x.contiguous(), h, w);
        for (int i = recursions(h, w); i > 0; --i) r = depthwise(r, a.reduction, 4);
        r = depthwise(r, a.dwconv);
        r = at::conv2d(r, a.conv.w, a.conv.b);
        const int64_t rh = r.size(2), rw = r.size(3), m = rh * rw, cr = r.size(1);
        const at::Tensor rt = at::gelu(swin::layer_norm(swin::tokens(r), a.norm_w, a.norm_b)).contiguous();  // [1, M, cr]
        const at::Tensor q = swin::linear(x, a.q_w, a.q_b).view({1, l, heads, cr / heads}).permute({0, 2, 1, 3});
        const at::Tensor k = swin::linear(rt, a.k_w, a.k_b).view({1, m, heads, cr / heads}).permute({0, 2, 1, 3});
        at::Tensor v = swin::linear(rt, a.v_w, a.v_b).contiguous();  // [1, M, C]
        v = v + swin::tokens(depthwise(swin::image(v, rh, rw), a.cpe));
        const at::Tensor vh = v.view({1, m, heads, c / heads}).permute({0, 2, 1, 3});
        // Queries in passes whose logits [heads, rows, M] stay near 8 MB.
        const int64_t step = std::max<int64_t>(1, (int64_t(8) << 20) / (heads * m * 4));
        at::Tensor out = at::empty({1, l, c}, x.options());
        for (int64_t s = 0; s < l; s += step) {
            const int64_t len = std::min(step, l - s);
            out.narrow(1, s, len).copy_(swin::attend(q.narrow(2, s, len), k, vh, at::Tensor(), at::Tensor()));
        }
        return swin::linear(out, a.proj_w, a.proj_b);
    }

    at::Tensor conv_tail(const std::string& n, const at::Tensor& x) const {
        if (!p_.three_conv) return conv(w_, n, x);
        at::Tensor y = lrelu(conv(w_, n + ".0", x), 0.2);
        y = lrelu(conv(w_, n + ".2", y), 0.2);
        return conv(w_, n + ".4", y);
    }

    Params p_;
    Weights w_;  // the convolutions outside the blocks
    at::Tensor before_w_, before_b_, norm_w_, norm_b_;
    std::vector<std::vector<Block>> groups_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<RGT>(params(m.tensors, m.metadata, "RGT"), load_weights(m.tensors), device_of(s), dtype_of(s));
}

}  // namespace upres::nn::arch::rgt
