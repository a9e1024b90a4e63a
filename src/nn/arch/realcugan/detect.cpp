#include <cmath>
#include <vector>

#include "nn/arch/keys.hpp"
#include "nn/arch/realcugan/layout.hpp"
#include "nn/arch/realcugan/realcugan.hpp"

namespace upres::nn::arch::realcugan {

namespace {

// Every tensor of the model with this scale and channel count, as the official .pth names them.
std::vector<Entry> layout(int scale, int64_t c) {
    std::vector<Entry> e;
    const int64_t mid = scale == 4 ? 64 : c;  // UNet1's output / UNet2's input and output
    // UNet1 at the input's resolution.
    unet_conv(e, "unet1.conv1", c, 32, 64, false, 1);
    layer(e, "unet1.conv1_down", {64, 64, 2, 2}, 0.25, false);
    unet_conv(e, "unet1.conv2", 64, 128, 64, true, 0.25);
    layer(e, "unet1.conv2_up", {64, 64, 2, 2}, 0.25, true);
    layer(e, "unet1.conv3", {64, 64, 3, 3}, 1, false);
    layer(e, "unet1.conv_bottom", {64, mid, scale == 3 ? 5 : 4, scale == 3 ? 5 : 4}, 1, true);
    // UNet2 at the upsampled resolution.
    const double u = scale == 3 ? 9 : 4;
    unet_conv(e, "unet2.conv1", mid, 32, 64, false, u);
    layer(e, "unet2.conv1_down", {64, 64, 2, 2}, u / 4, false);
    unet_conv(e, "unet2.conv2", 64, 64, 128, true, u / 4);
    layer(e, "unet2.conv2_down", {128, 128, 2, 2}, u / 16, false);
    unet_conv(e, "unet2.conv3", 128, 256, 128, true, u / 16);
    layer(e, "unet2.conv3_up", {128, 128, 2, 2}, u / 16, true);
    unet_conv(e, "unet2.conv4", 128, 64, 64, true, u / 4);
    layer(e, "unet2.conv4_up", {64, 64, 2, 2}, u / 4, true);
    layer(e, "unet2.conv5", {64, 64, 3, 3}, u, false);
    layer(e, "unet2.conv_bottom", {mid, 64, 3, 3}, u, false);
    if (scale == 4) layer(e, "conv_final", {4 * c, 64, 3, 3}, u, false);
    return e;
}

// Not waifu2x's 1x cunet (the same names; its UNet1 ends in a 3x3 convolution instead of a 4x4 or
// 5x5 transposed one): the waifu2x family reads those.
bool claims(const formats::TensorMap& t) {
    auto bottom = t.find("unet1.conv_bottom.weight");
    const bool conv3x3 = bottom != t.end() && bottom->second.shape.size() == 4 && bottom->second.shape[2] == 3 &&
                         bottom->second.shape[3] == 3;
    return t.count("unet1.conv1.conv.0.weight") && bottom != t.end() && t.count("unet2.conv1.conv.0.weight") && !conv3x3;
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    const Params p = params(t, name + ": Real-CUGAN");
    Descriptor d;
    d.summary = "Real-CUGAN x" + std::to_string(p.scale) + (p.pro ? " pro" : "") + " (UpCunet" + std::to_string(p.scale) + "x)";
    d.scale = p.scale;
    d.in_channels = d.out_channels = p.channels;
    if (p.pro) {
        d.gain = {0.7f};
        d.offset = {0.15f};
    }
    // The upstream forward reflect-pads input_pad(scale) pixels on every side (plus up to its
    // size multiple at the bottom and right): the runner does that as pre_pad, so the stride-2
    // grids of every tile (which start on multiples of size_multiple in the padded image) line up
    // with the whole image's, as upstream's do; the overlap covers the receptive radius (the pad).
    d.pre_pad = input_pad(p.scale);
    d.size_multiple = input_multiple(p.scale);
    d.multiple_pad = EdgePad::reflect;
    d.context = p.scale == 3 ? 16 : 20;
    // The squeeze-and-excitation blocks average over whatever they are given, so each tile sees
    // its own means: with the real up2x-conservative weights on a 1000 x 960 image, 512-pixel tiles
    // left seams of up to 32/255 (41.5 dB against one whole run). 1024-pixel tiles run photos up to
    // about a megapixel whole, at a peak of 2.5 GB (x2, 1000 x 960); larger images still tile.
    d.preferred_tile = 1024;
    const Cost c = cost(layout(p.scale, p.channels));
    d.parameters = c.parameters;
    d.macs_per_pixel = int64_t(std::llround(c.macs));
    return d;
}

}  // namespace

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    Params p;
    const formats::Tensor& first = k.need("unet1.conv1.conv.0.weight", 4);
    p.channels = k.bounded(first.shape[1], 1, 4, "the image channels (unet1.conv1.conv.0.weight dim 1)");
    const formats::Tensor& bottom = k.need("unet1.conv_bottom.weight", 4);
    if (bottom.shape[2] == 5) p.scale = 3;
    else if (bottom.shape[2] == 4) p.scale = k.has("conv_final.weight") ? 4 : 2;
    else
        k.fail("tensor 'unet1.conv_bottom.weight' has a " + std::to_string(bottom.shape[2]) +
               "-pixel kernel; the 2x and 4x models have 4, the 3x model 5");
    p.pro = k.has("pro");
    for (const Entry& e : layout(p.scale, p.channels)) k.shape(e.key, e.shape);
    return p;
}

const Family& family() {
    static const Family f{"realcugan",
                          "Real-CUGAN",
                          {"unet1.conv#.conv.#.weight", "unet1.conv_bottom.weight", "unet2.conv#.conv.#.weight",
                           "unet2.conv#.seblock.conv#.weight", "unet1.conv#_down.weight", "unet2.conv#_up.weight"},
                          nullptr,
                          claims,
                          describe,
                          from_ncnn,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::realcugan
