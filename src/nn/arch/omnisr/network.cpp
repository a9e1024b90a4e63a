#include <cmath>

#include "nn/arch/omnisr/omnisr.hpp"
#include "nn/arch/swinir/swin.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::omnisr {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Batched a @ b ([..., M, K] @ [..., K, N]) into `sizes` / `strides` (empty: contiguous): oneDNN's
// matmul for fp32 on the CPU (Debian's at::matmul takes the reference BLAS there), else ATen.
at::Tensor batched_matmul(const at::Tensor& a, const at::Tensor& b, at::IntArrayRef sizes, at::IntArrayRef strides = {}) {
#if UPRES_SWIN_DNNL_MATMUL
    if (swin::use_dnnl(a.scalar_type(), a.device())) {
        at::Tensor r = swin::dnnl_matmul(a, b, at::Tensor(), sizes, strides);
        if (r.defined()) return r;
    }
#endif
    const at::Tensor r = at::matmul(a, b);
    if (strides.empty()) return r;
    return at::empty_strided(sizes, strides, r.options()).copy_(r);
}

class OmniSR : public Network {
public:
    OmniSR(const Params& p, const Weights& f32, const at::Device& device, at::ScalarType dtype) : p_(p) {
        Weights convs;
        for (const auto& [key, x] : f32) {
            if (ends_with(key, ".norm.weight") || ends_with(key, ".norm.bias") || ends_with(key, ".fn.temperature"))
                f32_.emplace(key, x.to(device, at::kFloat).contiguous());  // norms and softmax scales run in fp32
            else if (ends_with(key, ".gate.1.weight") || ends_with(key, ".gate.3.weight"))
                linear_.emplace(key, swin::linear_weight(x, device, dtype));
            else if (!ends_with(key, ".to_qkv.weight") && !ends_with(key, ".to_out.0.weight") && !ends_with(key, ".rel_pos_bias.weight"))
                convs.emplace(key, x);  // the attentions' are prepared below
        }
        w_ = place(std::move(convs), device, dtype);
        const int64_t f = p_.feat, w = p_.window, n = w * w;
        for (int g = 0; g < p_.groups; ++g)
            for (int b = 0; b < p_.blocks; ++b)
                for (const int a : {2, 8}) {
                    const std::string q = prefix(g, b) + std::to_string(a) + ".fn.";
                    swin::Attention at;
                    at.heads = kHeads;
                    at.fused = swin::use_fused_attention(dtype, device);
                    at::Tensor qkv = get(f32, q + "to_qkv.weight");
                    if (!at.fused) {  // the explicit path's queries carry head_dim^-0.5 (swin.hpp)
                        qkv = qkv.clone();
                        qkv.narrow(0, 0, f).mul_(1.0 / std::sqrt(double(f / kHeads)));
                    }
                    at.qkv_w = swin::linear_weight(qkv, device, dtype);
                    at.proj_w = swin::linear_weight(get(f32, q + "to_out.0.weight"), device, dtype);
                    const at::ScalarType bias_type = at.fused ? dtype : at::kFloat;
                    at.bias = p_.pe ? swin::relative_position_bias(get(f32, q + "rel_pos_bias.weight"), w).to(device, bias_type)
                                    : at::zeros({1, kHeads, n, n}, at::TensorOptions().dtype(bias_type).device(device));
                    attn_.emplace(q, std::move(at));
                }
    }

    // No whole-image statistics for the squeeze-excitations: ESA's pooling lattice and upsampling
    // geometry and the grid attention depend on the tile's size, so tiles differ from one run
    // anyway, and the image's means measured no closer (Set14 barbara, tile 64: 16.23 dB with them,
    // 16.31 dB without) at 3x the time (docs/models.md).
    at::Tensor forward(const at::Tensor& input) const override {
        // The runner zero-pads to the window multiple already (check_image_size); a direct caller
        // may not have. ESA's unpadded stride-2 conv and 7x7 pool need 15 pixels: smaller maps are
        // padded on to that (the authors' code would fail on them).
        const int64_t h0 = input.size(2), w0 = input.size(3), m = p_.window;
        const int64_t least = (15 + m - 1) / m * m;
        const int64_t h = std::max(least, (h0 + m - 1) / m * m), wd = std::max(least, (w0 + m - 1) / m * m);
        at::Tensor x = input;
        if (h != h0 || wd != w0)
            x = at::constant_pad_nd(input, {0, wd - w0, 0, h - h0}, 0.0).contiguous(at::MemoryFormat::ChannelsLast);
        const at::Tensor first = conv(w_, "input", x);
        at::Tensor y = first;
        for (int g = 0; g < p_.groups; ++g) {
            const at::Tensor skip = y;
            for (int b = 0; b < p_.blocks; ++b) y = block(y, prefix(g, b));
            const std::string gp = "residual_layer." + std::to_string(g) + ".";
            y = conv(w_, gp + "residual_layer." + std::to_string(p_.blocks), y).add_(skip);
            y = esa(y, gp + "esa.");
        }
        at::Tensor out = at::pixel_shuffle(conv(w_, "up.0", conv(w_, "output", y).add_(first)), p_.scale);
        if (h != h0 || wd != w0) out = out.slice(2, 0, h0 * p_.scale).slice(3, 0, w0 * p_.scale);
        return out;
    }

private:
    static std::string prefix(int g, int b) {
        return "residual_layer." + std::to_string(g) + ".residual_layer." + std::to_string(b) + ".layer.";
    }

    // One OSA block: returns a fresh map (the MBConv's), which the later parts add to in place.
    at::Tensor block(const at::Tensor& x, const std::string& p) const {
        at::Tensor y = mbconv(x, p + "0.");
        spatial_(y, p + "2.", Layout::windows);
        ffn_(y, p + "4.");
        channel_(y, p + "5.", Layout::windows);
        ffn_(y, p + "6.");
        spatial_(y, p + "8.", Layout::grid);
        ffn_(y, p + "10.");
        channel_(y, p + "11.", Layout::residues);
        ffn_(y, p + "12.");
        return y;
    }

    at::Tensor dwconv(const std::string& name, const at::Tensor& x) const {
        const at::Tensor& weight = get(w_, name + ".weight");
        const std::vector<int64_t> one{1, 1};
        return at::conv2d(x, weight, maybe(w_, name + ".bias"), at::IntArrayRef(one), at::IntArrayRef(one), at::IntArrayRef(one),
                          weight.size(0));
    }

    // Layer norm over the channels of every pixel of a channels-last map (LayerNorm2d / LayerNorm).
    at::Tensor norm(const at::Tensor& x, const std::string& name, double eps) const {
        const at::Tensor t = swin::layer_norm(swin::tokens(x), get(f32_, name + ".weight"), get(f32_, name + ".bias"), eps);
        return swin::image(t, x.size(2), x.size(3));
    }

    // [1, C, H, W] channels-last as [H, W, C] (a view).
    static at::Tensor hwc(const at::Tensor& x) { return x.permute({0, 2, 3, 1}).view({x.size(2), x.size(3), x.size(1)}); }

    // How an attention groups an [H, W, C] map's pixels: [A, B, I, J, C] views, group (a, b), its
    // pixels (i, j) in row-major order.
    enum class Layout {
        windows,   // w x w windows: pixel (a w + i, b w + j)
        grid,      // grid attention: a w x w grid whose pixels lie H/w, W/w apart: (i H/w + a, j W/w + b)
        residues,  // grid channel attention: the pixels of one offset in every window: (i w + a, j w + b)
    };
    at::Tensor groups(const at::Tensor& m, Layout layout) const {
        const int64_t w = p_.window, h = m.size(0), wd = m.size(1), c = m.size(2);
        switch (layout) {
            case Layout::windows: return m.view({h / w, w, wd / w, w, c}).permute({0, 2, 1, 3, 4});
            case Layout::grid: return m.view({w, h / w, w, wd / w, c}).permute({1, 3, 0, 2, 4});
            case Layout::residues: break;
        }
        return m.view({h / w, w, wd / w, w, c}).permute({1, 3, 0, 2, 4});
    }

    at::Tensor mbconv(const at::Tensor& x, const std::string& p) const {
        at::Tensor t = at::gelu(conv(w_, p + "fn.0", x));
        t = at::gelu(dwconv(p + "fn.2", t));
        // Squeeze-excitation: the map's channel means (fp32 sums) through the gate.
        const at::Tensor mean = at::mean(t, {2, 3}, false, at::kFloat).to(t.scalar_type());
        at::Tensor gate = at::silu(swin::linear(mean, get(linear_, p + "fn.4.gate.1.weight"), at::Tensor()));
        gate = at::sigmoid(swin::linear(gate, get(linear_, p + "fn.4.gate.3.weight"), at::Tensor()));
        t.mul_(gate.view({1, -1, 1, 1}));
        return conv(w_, p + "fn.5", t).add_(x);
    }

    // y += attention(norm(y)) within windows or across the grid.
    void spatial_(at::Tensor& y, const std::string& p, Layout layout) const {
        const int64_t w = p_.window, c = y.size(1), h = y.size(2), wd = y.size(3);
        const at::Tensor t = hwc(norm(y, p + "norm", 1e-5));
        const at::Tensor out = swin::window_attention(groups(t, layout).reshape({-1, w * w, c}), attn_.at(p + "fn."), at::Tensor());
        groups(hwc(y), layout).add_(out.view({h / w, wd / w, w, w, c}));
    }

    // y += project_out(GELU(a) * b), a and b the halves of dwconv(project_in(norm(y))).
    void ffn_(at::Tensor& y, const std::string& p) const {
        const int64_t c = y.size(1);
        const at::Tensor t = dwconv(p + "fn.dwconv", conv(w_, p + "fn.project_in", norm(y, p + "norm", 1e-6)));
        y.add_(conv(w_, p + "fn.project_out", at::gelu(t.narrow(1, 0, c)).mul_(t.narrow(1, c, c))));
    }

    // y += project_out(channel attention(norm(y))): per group of pixels and head, the d x d softmax
    // of the channels' cosine similarities (over the group's pixels) times the temperature, applied
    // to v's channels.
    void channel_(at::Tensor& y, const std::string& p, Layout layout) const {
        const int64_t c = y.size(1), h = y.size(2), wd = y.size(3), d = c / kHeads;
        const at::Tensor qkv = dwconv(p + "fn.qkv_dwconv", conv(w_, p + "fn.qkv", norm(y, p + "norm", 1e-6)));
        const at::Tensor g = groups(hwc(qkv), layout);
        const int64_t n = g.size(0) * g.size(1), px = g.size(2) * g.size(3);
        const at::Tensor all = g.reshape({n, px, 3 * c});  // a copy: each group's pixels together
        auto heads = [&](int64_t part) { return all.narrow(2, part * c, c).view({n, px, kHeads, d}).permute({0, 2, 1, 3}); };
        const at::Tensor q = heads(0).transpose(-2, -1).contiguous(), k = heads(1), v = heads(2);  // q [n, 4, d, px]
        // q k^T over the pixels, divided by both norms: F.normalize's cosine (eps 1e-12).
        at::Tensor s = batched_matmul(q, k, {n, kHeads, d, d}).to(at::kFloat);
        const at::Tensor nq = at::linalg_vector_norm(q.to(at::kFloat), 2, {-1}, true).clamp_min_(1e-12);
        const at::Tensor nk = at::linalg_vector_norm(k.to(at::kFloat), 2, {-2}, true).clamp_min_(1e-12);
        s.div_(nq).div_(nk).mul_(get(f32_, p + "fn.temperature").view({1, kHeads, 1, 1}));
        const at::Tensor attn = at::softmax(s, -1).to(qkv.scalar_type());
        // out^T = v^T attn^T, written as [n, px, heads, d] = the groups' [n, px, C].
        const at::Tensor out = batched_matmul(v, attn.transpose(-2, -1), {n, kHeads, px, d}, {px * c, d, c, 1});
        // Back to the image layout, then the projection.
        at::Tensor image = at::empty({1, c, h, wd}, qkv.options().memory_format(at::MemoryFormat::ChannelsLast));
        groups(hwc(image), layout).copy_(out.as_strided({g.size(0), g.size(1), g.size(2), g.size(3), c},
                                                        {g.size(1) * px * c, px * c, g.size(3) * c, c, 1}));
        y.add_(conv(w_, p + "fn.project_out", image));
    }

    at::Tensor esa(const at::Tensor& x, const std::string& p) const {
        const at::Tensor c1 = conv(w_, p + "conv1", x);
        const std::vector<int64_t> two{2, 2}, zero{0, 0}, seven{7, 7}, three{3, 3};
        const at::Tensor c2 = at::conv2d(c1, get(w_, p + "conv2.weight"), get(w_, p + "conv2.bias"), at::IntArrayRef(two), at::IntArrayRef(zero));
        at::Tensor low = conv(w_, p + "conv3", at::max_pool2d(c2, at::IntArrayRef(seven), at::IntArrayRef(three)));
        const std::vector<int64_t> size{x.size(2), x.size(3)};
        low = at::upsample_bilinear2d(low, at::IntArrayRef(size), false).contiguous(at::MemoryFormat::ChannelsLast);
        const at::Tensor gate = at::sigmoid(conv(w_, p + "conv4", low.add_(conv(w_, p + "conv_f", c1))));
        return x.mul_(gate);
    }

    Params p_;
    Weights w_;       // convolutions (channels-last) and their biases, in the run's dtype
    Weights f32_;     // layer norms and temperatures, fp32
    Weights linear_;  // squeeze-excitation gates (swin::linear_weight)
    std::map<std::string, swin::Attention> attn_;  // by "<block>.<2|8>.fn."
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    return std::make_unique<OmniSR>(params(m.tensors, m.metadata, "OmniSR"), load_weights(m.tensors), device_of(s), dtype_of(s));
}

}  // namespace upres::nn::arch::omnisr
