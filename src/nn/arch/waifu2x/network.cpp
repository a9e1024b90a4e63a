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

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    if (!is_upconv7(m.tensors)) return realcugan::build(m, s);  // cunet: Real-CUGAN x2's network
    upconv7_channels(m.tensors, m.path + ": waifu2x upconv_7");
    return std::make_unique<UpConv7>(place(load_weights(m.tensors), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::waifu2x
