#include "nn/arch/realcugan/realcugan.hpp"
#include "nn/arch/waifu2x/waifu2x.hpp"
#include "nn/network.hpp"
#include "nn/torch_weights.hpp"

namespace upres::nn::arch::waifu2x {

namespace {

// upconv_7. The runner gives it tiles overlapping by the descriptor's context (8 >= the 7-pixel
// receptive radius) and no pre_pad: each tile is edge-replicated by 7 pixels here, which at the
// image's edges is upstream's padding and inside the image only touches output the overlap drops.
class UpConv7 : public Network {
public:
    // The transposed convolution as one convolution to the 2 x 2 output phases and a pixel
    // shuffle: output pixel 2 q + r takes the taps r and r + 2 over inputs q and q - 1 (faster
    // than libtorch's CPU ConvTranspose2d, and libtorch 1.13's bf16 one on the CPU mistakes the
    // weights for an ordinary convolution's).
    explicit UpConv7(Weights w) : w_(std::move(w)) {
        const at::Tensor& like = get(w_, "net.12.weight");  // [in, out, 4, 4]
        const at::Tensor k = like.to(at::kFloat).contiguous();
        const int64_t in = k.size(0), out = k.size(1);
        // [in, out, u, r, v, c] with tap (2 u + r, 2 v + c); the convolution reads u, v reversed.
        const at::Tensor e = k.view({in, out, 2, 2, 2, 2}).flip({2, 4}).permute({1, 3, 5, 0, 2, 4}).reshape({out * 4, in, 2, 2});
        phases_ = e.to(like.device(), like.scalar_type()).contiguous(at::MemoryFormat::ChannelsLast);
        phase_bias_ = get(w_, "net.12.bias").to(at::kFloat).repeat_interleave(4).to(like.device(), like.scalar_type());
    }

    at::Tensor forward(const at::Tensor& x) const override {
        const int64_t p = kInputPad;
        // In f32: libtorch 1.13 has no bf16 / fp16 replication padding on the CPU.
        at::Tensor y = at::replication_pad2d(x.to(at::kFloat), {p, p, p, p})
                           .to(x.scalar_type())
                           .contiguous(at::MemoryFormat::ChannelsLast);
        for (int i = 0; i < kConvs; ++i) {
            const std::string k = layer_key(i);
            y = at::conv2d(y, get(w_, k + ".weight"), get(w_, k + ".bias"));
            at::leaky_relu_(y, 0.1);
        }
        // 4x4, stride 2, 3 pixels cropped off every side: (n + 14 - 12 - 1) * 2 + 4 - 6 = 2 n.
        const int64_t h = x.size(2), w = x.size(3);
        const std::vector<int64_t> one{1, 1};
        y = at::pixel_shuffle(at::conv2d(y, phases_, phase_bias_, one, one), 2);  // the full (n + 1) * 2
        return y.slice(2, 3, 3 + 2 * h).slice(3, 3, 3 + 2 * w);
    }

private:
    Weights w_;
    at::Tensor phases_, phase_bias_;
};

// cunet 1x (waifu2x.hpp). Squeeze-and-excitation means are the whole image's: in a tiled run the
// runner's passes gather them (image_statistics.hpp), where waifu2x-ncnn-vulkan takes them per tile.
class Cunet1x : public Network {
public:
    explicit Cunet1x(Weights w) : w_(std::move(w)) {
        // Each 2x2 stride-2 transposed convolution as a 1x1 convolution to the four output phases
        // and a pixel shuffle (exact; output (2y + r, 2x + c) of channel o is phase o * 4 + 2 r + c).
        for (const char* name : {"unet1.conv2_up", "unet2.conv3_up", "unet2.conv4_up"}) {
            const at::Tensor& k = get(w_, std::string(name) + ".weight");  // [in, out, 2, 2]
            const at::Tensor f = k.to(at::kFloat).contiguous();
            const int64_t in = f.size(0), out = f.size(1);
            phases_[name] = f.permute({1, 2, 3, 0}).reshape({out * 4, in, 1, 1}).to(k.device(), k.scalar_type())
                                .contiguous(at::MemoryFormat::ChannelsLast);
            phase_bias_[name] = get(w_, std::string(name) + ".bias").to(at::kFloat).repeat_interleave(4).to(k.device(), k.scalar_type());
        }
    }

    at::Tensor forward(const at::Tensor& x) const override { return forward_tiled(x, nullptr); }
    bool averages_whole_input() const override { return true; }

    at::Tensor forward_tiled(const at::Tensor& x, ImageStatistics* stats) const override {
        const int64_t h = x.size(2), w = x.size(3), m = kCunet1xMultiple, p = kCunet1xPad;
        const int64_t ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
        // In f32: libtorch 1.13 has no bf16 / fp16 replication padding on the CPU.
        const at::Tensor in = at::replication_pad2d(x.to(at::kFloat), {p, p + pw - w, p, p + ph - h})
                                  .to(x.scalar_type())
                                  .contiguous(at::MemoryFormat::ChannelsLast);
        const Site site{stats, -double(p)};
        const at::Tensor y = unet1(in, site);
        at::Tensor z = unet2(y, site);
        z.add_(crop(y, 20));
        return z.slice(2, 0, h).slice(3, 0, w);
    }

private:
    using IntList = std::vector<int64_t>;
    at::Tensor conv(const at::Tensor& x, const std::string& name, int64_t stride = 1) const {
        const IntList s{stride, stride};
        return at::conv2d(x, get(w_, name + ".weight"), get(w_, name + ".bias"), at::IntArrayRef(s));
    }
    at::Tensor up(const at::Tensor& x, const std::string& name) const {
        return at::pixel_shuffle(at::conv2d(x, phases_.at(name), phase_bias_.at(name)), 2);
    }
    static at::Tensor lr(at::Tensor t) { return lrelu(std::move(t), 0.1); }
    static at::Tensor crop(const at::Tensor& x, int64_t c) { return x.slice(2, c, x.size(2) - c).slice(3, c, x.size(3) - c); }
    // Where the squeeze-and-excitation means come from, and where the padded input's first row
    // lies on the tile (-28: the network pads the tile itself).
    struct Site {
        ImageStatistics* stats;
        double shift;
    };
    // Two unpadded 3x3 convolutions with leaky ReLU, then (se) squeeze-and-excitation: the map's own
    // means, or the image's in a tiled run; `origin` / `step` say where the map's rows lie on the
    // padded input (as in realcugan/network.cpp, whose grids these follow).
    at::Tensor unet_conv(const at::Tensor& x, const std::string& name, bool se, const Site& site = {}, double origin = 0,
                         double step = 0) const {
        at::Tensor y = lr(conv(lr(conv(x, name + ".conv.0")), name + ".conv.2"));
        if (!se) return y;
        at::Tensor g = channel_means(y, site.stats, {origin + site.shift, step}).to(y.scalar_type());  // [1, C]
        g = at::relu(at::linear(g, get(w_, name + ".seblock.conv1.weight").flatten(1), get(w_, name + ".seblock.conv1.bias")));
        g = at::sigmoid(at::linear(g, get(w_, name + ".seblock.conv2.weight").flatten(1), get(w_, name + ".seblock.conv2.bias")));
        return y.mul_(g.view({1, -1, 1, 1}));
    }
    // UNet1's grids: conv1 at 2, conv1_down 2.5 (step 2), conv2 (SE) 6.5; conv2_up (k2 s2) 6 (step
    // 1), conv3 7, conv_bottom 8: UNet2 starts on (8, 1), so its SE maps lie where Real-CUGAN x2's
    // do for u = 1: conv2 at o + 6.5 (step 2), conv3 o + 15.5 (step 4), conv4 o + 18.5 (step 2).
    at::Tensor unet1(const at::Tensor& x, const Site& site) const {
        const at::Tensor a = unet_conv(x, "unet1.conv1", false);
        at::Tensor b = lr(up(unet_conv(lr(conv(a, "unet1.conv1_down", 2)), "unet1.conv2", true, site, 6.5, 2), "unet1.conv2_up"));
        b.add_(crop(a, 4));
        return conv(lr(conv(b, "unet1.conv3")), "unet1.conv_bottom");
    }
    at::Tensor unet2(const at::Tensor& x, const Site& site) const {
        const double o = 8;
        const at::Tensor a = unet_conv(x, "unet2.conv1", false);
        const at::Tensor b = unet_conv(lr(conv(a, "unet2.conv1_down", 2)), "unet2.conv2", true, site, o + 6.5, 2);
        at::Tensor c = lr(up(unet_conv(lr(conv(b, "unet2.conv2_down", 2)), "unet2.conv3", true, site, o + 15.5, 4), "unet2.conv3_up"));
        c.add_(crop(b, 4));
        at::Tensor d = lr(up(unet_conv(c, "unet2.conv4", true, site, o + 18.5, 2), "unet2.conv4_up"));
        d.add_(crop(a, 16));
        return conv(lr(conv(d, "unet2.conv5")), "unet2.conv_bottom");
    }

    Weights w_;
    std::map<std::string, at::Tensor> phases_, phase_bias_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    if (is_cunet1x(m.tensors)) {
        cunet1x_channels(m.tensors, m.path + ": waifu2x cunet 1x");
        return std::make_unique<Cunet1x>(place(load_weights(m.tensors), device_of(s), dtype_of(s)));
    }
    if (!is_upconv7(m.tensors)) return realcugan::build(m, s);  // cunet: Real-CUGAN x2's network
    upconv7_channels(m.tensors, m.path + ": waifu2x upconv_7");
    return std::make_unique<UpConv7>(place(load_weights(m.tensors), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::waifu2x
