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
        if (h != h0 || wd != w0) x = at::constant_pad_nd(input, {0, wd - w0, 0, h - h0}, 0.0);
        x = x.contiguous(at::MemoryFormat::ChannelsLast);  // the maps' [H, W, C] views need it (a no-op from the runner)
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

    // One OSA block: returns a fresh map (the MBConv's), which the later parts add to in place. The
    // local parts run in bands of rows (band_rows): their temporaries stay small enough to be
    // reused by the allocator rather than fresh pages of the whole map's size (at 512x512, half the
    // time went to page faults), and the attention's in cache.
    at::Tensor block(const at::Tensor& x, const std::string& p) const {
        at::Tensor y = mbconv(x, p + "0.");
        const int64_t step = band_rows(y.size(3));
        for (int64_t r0 = 0; r0 < y.size(2); r0 += step)  // windows of different bands are apart
            attend_(groups(hwc(y.slice(2, r0, std::min(y.size(2), r0 + step))), Layout::windows), p + "2.");
        ffn_(y, p + "4.");
        banded_(y, 1, [&](const at::Tensor& in, int64_t top, int64_t n) {
            return channel(qkv(in, p + "5.").narrow(2, top, n), p + "5.");
        });
        ffn_(y, p + "6.");
        grid_(y, p + "8.");
        ffn_(y, p + "10.");
        residue_channel_(y, p + "11.");
        ffn_(y, p + "12.");
        return y;
    }

    // Rows per band: about 16K pixels, a multiple of the window (windows stay whole).
    int64_t band_rows(int64_t width) const {
        const int64_t w = p_.window;
        return std::max<int64_t>(w, (int64_t(1) << 14) / std::max<int64_t>(1, width) / w * w);
    }

    // y += f(in, top, n) over bands of y's rows: `in` holds the band's n rows with up to `halo` rows
    // of context above (top of them) and below, as they were before any band was added to (f's
    // 3x3 depthwise convs read them); f returns the band's n rows to add.
    template <typename F>
    void banded_(at::Tensor& y, int64_t halo, F f) const {
        const int64_t h = y.size(2), step = band_rows(y.size(3));
        if (step >= h) {
            y.add_(f(y, 0, h));
            return;
        }
        at::Tensor above;  // the rows above the band, saved before the band above was added to
        for (int64_t r0 = 0; r0 < h; r0 += step) {
            const int64_t r1 = std::min(h, r0 + step), below = std::min(halo, h - r1);
            const at::Tensor rows = y.slice(2, r0, r1 + below);
            const at::Tensor in = above.defined() ? at::cat({above, rows}, 2).contiguous(at::MemoryFormat::ChannelsLast) : rows;
            const at::Tensor add = f(in, above.defined() ? above.size(2) : 0, r1 - r0);
            if (halo && r1 < h) above = y.slice(2, r1 - halo, r1).clone(at::MemoryFormat::ChannelsLast);
            y.slice(2, r0, r1).add_(add);
        }
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
        at::Tensor t = conv(w_, p + "fn.0", x);
        t = dwconv(p + "fn.2", at::gelu_(t));
        at::gelu_(t);
        // Squeeze-excitation: the map's channel means (fp32 sums) through the gate.
        const at::Tensor mean = at::mean(t, {2, 3}, false, at::kFloat).to(t.scalar_type());
        at::Tensor gate = at::silu(swin::linear(mean, get(linear_, p + "fn.4.gate.1.weight"), at::Tensor()));
        gate = at::sigmoid(swin::linear(gate, get(linear_, p + "fn.4.gate.3.weight"), at::Tensor()));
        t.mul_(gate.view({1, -1, 1, 1}));
        return conv(w_, p + "fn.5", t).add_(x);
    }

    // g += attention(norm(g)) for groups g [A, B, w, w, C] (a view of the map).
    void attend_(const at::Tensor& g, const std::string& p) const {
        const int64_t w = p_.window, c = g.size(4);
        const at::Tensor t = swin::layer_norm(g, get(f32_, p + "norm.weight"), get(f32_, p + "norm.bias"), 1e-5);
        const at::Tensor out = swin::window_attention(t.reshape({-1, w * w, c}), attn_.at(p + "fn."), at::Tensor());
        g.add_(out.view(g.sizes()));
    }

    // y += grid attention(norm(y)), in chunks of the grid's groups: group (a, b) holds the pixels
    // (i H/w + a, j W/w + b), so the groups of a few a lie in w bands of rows.
    void grid_(at::Tensor& y, const std::string& p) const {
        const int64_t w = p_.window, c = y.size(1), h = y.size(2), wd = y.size(3), gh = h / w, gw = wd / w;
        const int64_t step = std::max<int64_t>(1, (int64_t(1) << 14) / (w * wd));
        const at::Tensor rows = hwc(y).view({w, gh, wd, c});  // [i, a, column, C]
        for (int64_t a0 = 0; a0 < gh; a0 += step) {
            const int64_t na = std::min(step, gh - a0);
            attend_(rows.narrow(1, a0, na).view({w, na, w, gw, c}).permute({1, 3, 0, 2, 4}), p);
        }
    }

    // y += project_out(GELU(a) * b), a and b the halves of dwconv(project_in(norm(y))).
    void ffn_(at::Tensor& y, const std::string& p) const {
        const int64_t c = y.size(1);
        banded_(y, 1, [&](const at::Tensor& in, int64_t top, int64_t n) {
            const at::Tensor t = dwconv(p + "fn.dwconv", conv(w_, p + "fn.project_in", norm(in, p + "norm", 1e-6))).narrow(2, top, n);
            at::Tensor a = t.narrow(1, 0, c).contiguous(at::MemoryFormat::ChannelsLast);
            return conv(w_, p + "fn.project_out", at::gelu_(a).mul_(t.narrow(1, c, c)));
        });
    }

    // A channel attention's q, k and v: dwconv(qkv(norm(x))), [1, 3C, H, W].
    at::Tensor qkv(const at::Tensor& x, const std::string& p) const {
        return dwconv(p + "fn.qkv_dwconv", conv(w_, p + "fn.qkv", norm(x, p + "norm", 1e-6)));
    }

    // Per head, q and k^T of groups [G, P, 3C] (q k v): q [G, 4, d, P] (row-major), k [G, 4, P, d]
    // (a view).
    static std::pair<at::Tensor, at::Tensor> queries_keys(const at::Tensor& all) {
        const int64_t n = all.size(0), px = all.size(1), c = all.size(2) / 3, d = c / kHeads;
        auto heads = [&](int64_t part) { return all.narrow(2, part * c, c).view({n, px, kHeads, d}).permute({0, 2, 1, 3}); };
        return {heads(0).transpose(-2, -1).contiguous(), heads(1)};
    }

    // The softmax weights [G, 4, d, d] from q k^T and the squared norms of q's and k's channels
    // (sums over the groups' pixels): F.normalize's cosine (eps 1e-12) times the temperature.
    at::Tensor channel_weights(const at::Tensor& s, const at::Tensor& q2, const at::Tensor& k2, const std::string& p) const {
        const at::Tensor cosine = s / q2.sqrt().clamp_min_(1e-12) / k2.sqrt().clamp_min_(1e-12);
        return at::softmax(cosine.mul_(get(f32_, p + "fn.temperature").view({1, kHeads, 1, 1})), -1);
    }

    // project_out of the weights [G, 4, d, d] applied to v's channels, v the [1, C, H, W] map of
    // the groups `layout` makes: a map to add.
    at::Tensor channel_out(const at::Tensor& v, const at::Tensor& weights, const std::string& p, Layout layout) const {
        const int64_t c = v.size(1), h = v.size(2), wd = v.size(3), d = c / kHeads;
        const at::Tensor g = groups(hwc(v), layout);
        const int64_t n = g.size(0) * g.size(1), px = g.size(2) * g.size(3);
        const at::Tensor vt = g.reshape({n, px, kHeads, d}).permute({0, 2, 1, 3});  // v^T [G, 4, P, d]
        // out^T = v^T weights^T, written as [G, P, heads, d] = the groups' [G, P, C].
        const at::Tensor out = batched_matmul(vt, weights.to(v.scalar_type()).transpose(-2, -1), {n, kHeads, px, d}, {px * c, d, c, 1});
        at::Tensor image = at::empty({1, c, h, wd}, v.options().memory_format(at::MemoryFormat::ChannelsLast));
        groups(hwc(image), layout).copy_(out.as_strided({g.size(0), g.size(1), g.size(2), g.size(3), c},
                                                        {g.size(1) * px * c, px * c, g.size(3) * c, c, 1}));
        return conv(w_, p + "fn.project_out", image);
    }

    // The window channel attention of a [1, 3C, H, W] q k v map: a map to add.
    at::Tensor channel(const at::Tensor& qkv, const std::string& p) const {
        const int64_t c = qkv.size(1) / 3;
        const at::Tensor g = groups(hwc(qkv), Layout::windows);
        const at::Tensor all = g.reshape({g.size(0) * g.size(1), g.size(2) * g.size(3), 3 * c});  // each window's pixels together
        const auto [q, k] = queries_keys(all);
        const at::Tensor s = batched_matmul(q, k, {all.size(0), kHeads, q.size(2), q.size(2)}).to(at::kFloat);
        const at::Tensor q2 = q.to(at::kFloat).square().sum(-1, true), k2 = k.to(at::kFloat).square().sum(-2, true);
        return channel_out(qkv.narrow(1, 2 * c, c), channel_weights(s, q2, k2, p), p, Layout::windows);
    }

    // y += the grid channel attention of y: its sums run over the whole map, gathered band by band
    // (v kept), then applied band by band.
    void residue_channel_(at::Tensor& y, const std::string& p) const {
        const int64_t c = y.size(1), h = y.size(2), wd = y.size(3), w = p_.window, d = c / kHeads, step = band_rows(wd);
        at::Tensor s = at::zeros({w * w, kHeads, d, d}, y.options().dtype(at::kFloat).memory_format(at::MemoryFormat::Contiguous));
        at::Tensor q2 = at::zeros({w * w, kHeads, d, 1}, s.options()), k2 = at::zeros({w * w, kHeads, 1, d}, s.options());
        at::Tensor v = at::empty({1, c, h, wd}, y.options().memory_format(at::MemoryFormat::ChannelsLast));
        for (int64_t r0 = 0; r0 < h; r0 += step) {
            const int64_t r1 = std::min(h, r0 + step), a = std::max<int64_t>(0, r0 - 1), b = std::min(h, r1 + 1);
            const at::Tensor band = qkv(y.slice(2, a, b), p).narrow(2, r0 - a, r1 - r0);  // the dwconv's rows around
            const at::Tensor g = groups(hwc(band), Layout::residues);
            const auto [q, k] = queries_keys(g.reshape({w * w, g.size(2) * g.size(3), 3 * c}));
            s.add_(batched_matmul(q, k, {w * w, kHeads, d, d}).to(at::kFloat));
            q2.add_(q.to(at::kFloat).square().sum(-1, true));
            k2.add_(k.to(at::kFloat).square().sum(-2, true));
            v.slice(2, r0, r1).copy_(band.narrow(1, 2 * c, c));
        }
        const at::Tensor weights = channel_weights(s, q2, k2, p);
        for (int64_t r0 = 0; r0 < h; r0 += step) {
            const int64_t r1 = std::min(h, r0 + step);
            y.slice(2, r0, r1).add_(channel_out(v.slice(2, r0, r1), weights, p, Layout::residues));
        }
    }

    at::Tensor esa(const at::Tensor& x, const std::string& p) const {
        const at::Tensor c1 = conv(w_, p + "conv1", x);
        const std::vector<int64_t> two{2, 2}, zero{0, 0}, seven{7, 7}, three{3, 3};
        const at::Tensor c2 = at::conv2d(c1, get(w_, p + "conv2.weight"), get(w_, p + "conv2.bias"), at::IntArrayRef(two), at::IntArrayRef(zero));
        at::Tensor low = conv(w_, p + "conv3", at::max_pool2d(c2, at::IntArrayRef(seven), at::IntArrayRef(three)));
        const std::vector<int64_t> size{x.size(2), x.size(3)};
        low = at::upsample_bilinear2d(low, at::IntArrayRef(size), false).contiguous(at::MemoryFormat::ChannelsLast);
        at::Tensor gate = conv(w_, p + "conv4", low.add_(conv(w_, p + "conv_f", c1)));
        return x.mul_(at::sigmoid_(gate));  // x: the group's fresh map
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
