#include <algorithm>
#include <cmath>

#include "formats/ncnn_graph.hpp"
#include "nn/arch/compact/compact.hpp"
#include "nn/arch/keys.hpp"

namespace upres::nn::arch::compact {

namespace {

bool claims(const formats::TensorMap& t) {
    return t.count("body.0.weight") && t.count("body.1.weight") && !t.count("conv_first.weight") &&
           t.at("body.0.weight").shape.size() == 4 && t.at("body.1.weight").shape.size() == 1;
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    const Keys k{t, name + ": SRVGGNetCompact"};
    // The last convolution is the highest-numbered 4-D body weight; every one before it must be there.
    int last = -1;
    for (const auto& [key, x] : t)
        if (x.shape.size() == 4 && key_matches("body.#.weight", key) && key.size() < 16)
            last = std::max(last, std::stoi(key.substr(5)));
    if (last < 4 || last % 2) k.fail("needs at least two body convolutions at even indices (body.0, body.2, body.4, ...)");
    const formats::Tensor& first = k.need("body.0.weight", 4);
    const int feat = k.bounded(first.shape[0], 1, kMaxChannels, "the feature width (body.0.weight dim 0)");
    const int in = k.bounded(first.shape[1], 1, 4, "the input channels (body.0.weight dim 1)");
    for (int i = 0; i <= last; ++i) k.need("body." + std::to_string(i) + ".weight", i % 2 ? 1 : 4);
    const int convs = last / 2 - 1;
    k.bounded(convs, 1, kMaxBlocks, "the number of body convolutions");
    for (int i = 0; i <= last; i += 2) {
        const std::string p = "body." + std::to_string(i);
        k.shape(p + ".weight", {i == last ? -1 : feat, i == 0 ? in : feat, 3, 3});
        if (k.has(p + ".bias")) k.shape(p + ".bias", {k.t.at(p + ".weight").shape[0]});
        if (i < last) k.shape("body." + std::to_string(i + 1) + ".weight", {feat});
    }
    const int64_t tail = t.at("body." + std::to_string(last) + ".weight").shape[0];
    const int scale = int(std::lround(std::sqrt(double(tail) / in)));
    if (scale < 1 || scale > 16 || int64_t(scale) * scale * in != tail)
        k.fail("the last convolution has " + std::to_string(tail) + " outputs, not channels x scale^2");
    Descriptor d;
    d.summary = "SRVGGNetCompact x" + std::to_string(scale) + ", " + std::to_string(convs) + " convs, " +
                std::to_string(feat) + " features";
    d.scale = scale;
    d.in_channels = d.out_channels = in;
    d.context = convs + 2;
    d.preferred_tile = 512;
    // bf16 keeps x4fast 51.5-55.1 dB from fp32 on Set5/Set14 x4 and was 2.5x faster than fp32 by
    // ATen; but widths that are multiples of 16 run fp32 through the oneDNN Winograd chain
    // (network.cpp), faster still: x4fast on 256 x 256, 0.51 s in fp32 against 1.76 s in bf16.
#if UPRES_WITH_DNNL
    d.auto_bf16_cpu = feat % 16 != 0;
#else
    d.auto_bf16_cpu = true;
#endif
    d.macs_per_pixel = 9 * (int64_t(in) * feat + int64_t(convs) * feat * feat + int64_t(feat) * tail);
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"compact",
                          "SRVGGNetCompact (Real-ESRGAN compact)",
                          {"body.#.weight", "body.#.bias"},
                          nullptr,
                          claims,
                          describe,
                          from_ncnn,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::compact
