// waifu2x-ncnn-vulkan's graphs (waifu2x@1.6.5's models-upconv_7_* and models-cunet), mapped to
// nunif's names (upconv_7) and Real-CUGAN's (cunet). The graphs are the networks without the
// programs' input padding. models-cunet was exported with older ncnn layers than
// realcugan-ncnn-vulkan's: the squeeze-and-excitation product is a two-input Scale, the skip
// crops are two-input Crops (cut to the size of the second input at an offset) and the sums
// Eltwise layers; the steps for those are here. The 1x cunet denoisers (noiseN_model) are the
// same graph with UNet1's conv_bottom an unpadded 3x3 Convolution to the image's channels instead
// of the 4x4 stride-2 Deconvolution (nunif's UNet1 with deconv=False), under the same names.
#include <cmath>

#include "formats/ncnn_graph.hpp"
#include "nn/arch/waifu2x/waifu2x.hpp"

namespace upres::nn::arch::waifu2x {

using formats::ncnn::Matcher;
using formats::ncnn::number;

namespace {

constexpr double kSlope = 0.1;

// A two-input Scale (scale_data_size -233, no bias): the blob times per-channel values.
int scale_channels(Matcher& m, int blob, int per_channel) {
    const auto& n = m.take("Scale", {blob, per_channel});
    const auto& file = m.graph().file();
    if (number(file, *n.layer, 0, 0) != -233 || number(file, *n.layer, 1, 0) != 0)
        m.misfit("expected a Scale by a second input, without bias");
    if (m.channels(blob) != m.channels(per_channel)) m.misfit("its inputs have different channel counts");
    return m.done(m.channels(blob));
}

// A two-input Crop: `blob` cut to the size of `like` at (offset, offset). The network's
// geometry makes that `offset` pixels off every side (the families' crops).
int crop_like(Matcher& m, int blob, int like, int offset) {
    const auto& n = m.take("Crop", {blob, like});
    const auto& file = m.graph().file();
    const auto& l = *n.layer;
    if (number(file, l, 0, 0) != offset || number(file, l, 1, 0) != offset || number(file, l, 2, 0) != 0 ||
        number(file, l, 3, 0) != 0 || number(file, l, 4, 0) != 0 || number(file, l, 5, 0) != 0 ||
        !formats::ncnn::array(file, l, 9).empty())
        m.misfit("expected a Crop to the second input's size at offset " + std::to_string(offset));
    return m.done(m.channels(blob));
}

// An Eltwise sum of two blobs without coefficients (or with 1, 1), either order.
int eltwise_sum(Matcher& m, int a, int b) {
    const bool swapped = m.next().inputs == std::vector<int>{b, a};
    const auto& n = m.take("Eltwise", swapped ? std::vector<int>{b, a} : std::vector<int>{a, b});
    const auto& file = m.graph().file();
    const std::vector<double> c = formats::ncnn::array(file, *n.layer, 1);
    bool ones = c.empty() || c.size() == 2;
    for (double v : c) ones = ones && std::fabs(v - 1) < 1e-6;
    if (number(file, *n.layer, 0, 0) != 1 || !ones) m.misfit("expected an Eltwise sum of two blobs");
    if (m.channels(a) != m.channels(b)) m.misfit("its inputs have different channel counts");
    return m.done(m.channels(a));
}

int unet_conv(Matcher& m, int v, const std::string& p, bool se) {
    v = m.conv_unpadded(v, 3, 1, kSlope, p + ".conv.0");
    v = m.conv_unpadded(v, 3, 1, kSlope, p + ".conv.2");
    if (!se) return v;
    int g = m.global_mean(v);
    g = m.inner_product(g, 1, p + ".seblock.conv1");
    g = m.inner_product(g, 4, p + ".seblock.conv2");
    return scale_channels(m, v, g);
}

// A transposed up-convolution whose output is added to a crop of the skip connection.
int up_and_add(Matcher& m, int v, int skip, int crop, const std::string& key) {
    const int d = m.deconv(v, 2, 2, 0, kSlope, key);
    return eltwise_sum(m, crop_like(m, skip, d, crop), d);
}

// Returns the scale: 2 (UpCUNet) or 1 (the denoisers' CUNet).
int cunet(Matcher& m) {
    // UNet1 (2x: ends in the 4x4 stride-2 transposed convolution; 1x: in a 3x3 convolution).
    const int x1 = unet_conv(m, 0, "unet1.conv1", false);
    int x2 = m.conv_unpadded(x1, 2, 2, kSlope, "unet1.conv1_down");
    x2 = unet_conv(m, x2, "unet1.conv2", true);
    x2 = up_and_add(m, x2, x1, 4, "unet1.conv2_up");
    const int x3 = m.conv_unpadded(x2, 3, 1, kSlope, "unet1.conv3");
    const bool one = m.next().layer->type == "Convolution";
    const int y = one ? m.conv_unpadded(x3, 3, 1, -1, "unet1.conv_bottom") : m.deconv(x3, 4, 2, 3, -1, "unet1.conv_bottom");
    if (m.channels(y) != m.channels(0)) m.misfit("UNet1 does not end in the input's channels");
    // UNet2.
    const int a = unet_conv(m, y, "unet2.conv1", false);
    int b = m.conv_unpadded(a, 2, 2, kSlope, "unet2.conv1_down");
    b = unet_conv(m, b, "unet2.conv2", true);
    int c = m.conv_unpadded(b, 2, 2, kSlope, "unet2.conv2_down");
    c = unet_conv(m, c, "unet2.conv3", true);
    c = up_and_add(m, c, b, 4, "unet2.conv3_up");
    c = unet_conv(m, c, "unet2.conv4", true);
    c = up_and_add(m, c, a, 16, "unet2.conv4_up");
    int z = m.conv_unpadded(c, 3, 1, kSlope, "unet2.conv5");
    z = m.conv_unpadded(z, 3, 1, -1, "unet2.conv_bottom");
    eltwise_sum(m, crop_like(m, y, z, 20), z);
    m.finish();
    return one ? 1 : 2;
}

void upconv7(Matcher& m) {
    int v = 0;
    for (int i = 0; i < kConvs; ++i) {
        v = m.conv_unpadded(v, 3, 1, kSlope, layer_key(i));
        if (m.channels(v) != kFeatures[i])
            m.misfit("expected " + std::to_string(kFeatures[i]) + " features, found " + std::to_string(m.channels(v)));
    }
    v = m.deconv(v, 4, 2, 3, -1, "net.12");
    if (m.channels(v) != m.channels(0)) m.misfit("the output does not have the input's channels");
    m.finish();
}

}  // namespace

formats::TensorMap from_ncnn(const formats::ncnn::Graph& g, std::map<std::string, std::string>& metadata) {
    // upconv_7 starts with a 16-feature convolution, cunet with a 32-feature one.
    const auto& first = *g.nodes()[0].layer;
    const bool up7 = first.type == "Convolution" && number(g.file(), first, 0, 0) == kFeatures[0];
    Matcher m(g);
    int scale = 2;
    if (up7) upconv7(m);
    else scale = cunet(m);
    metadata["scale"] = std::to_string(scale);
    return std::move(m.tensors());
}

}  // namespace upres::nn::arch::waifu2x
