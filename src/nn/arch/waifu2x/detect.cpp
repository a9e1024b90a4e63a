#include "nn/arch/keys.hpp"
#include "nn/arch/realcugan/realcugan.hpp"
#include "nn/arch/waifu2x/waifu2x.hpp"

namespace upres::nn::arch::waifu2x {

namespace {

// upconv_7 from nunif's keys; a cunet graph read from ncnn carries Real-CUGAN's keys (such
// .pth / .safetensors files are claimed by realcugan first, which comes earlier in the table and
// runs the same network).
bool claims(const formats::TensorMap& t) {
    return is_upconv7(t) || realcugan::family().claims(t);
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>& metadata, const std::string& name) {
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
