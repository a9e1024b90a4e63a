#include <algorithm>

#include "nn/arch/keys.hpp"
#include "nn/arch/srresnet/srresnet.hpp"

namespace upres::nn::arch::srresnet {

namespace {

bool is_blocks(const formats::TensorMap& t) {
    return t.count("block1.0.weight") && t.count("block1.1.weight") && t.count("block2.conv1.weight") &&
           t.count("block2.bn1.running_mean") && t.count("block2.prelu.weight");
}

bool is_tutorial(const formats::TensorMap& t) {
    return t.count("conv_block1.conv_block.0.weight") && t.count("residual_blocks.0.conv_block1.conv_block.0.weight") &&
           t.count("conv_block3.conv_block.0.weight");
}

bool claims(const formats::TensorMap& t) { return is_msrresnet(t) || is_blocks(t) || is_tutorial(t); }

// The tutorial's SRGAN Generator wraps its SRResNet as `net`: those files carry net.* keys.
formats::TensorMap canonical(formats::TensorMap t) {
    if (!t.count("net.conv_block1.conv_block.0.weight")) return t;
    formats::TensorMap out;
    for (auto& [key, x] : t) out.emplace(key.rfind("net.", 0) == 0 ? key.substr(4) : key, std::move(x));
    return out;
}

void conv(const Keys& k, const std::string& name, int64_t outs, int64_t ins) {
    k.shape(name + ".weight", {outs, ins, 3, 3});
    if (k.has(name + ".bias")) k.shape(name + ".bias", {outs});
}

std::string num(int i) { return std::to_string(i); }

// A k x k convolution (k odd, read from the weight when kernel < 0) with an optional bias; returns k.
int64_t conv_k(const Keys& k, const std::string& name, int64_t outs, int64_t ins, int64_t kernel = -1) {
    const formats::Tensor& w = k.shape(name + ".weight", {outs, ins, kernel, kernel});
    if (w.shape[2] != w.shape[3] || w.shape[2] % 2 == 0 || w.shape[2] > kMaxKernel)
        k.fail("tensor '" + name + ".weight' has a " + std::to_string(w.shape[2]) + "x" + std::to_string(w.shape[3]) +
               " kernel, expected a square odd one");
    if (k.has(name + ".bias")) k.shape(name + ".bias", {outs});
    return w.shape[2];
}

// An eval-mode BatchNorm2d over `c` channels: affine weight and bias, running mean and variance
// (the variance must not be negative: the folded scale is g / sqrt(var + eps)).
void batch_norm(const Keys& k, const std::string& name, int64_t c) {
    for (const char* part : {".weight", ".bias", ".running_mean", ".running_var"}) k.shape(name + part, {c});
    const formats::Tensor& var = k.t.at(name + ".running_var");
    if (!var.data.empty())
        for (float v : var.to_float())
            if (!(v >= 0)) k.fail("tensor '" + name + ".running_var' holds a negative variance (" + std::to_string(v) + ")");
}

// PReLU: one slope or one per channel.
void prelu(const Keys& k, const std::string& name, int64_t c) {
    const formats::Tensor& a = k.need(name + ".weight", 1);
    if (a.shape[0] != 1 && a.shape[0] != c)
        k.fail("tensor '" + name + ".weight' has " + std::to_string(a.shape[0]) + " slopes, expected 1 or " + std::to_string(c));
}

}  // namespace

bool is_msrresnet(const formats::TensorMap& t) {
    return t.count("conv_first.weight") && t.count("body.0.conv1.weight") && t.count("body.0.conv2.weight") &&
           t.count("upconv1.weight") && t.count("conv_hr.weight") && t.count("conv_last.weight");
}

SrganPlan srgan_plan(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    SrganPlan p;
    p.scheme = is_blocks(t) ? Scheme::blocks : Scheme::tutorial;
    int last = 0;  // blocks: the number M of the last blockM
    if (p.scheme == Scheme::blocks) {
        p.head = "block1.0", p.head_act = "block1.1";
        auto present = [&](int n) {
            const std::string prefix = "block" + num(n) + ".";
            auto it = t.lower_bound(prefix);
            return it != t.end() && it->first.compare(0, prefix.size(), prefix) == 0;
        };
        while (last < kMaxBlocks + 4 && present(last + 1)) ++last;
        if (last < 4) k.fail("expected block1 (head), residual blocks, a trunk convolution and an upsampling block; found block1 ... block" + num(last));
        for (int b = 2; b <= last - 2; ++b) {
            const std::string n = "block" + num(b);
            p.body.push_back({n + ".conv1", n + ".bn1", n + ".prelu", n + ".conv2", n + ".bn2"});
        }
        p.trunk = "block" + num(last - 1) + ".0", p.trunk_bn = "block" + num(last - 1) + ".1";
    } else {
        p.head = "conv_block1.conv_block.0", p.head_act = "conv_block1.conv_block.1";
        const int blocks = k.count("residual_blocks.", ".conv_block1.conv_block.0.weight");
        for (int b = 0; b < blocks; ++b) {
            const std::string n = "residual_blocks." + num(b);
            p.body.push_back({n + ".conv_block1.conv_block.0", n + ".conv_block1.conv_block.1", n + ".conv_block1.conv_block.2",
                              n + ".conv_block2.conv_block.0", n + ".conv_block2.conv_block.1"});
        }
        p.trunk = "conv_block2.conv_block.0", p.trunk_bn = "conv_block2.conv_block.1";
    }
    k.bounded(int64_t(p.body.size()), 1, kMaxBlocks, "the number of residual blocks");
    const formats::Tensor& first = k.need(p.head + ".weight", 4);
    p.feat = k.bounded(first.shape[0], 1, kMaxChannels, "the feature width (" + p.head + ".weight dim 0)");
    p.in = k.bounded(first.shape[1], 1, 4, "the input channels (" + p.head + ".weight dim 1)");
    if (p.scheme == Scheme::tutorial && p.in != 3)
        k.fail(p.head + ".weight has " + num(p.in) + " input channels; this scheme's ImageNet normalisation is for RGB (3)");
    const int64_t f = p.feat;
    p.head_kernel = int(conv_k(k, p.head, f, p.in));
    prelu(k, p.head_act, f);
    p.kernel = int(conv_k(k, p.body[0].conv1, f, f));
    for (const auto& b : p.body) {
        conv_k(k, b.conv1, f, f, p.kernel);
        batch_norm(k, b.bn1, f);
        prelu(k, b.act, f);
        conv_k(k, b.conv2, f, f, p.kernel);
        batch_norm(k, b.bn2, f);
    }
    conv_k(k, p.trunk, f, f, p.kernel);
    batch_norm(k, p.trunk_bn, f);
    // Upsampling: as many conv + pixel shuffle + PReLU steps as there are, each x2 or x3.
    for (int i = 0;; ++i) {
        SrganPlan::Up u;
        if (p.scheme == Scheme::blocks)
            u.conv = "block" + num(last) + "." + num(i) + ".conv", u.act = "block" + num(last) + "." + num(i) + ".prelu";
        else
            u.conv = "subpixel_convolutional_blocks." + num(i) + ".conv", u.act = "subpixel_convolutional_blocks." + num(i) + ".prelu";
        if (!k.has(u.conv + ".weight")) break;
        const int64_t outs = k.need(u.conv + ".weight", 4).shape[0];
        if (outs == 4 * f) u.r = 2;
        else if (outs == 9 * f) u.r = 3;
        else k.fail("tensor '" + u.conv + ".weight' has " + num(int(std::min<int64_t>(outs, 1 << 30))) +
                    " outputs, not 4 or 9 x the feature width " + num(p.feat));
        conv_k(k, u.conv, int64_t(u.r) * u.r * f, f, p.kernel);
        prelu(k, u.act, f);
        p.scale *= u.r;
        if (p.scale > 16) k.fail("the upsampling steps make a scale above 16");
        p.ups.push_back(u);
    }
    if (p.ups.empty())
        k.fail("missing tensor '" + std::string(p.scheme == Scheme::blocks ? "block" + num(last) + ".0.conv.weight"
                                                                         : "subpixel_convolutional_blocks.0.conv.weight") + "'");
    p.tail = p.scheme == Scheme::blocks ? "block" + num(last) + "." + num(int(p.ups.size())) : "conv_block3.conv_block.0";
    p.out = k.bounded(k.need(p.tail + ".weight", 4).shape[0], 1, 4, "the output channels (" + p.tail + ".weight dim 0)");
    if (p.out != p.in) k.fail(p.tail + ".weight has " + num(p.out) + " outputs but the input has " + num(p.in) + " channels");
    p.tail_kernel = int(conv_k(k, p.tail, p.out, f));
    return p;
}

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

Descriptor describe_srgan(const formats::TensorMap& t, const std::string& name) {
    const SrganPlan p = srgan_plan(t, name + ": SRGAN SRResNet");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = p.in;
    d.out_channels = p.out;
    const int blocks = int(p.body.size());
    d.summary = "SRGAN SRResNet with batch norm (" +
                std::string(p.scheme == Scheme::blocks ? "block1..block" + num(blocks + 3) : "conv_block / residual_blocks") +
                " keys) x" + num(p.scale) + ", " + num(blocks) + " blocks, " + num(p.feat) + " features";
    if (p.scheme == Scheme::tutorial) {  // output on -1..1 (tanh); the network normalises its input itself
        d.gain.assign(3, 2.0f);
        d.offset.assign(3, -1.0f);
    }
    // The receptive radius in input pixels: the head, two convs per block, the trunk conv, then
    // the upsampling convs and the tail at higher resolutions (at most a pixel each).
    d.context = std::min(p.head_kernel / 2 + (2 * blocks + 1) * (p.kernel / 2) + int(p.ups.size()) + 2, 96);
    d.preferred_tile = 256;
    const int64_t f = p.feat, kk = int64_t(p.kernel) * p.kernel;
    int64_t macs = int64_t(p.head_kernel) * p.head_kernel * p.in * f + (2 * int64_t(blocks) + 1) * kk * f * f;
    int64_t area = 1;
    for (const auto& u : p.ups) {
        macs += area * kk * f * f * u.r * u.r;
        area *= int64_t(u.r) * u.r;
    }
    macs += area * int64_t(p.tail_kernel) * p.tail_kernel * f * p.out;
    d.macs_per_pixel = macs;
    return d;
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    if (!is_msrresnet(t)) return describe_srgan(t, name);
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
                          {"conv_first.*", "body.#.conv1.*", "body.#.conv2.*", "upconv1.*", "upconv2.*", "conv_hr.*", "conv_last.*",
                           "block#.#.*", "block#.conv#.*", "block#.bn#.*", "block#.prelu.*", "block#.#.conv.*", "block#.#.prelu.*",
                           "conv_block#.conv_block.#.*", "residual_blocks.#.conv_block#.conv_block.#.*",
                           "subpixel_convolutional_blocks.#.conv.*", "subpixel_convolutional_blocks.#.prelu.*",
                           "net.conv_block#.conv_block.#.*", "net.residual_blocks.#.conv_block#.conv_block.#.*",
                           "net.subpixel_convolutional_blocks.#.*"},
                          canonical,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::srresnet
