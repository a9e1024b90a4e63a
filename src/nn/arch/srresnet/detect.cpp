#include "nn/arch/keys.hpp"
#include "nn/arch/srresnet/srresnet.hpp"

namespace upres::nn::arch::srresnet {

namespace {

bool claims(const formats::TensorMap& t) {
    return t.count("conv_first.weight") && t.count("body.0.conv1.weight") && t.count("body.0.conv2.weight") &&
           t.count("upconv1.weight") && t.count("conv_hr.weight") && t.count("conv_last.weight");
}

void conv(const Keys& k, const std::string& name, int64_t outs, int64_t ins) {
    k.shape(name + ".weight", {outs, ins, 3, 3});
    if (k.has(name + ".bias")) k.shape(name + ".bias", {outs});
}

}  // namespace

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    Params p;
    const formats::Tensor& first = k.need("conv_first.weight", 4);
    p.feat = k.bounded(first.shape[0], 1, kMaxChannels, "the feature width (conv_first.weight dim 0)");
    p.in = k.bounded(first.shape[1], 1, 4, "the input channels (conv_first.weight dim 1)");
    p.out = k.bounded(k.need("conv_last.weight", 4).shape[0], 1, 4, "the output channels (conv_last.weight dim 0)");
    if (p.out != p.in) k.fail("conv_last.weight has " + std::to_string(p.out) + " outputs but the input has " +
                              std::to_string(p.in) + " channels (the upsampled input is added to the output)");
    p.blocks = k.bounded(k.count("body.", ".conv1.weight"), 1, kMaxBlocks, "the number of residual blocks");
    conv(k, "conv_first", p.feat, p.in);
    for (int b = 0; b < p.blocks; ++b) {
        conv(k, "body." + std::to_string(b) + ".conv1", p.feat, p.feat);
        conv(k, "body." + std::to_string(b) + ".conv2", p.feat, p.feat);
    }
    const int64_t up = k.need("upconv1.weight", 4).shape[0];
    if (k.has("upconv2.weight")) {
        p.scale = 4;
        conv(k, "upconv1", int64_t(4) * p.feat, p.feat);
        conv(k, "upconv2", int64_t(4) * p.feat, p.feat);
    } else {
        if (up == int64_t(4) * p.feat) p.scale = 2;
        else if (up == int64_t(9) * p.feat) p.scale = 3;
        else k.fail("upconv1.weight has " + std::to_string(up) + " outputs, not 4 or 9 x the feature width " + std::to_string(p.feat));
        conv(k, "upconv1", int64_t(p.scale) * p.scale * p.feat, p.feat);
    }
    conv(k, "conv_hr", p.feat, p.feat);
    conv(k, "conv_last", p.out, p.feat);
    return p;
}

namespace {

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    const Params p = params(t, name + ": SRResNet");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = p.in;
    d.out_channels = p.out;
    d.summary = "SRResNet (MSRResNet) x" + std::to_string(p.scale) + ", " + std::to_string(p.blocks) + " blocks, " +
                std::to_string(p.feat) + " features";
    // The receptive radius in input pixels: conv_first, two per block, upconv1, and the rest at the
    // output resolution (under one input pixel). A context this wide makes tiles exact.
    d.context = std::min(2 * p.blocks + 4, 96);
    d.preferred_tile = 256;
    const int64_t f = p.feat, s2 = int64_t(p.scale) * p.scale;
    int64_t macs = 9 * (int64_t(p.in) * f + 2 * int64_t(p.blocks) * f * f);
    if (p.scale == 4) macs += 9 * (f * 4 * f + 4 * f * 4 * f);
    else macs += 9 * f * s2 * f;
    macs += 9 * (f * f + f * p.out) * s2;
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"srresnet",
                          "SRResNet (MSRResNet, SRGAN's generator)",
                          {"conv_first.*", "body.#.conv1.*", "body.#.conv2.*", "upconv1.*", "upconv2.*", "conv_hr.*", "conv_last.*"},
                          nullptr,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::srresnet
