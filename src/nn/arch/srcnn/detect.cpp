#include "core/error.hpp"
#include "nn/arch/keys.hpp"
#include "nn/arch/srcnn/srcnn.hpp"

namespace upres::nn::arch::srcnn {

namespace {

bool claims(const formats::TensorMap& t) {
    return t.count("conv1.weight") && t.count("conv2.weight") && t.count("conv3.weight") && !t.count("conv4.weight");
}

int metadata_int(const std::map<std::string, std::string>& m, const char* key) {
    auto it = m.find(key);
    if (it == m.end()) return 0;
    try {
        return std::stoi(it->second);
    } catch (...) {
        return 0;
    }
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>& meta, const std::string& name) {
    const Keys k{t, name + ": SRCNN"};
    const formats::Tensor& c1 = k.need("conv1.weight", 4);
    const formats::Tensor& c2 = k.need("conv2.weight", 4);
    const formats::Tensor& c3 = k.need("conv3.weight", 4);
    int kernels[3];
    const formats::Tensor* convs[3] = {&c1, &c2, &c3};
    for (int i = 0; i < 3; ++i) {
        kernels[i] = int(convs[i]->shape[2]);
        if (kernels[i] % 2 == 0 || kernels[i] > 31 || convs[i]->shape[3] != kernels[i])
            k.fail("kernel sizes must be square, odd and at most 31 (conv" + std::to_string(i + 1) + ".weight)");
        k.bounded(convs[i]->shape[0], 1, kMaxChannels, "conv" + std::to_string(i + 1) + ".weight's outputs");
        const std::string bias = "conv" + std::to_string(i + 1) + ".bias";
        if (k.has(bias)) k.shape(bias, {convs[i]->shape[0]});
    }
    if (c2.shape[1] != c1.shape[0] || c3.shape[1] != c2.shape[0]) k.fail("layers do not chain (conv2.weight, conv3.weight)");
    const int in = int(c1.shape[1]), out = int(c3.shape[0]);
    if ((in != 1 && in != 3) || out != in) k.fail("must map 1 or 3 channels to the same number");
    Descriptor d;
    d.scale = 0;
    d.at_output_size = true;
    d.in_channels = d.out_channels = in;
    d.studio_luma = true;
    d.context = (kernels[0] + kernels[1] + kernels[2] - 3) / 2;
    auto pad = meta.find("padding");
    if (pad != meta.end()) {
        if (pad->second != "zero" && pad->second != "replicate")
            k.fail("metadata 'padding' is '" + pad->second + "', not zero or replicate");
        d.conv_padding = pad->second;
    }
    const int trained = metadata_int(meta, "scale");
    d.summary = "SRCNN " + std::to_string(kernels[0]) + "-" + std::to_string(kernels[1]) + "-" + std::to_string(kernels[2]) +
                ", " + (in == 1 ? "Y" : "RGB") + (trained > 0 ? ", x" + std::to_string(trained) : "") +
                (d.conv_padding.empty() ? "" : ", " + d.conv_padding + " padding");
    d.macs_per_pixel = int64_t(kernels[0]) * kernels[0] * in * c1.shape[0] + int64_t(kernels[1]) * kernels[1] * c2.shape[1] * c2.shape[0] +
                       int64_t(kernels[2]) * kernels[2] * c3.shape[1] * out;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"srcnn", "SRCNN", {"conv#.weight", "conv#.bias"}, nullptr, claims, describe, nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::srcnn
