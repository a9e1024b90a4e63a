#include "nn/arch/realcugan/realcugan.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::realcugan {

namespace {

using IntList = std::vector<int64_t>;

class RealCugan : public Network {
public:
    RealCugan(Params p, Weights w) : p_(p), w_(std::move(w)) {
        const int bottom = p_.scale == 3 ? 3 : 2;
        for (const auto& [name, stride] : std::vector<std::pair<std::string, int>>{
                 {"unet1.conv2_up", 2}, {"unet1.conv_bottom", bottom}, {"unet2.conv3_up", 2}, {"unet2.conv4_up", 2}})
            subpixel(name, stride);
    }

    // The runner gives this network tiles of an image that it reflect-padded by input_pad(scale)
    // pixels (the descriptor's pre_pad, which it crops off again) and overlapping by at least as
    // much (the context), so the outermost input_pad(scale) output pixels of a tile are never used:
    // the unpadded convolutions run on the tile as it is, exactly as upstream runs them on its
    // padded image, and the margins they cannot reach are left zero. A tile
    // too small for that is padded first (edge-replicated, by the pad rounded up to the stride
    // grid so that the grid stays where it was).
    at::Tensor forward(const at::Tensor& x) const override { return forward_tiled(x, nullptr); }
    bool averages_whole_input() const override { return w_.count("unet1.conv2.seblock.conv1.weight") != 0; }

    at::Tensor forward_tiled(const at::Tensor& x, ImageStatistics* stats) const override {
        const int64_t h = x.size(2), w = x.size(3);
        const int s = p_.scale, m = input_multiple(s), pad = input_pad(s);
        const int64_t ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
        const bool small = ph < 2 * pad + m || pw < 2 * pad + m;
        const int64_t q = small ? (pad + m - 1) / m * m : 0;
        at::Tensor in = x;
        if (q || ph != h || pw != w) {
            const IntList padding{q, q + pw - w, q, q + ph - h};
            // In f32: libtorch 1.13 has no bf16 / fp16 replication padding on the CPU (and the tile is small).
            const at::Tensor f = x.to(at::kFloat);
            in = ((q + pw - w < w && q + ph - h < h) ? at::reflection_pad2d(f, padding) : at::replication_pad2d(f, padding))
                     .to(x.scalar_type())
                     .contiguous(at::MemoryFormat::ChannelsLast);
        }
        const Site site{stats, double(-q)};
        at::Tensor y = unet1(in, site);
        at::Tensor z = unet2(y, site);
        z.add_(crop(y, 20));
        if (s == 4) {
            z = conv(z, "conv_final", 1);
            z = at::pixel_shuffle(crop(z, 1), 2);
        }
        // z covers input rows [pad - q, ph + q - pad) (likewise columns).
        if (small) {
            const int64_t c = (q - pad) * s;
            z = z.slice(2, c, c + h * s).slice(3, c, c + w * s);
        } else {
            // Margins the runner never uses (its pre_pad and overlap cover them): zeros.
            const IntList margins{pad * s, pad * s + (w - pw) * s, pad * s, pad * s + (h - ph) * s};
            z = at::constant_pad_nd(z, margins, 0.0);
        }
        if (s == 4) z.add_(at::upsample_nearest2d(x, {h * 4, w * 4}));
        return z;
    }

private:
    const at::Tensor& get_w(const std::string& key) const { return get(w_, key); }

    // An unpadded convolution (stride = its kernel for the 2x2 down-convolutions).
    at::Tensor conv(const at::Tensor& x, const std::string& name, int64_t stride) const {
        const IntList st{stride, stride}, zero{0, 0};
        return at::conv2d(x, get_w(name + ".weight"), get_w(name + ".bias"), at::IntArrayRef(st), at::IntArrayRef(zero));
    }
    // A transposed convolution as one ordinary convolution to stride^2 phases of the output and a
    // pixel shuffle (libtorch's CPU ConvTranspose2d is several times slower than its convolution):
    // output pixel s * q + r takes the kernel taps r, r + s, ... over inputs q, q - 1, ... The
    // kernel is zero-extended to a multiple of the stride (3x: 5 -> 6), which adds one bias-only
    // output row and column that the crop drops.
    void subpixel(const std::string& name, int64_t s) {
        const at::Tensor w = get_w(name + ".weight").to(at::kFloat).contiguous();  // [in, out, k, k]
        const int64_t in = w.size(0), out = w.size(1), k = w.size(2), t = (k + s - 1) / s;
        at::Tensor e = at::constant_pad_nd(w, {0, t * s - k, 0, t * s - k}, 0.0);
        // [in, out, t (u), s (r), t, s] with tap u * s + r; the convolution reads taps in reverse.
        e = e.view({in, out, t, s, t, s}).flip({2, 4}).permute({1, 3, 5, 0, 2, 4}).reshape({out * s * s, in, t, t});
        const at::Tensor b = get_w(name + ".bias").to(at::kFloat).repeat_interleave(s * s);
        const at::Tensor& like = get_w(name + ".weight");
        sub_[name] = {e.to(like.device(), like.scalar_type()).contiguous(at::MemoryFormat::ChannelsLast),
                      b.to(like.device(), like.scalar_type()), s, k, t};
    }
    at::Tensor deconv(const at::Tensor& x, const std::string& name, int64_t stride, int64_t pad) const {
        const Sub& d = sub_.at(name);
        (void)stride;
        const IntList one{1, 1}, p{d.t - 1, d.t - 1};
        at::Tensor y = at::conv2d(x, d.weight, d.bias, at::IntArrayRef(one), at::IntArrayRef(p));
        y = at::pixel_shuffle(y, d.stride);
        const int64_t oh = (x.size(2) - 1) * d.stride + d.k - 2 * pad, ow = (x.size(3) - 1) * d.stride + d.k - 2 * pad;
        if (pad == 0 && oh == y.size(2) && ow == y.size(3)) return y;
        return y.slice(2, pad, pad + oh).slice(3, pad, pad + ow);
    }
    static at::Tensor lrelu(at::Tensor t) {
        at::leaky_relu_(t, 0.1);
        return t;
    }
    static at::Tensor crop(const at::Tensor& x, int64_t c) {
        return x.slice(2, c, x.size(2) - c).slice(3, c, x.size(3) - c);
    }
    // Where the squeeze-and-excitation means come from, and where the tile's first input row lies
    // on the tile the runner gave (-q when forward() padded a small tile by q).
    struct Site {
        ImageStatistics* stats;
        double shift;
    };
    // Two 3x3 convolutions with leaky ReLU, then (se) squeeze-and-excitation over the whole map:
    // the tile's, or the image's in a tiled run. `origin` / `step`: where the map's rows lie on
    // the input (the convolutions are unpadded, so each eats a border), for the image's means.
    at::Tensor unet_conv(const at::Tensor& x, const std::string& name, bool se, const Site& site = {},
                         double origin = 0, double step = 0) const {
        at::Tensor y = lrelu(conv(lrelu(conv(x, name + ".conv.0", 1)), name + ".conv.2", 1));
        if (!se) return y;
        at::Tensor g = channel_means(y, site.stats, {origin + site.shift, step}).to(y.scalar_type());  // [1, C]
        g = at::relu(at::linear(g, get_w(name + ".seblock.conv1.weight").flatten(1), get_w(name + ".seblock.conv1.bias")));
        g = at::sigmoid(at::linear(g, get_w(name + ".seblock.conv2.weight").flatten(1), get_w(name + ".seblock.conv2.bias")));
        y.mul_(g.view({1, -1, 1, 1}));
        return y;
    }
    // The SE maps' grids, followed through the layers in input pixels (row i at origin + i * step):
    // an unpadded 3x3 convolution moves the origin one step, a 2x2 stride-2 one half a step and
    // doubles the step; a transposed convolution (kernel k, stride s, padding p) moves it by
    // step * (p - (k - 1) / 2) / s and divides the step by s; a crop of n moves it n steps.
    // UNet1: conv1 2, conv1_down 2.5 (step 2), conv2 6.5. Its output (x2 and x4: conv_bottom k4 s2
    // p3 after conv3 at 7) starts at 7.75, step 1/2; x3 (k5 s3 p2) at 7, step 1/3.
    at::Tensor unet1(const at::Tensor& x, const Site& site) const {
        const at::Tensor x1 = unet_conv(x, "unet1.conv1", false);
        at::Tensor x2 = unet_conv(lrelu(conv(x1, "unet1.conv1_down", 2)), "unet1.conv2", true, site, 6.5, 2);
        x2 = lrelu(deconv(x2, "unet1.conv2_up", 2, 0));
        x2.add_(crop(x1, 4));
        const at::Tensor x3 = lrelu(conv(x2, "unet1.conv3", 1));
        return p_.scale == 3 ? deconv(x3, "unet1.conv_bottom", 3, 2) : deconv(x3, "unet1.conv_bottom", 2, 3);
    }
    // UNet2 from UNet1's grid (o, u): conv1 o + 2u, conv1_down + u/2 (step 2u), conv2 + 4u (SE),
    // conv2_down + u (step 4u), conv3 + 8u (SE), conv3_up (k2 s2) - u (step 2u), conv4 + 4u (SE).
    at::Tensor unet2(const at::Tensor& x, const Site& site) const {
        const double o = p_.scale == 3 ? 7.0 : 7.75, u = p_.scale == 3 ? 1.0 / 3 : 0.5;
        const at::Tensor x1 = unet_conv(x, "unet2.conv1", false);
        const at::Tensor x2 = unet_conv(lrelu(conv(x1, "unet2.conv1_down", 2)), "unet2.conv2", true, site, o + 6.5 * u, 2 * u);
        at::Tensor x3 = unet_conv(lrelu(conv(x2, "unet2.conv2_down", 2)), "unet2.conv3", true, site, o + 15.5 * u, 4 * u);
        x3 = lrelu(deconv(x3, "unet2.conv3_up", 2, 0));
        x3.add_(crop(x2, 4));
        at::Tensor x4 = lrelu(deconv(unet_conv(x3, "unet2.conv4", true, site, o + 18.5 * u, 2 * u), "unet2.conv4_up", 2, 0));
        x4.add_(crop(x1, 16));
        return conv(lrelu(conv(x4, "unet2.conv5", 1)), "unet2.conv_bottom", 1);
    }

    struct Sub {
        at::Tensor weight, bias;
        int64_t stride, k, t;
    };
    Params p_;
    Weights w_;
    std::map<std::string, Sub> sub_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    const Params p = params(m.tensors, m.path + ": Real-CUGAN");
    return std::make_unique<RealCugan>(p, place(load_weights(m.tensors), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::realcugan
