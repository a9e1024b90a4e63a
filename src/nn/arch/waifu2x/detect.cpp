#include <vector>

#include "nn/arch/keys.hpp"
#include "nn/arch/realcugan/layout.hpp"
#include "nn/arch/realcugan/realcugan.hpp"
#include "nn/arch/waifu2x/waifu2x.hpp"

namespace upres::nn::arch::waifu2x {

namespace {

// upconv_7 from nunif's keys; a cunet graph read from ncnn carries Real-CUGAN's keys (2x .pth /
// .safetensors files are claimed by realcugan first, which comes earlier in the table and runs the
// same network; the 1x cunet, which realcugan does not claim, is this family's everywhere).
bool claims(const formats::TensorMap& t) {
    return is_upconv7(t) || is_cunet1x(t) || realcugan::family().claims(t);
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& name) {
    if (is_cunet1x(t)) {
        Descriptor d;
        int64_t macs = 0;
        const int c = cunet1x_channels(t, name + ": waifu2x cunet 1x", &macs);
        d.summary = "waifu2x cunet x1 (CUNet denoiser: UNet1 without upsampling, UNet2)";
        d.scale = 1;
        d.in_channels = d.out_channels = c;
        // The network pads each tile itself (28 pixels, edge-replicated, as waifu2x-ncnn-vulkan
        // pads the image), so at the image's edges that is upstream's padding; the runner pads to
        // the size multiple (edge-replicated too, upstream's extra bottom / right padding) and
        // tiles start on that grid, so the stride-2 grids line up with a whole-image run's.
        d.pre_pad = 0;
        d.size_multiple = kCunet1xMultiple;
        d.multiple_pad = EdgePad::replicate;
        d.context = 32;  // the 28-pixel receptive radius, rounded up to the size multiple
        d.preferred_tile = 1024;  // most images whole; larger ones tiled with the image's SE means (more passes)
        d.macs_per_pixel = macs;
        return d;
    }
    if (!is_upconv7(t)) {
        Descriptor d = realcugan::family().describe(t, metadata, name);
        if (d.scale != 2)
            Keys{t, name + ": waifu2x cunet"}.fail("expected the 2x UpCUNet, found a Real-CUGAN x" + std::to_string(d.scale));
        d.summary = "waifu2x cunet x2 (UpCUNet, the network of Real-CUGAN x2)";
        return d;
    }
    const int c = upconv7_channels(t, name + ": waifu2x upconv_7");
    Descriptor d;
    d.summary = "waifu2x upconv_7 x2";
    d.scale = 2;
    d.in_channels = d.out_channels = c;
    // The network pads its input itself (edge-replicated, as waifu2x-ncnn-vulkan and nunif do),
    // so a tile's own padding is inside the overlap and the image's edges are padded as upstream.
    d.pre_pad = 0;
    d.context = 8;  // 6 convolutions and the 4x4 transposed one: 7 input pixels
    d.preferred_tile = 512;
    int64_t in = c, macs = 0;
    for (int i = 0; i < kConvs; ++i) {
        macs += in * kFeatures[i] * 9;
        in = kFeatures[i];
    }
    macs += in * c * 16;  // the transposed convolution, per input pixel
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

bool is_upconv7(const formats::TensorMap& t) {
    return t.count("net.0.weight") && t.count("net.10.weight") && t.count("net.12.weight") && !t.count("net.14.weight") &&
           !t.count("net.1.weight");
}

int upconv7_channels(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    const formats::Tensor& first = k.need("net.0.weight", 4);
    const int c = k.bounded(first.shape[1], 1, 4, "the image channels (net.0.weight dim 1)");
    int64_t in = c;
    for (int i = 0; i < kConvs; ++i) {
        k.shape(layer_key(i) + ".weight", {kFeatures[i], in, 3, 3});
        k.shape(layer_key(i) + ".bias", {kFeatures[i]});
        in = kFeatures[i];
    }
    k.shape("net.12.weight", {in, c, 4, 4});
    k.shape("net.12.bias", {c});
    return c;
}

namespace {

using realcugan::Entry;
using realcugan::layer;
using realcugan::unet_conv;

std::vector<Entry> cunet1x_layout(int64_t c) {
    std::vector<Entry> e;
    unet_conv(e, "unet1.conv1", c, 32, 64, false, 1);
    layer(e, "unet1.conv1_down", {64, 64, 2, 2}, 0.25, false);
    unet_conv(e, "unet1.conv2", 64, 128, 64, true, 0.25);
    layer(e, "unet1.conv2_up", {64, 64, 2, 2}, 0.25, true);
    layer(e, "unet1.conv3", {64, 64, 3, 3}, 1, false);
    layer(e, "unet1.conv_bottom", {c, 64, 3, 3}, 1, false);
    unet_conv(e, "unet2.conv1", c, 32, 64, false, 1);
    layer(e, "unet2.conv1_down", {64, 64, 2, 2}, 0.25, false);
    unet_conv(e, "unet2.conv2", 64, 64, 128, true, 0.25);
    layer(e, "unet2.conv2_down", {128, 128, 2, 2}, 1.0 / 16, false);
    unet_conv(e, "unet2.conv3", 128, 256, 128, true, 1.0 / 16);
    layer(e, "unet2.conv3_up", {128, 128, 2, 2}, 1.0 / 16, true);
    unet_conv(e, "unet2.conv4", 128, 64, 64, true, 0.25);
    layer(e, "unet2.conv4_up", {64, 64, 2, 2}, 0.25, true);
    layer(e, "unet2.conv5", {64, 64, 3, 3}, 1, false);
    layer(e, "unet2.conv_bottom", {c, 64, 3, 3}, 1, false);
    return e;
}

}  // namespace

bool is_cunet1x(const formats::TensorMap& t) {
    auto it = t.find("unet1.conv_bottom.weight");
    return it != t.end() && t.count("unet1.conv1.conv.0.weight") && t.count("unet2.conv1.conv.0.weight") &&
           !t.count("conv_final.weight") && it->second.shape.size() == 4 && it->second.shape[2] == 3 && it->second.shape[3] == 3;
}

int cunet1x_channels(const formats::TensorMap& t, const std::string& where, int64_t* macs) {
    const Keys k{t, where};
    const formats::Tensor& first = k.need("unet1.conv1.conv.0.weight", 4);
    const int c = k.bounded(first.shape[1], 1, 4, "the image channels (unet1.conv1.conv.0.weight dim 1)");
    const std::vector<Entry> layout = cunet1x_layout(c);
    for (const Entry& e : layout) k.shape(e.key, e.shape);
    if (macs) *macs = int64_t(realcugan::cost(layout).macs + 0.5);
    return c;
}

const Family& family() {
    static const Family f{"waifu2x",
                          "waifu2x (upconv_7, cunet)",
                          {"net.#.weight", "net.#.bias"},
                          nullptr,
                          claims,
                          describe,
                          from_ncnn,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::waifu2x
