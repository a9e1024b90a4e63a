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
    explicit UpConv7(Weights w) : w_(std::move(w)) {}

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
        const std::vector<int64_t> stride{2, 2}, pad{3, 3};
        return at::conv_transpose2d(y, get(w_, "net.12.weight"), get(w_, "net.12.bias"), stride, pad);
    }

private:
    Weights w_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    if (!is_upconv7(m.tensors)) return realcugan::build(m, s);  // cunet: Real-CUGAN x2's network
    upconv7_channels(m.tensors, m.path + ": waifu2x upconv_7");
    return std::make_unique<UpConv7>(place(load_weights(m.tensors), device_of(s), dtype_of(s)));
}

}  // namespace upres::nn::arch::waifu2x
