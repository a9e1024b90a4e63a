// The Real-CUGAN graphs as realcugan-ncnn-vulkan ships them (models-se: up2x / up3x / up4x, every
// denoise level), mapped to the names of the official PyTorch weights. The graphs are the upstream
// whole-image forward without its input padding (the program pads) and, for 4x, without the
// nearest-upsampled input (the program adds it): exactly what this family's network adds itself.
#include "formats/ncnn_graph.hpp"
#include "nn/arch/realcugan/realcugan.hpp"

namespace upres::nn::arch::realcugan {

using formats::ncnn::Matcher;

namespace {

constexpr double kSlope = 0.1;

int unet_conv(Matcher& m, int v, const std::string& p, bool se) {
    v = m.conv_unpadded(v, 3, 1, kSlope, p + ".conv.0");
    v = m.conv_unpadded(v, 3, 1, kSlope, p + ".conv.2");
    if (!se) return v;
    int g = m.global_mean(v);
    g = m.inner_product(g, 1, p + ".seblock.conv1");
    g = m.inner_product(g, 4, p + ".seblock.conv2");
    return m.mul_channels(v, g);
}

// UNet1: returns its output (the ConvTranspose upsampling).
int unet1(Matcher& m, int in, int scale) {
    const int x1 = unet_conv(m, in, "unet1.conv1", false);
    int x2 = m.conv_unpadded(x1, 2, 2, kSlope, "unet1.conv1_down");
    x2 = unet_conv(m, x2, "unet1.conv2", true);
    const int c1 = m.crop(x1, 4);
    x2 = m.deconv(x2, 2, 2, 0, kSlope, "unet1.conv2_up");
    const int x3 = m.conv_unpadded(m.add(c1, x2), 3, 1, kSlope, "unet1.conv3");
    return scale == 3 ? m.deconv(x3, 5, 3, 2, -1, "unet1.conv_bottom") : m.deconv(x3, 4, 2, 3, -1, "unet1.conv_bottom");
}

}  // namespace

formats::TensorMap from_ncnn(const formats::ncnn::Graph& g, std::map<std::string, std::string>& metadata) {
    Matcher m(g);
    // The 3x model's UNet1 ends in a 5x5 deconvolution; 2x and 4x in a 4x4 one (4x: to 64 channels).
    int scale = 2;
    for (const auto& n : g.nodes())
        if (n.layer->type == "Deconvolution" && formats::ncnn::number(g.file(), *n.layer, 1, 0) == 5) scale = 3;
    const int y = unet1(m, 0, scale);
    if (scale == 2 && m.channels(y) == 64) scale = 4;
    // UNet2.
    const int x1 = unet_conv(m, y, "unet2.conv1", false);
    int x2 = m.conv_unpadded(x1, 2, 2, kSlope, "unet2.conv1_down");
    x2 = unet_conv(m, x2, "unet2.conv2", true);
    int x3 = m.conv_unpadded(x2, 2, 2, kSlope, "unet2.conv2_down");
    x3 = unet_conv(m, x3, "unet2.conv3", true);
    const int c2 = m.crop(x2, 4);
    x3 = m.deconv(x3, 2, 2, 0, kSlope, "unet2.conv3_up");
    int x4 = unet_conv(m, m.add(c2, x3), "unet2.conv4", true);
    const int c1 = m.crop(x1, 16);
    x4 = m.deconv(x4, 2, 2, 0, kSlope, "unet2.conv4_up");
    const int x5 = m.add(c1, x4);
    const int skip = m.crop(y, 20);
    int z = m.conv_unpadded(x5, 3, 1, kSlope, "unet2.conv5");
    z = m.conv_unpadded(z, 3, 1, -1, "unet2.conv_bottom");
    z = m.add(z, skip);
    if (scale == 4) {
        z = m.conv_unpadded(z, 3, 1, -1, "conv_final");
        z = m.pixel_shuffle(m.crop(z, 1), 2);
    }
    if (m.channels(z) != m.channels(0)) m.misfit("the output does not have the input's channels");
    m.finish();
    metadata["scale"] = std::to_string(scale);
    return std::move(m.tensors());
}

}  // namespace upres::nn::arch::realcugan
