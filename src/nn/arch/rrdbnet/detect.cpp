#include <regex>
#include <set>

#include "nn/arch/keys.hpp"
#include "nn/arch/rrdbnet/rrdbnet.hpp"

namespace upres::nn::arch::rrdbnet {

formats::TensorMap canonical(formats::TensorMap in) {
    // ESRGAN's original sequential scheme (model.N...), its RRDBNet_arch scheme (RRDB_trunk,
    // trunk_conv, upconvN, HRconv), and Real-ESRGAN's (body.N.rdbK.convJ) which is canonical.
    static const std::regex old_block(R"(^model\.1\.sub\.(\d{1,6})\.RDB(\d)\.conv(\d)\.0\.(weight|bias)$)");
    static const std::regex old_trunk(R"(^model\.1\.sub\.(\d{1,6})\.(weight|bias)$)");
    static const std::regex mid_block(R"(^RRDB_trunk\.(\d{1,6})\.RDB(\d)\.conv(\d)\.(weight|bias)$)");
    // ESRGAN+'s 1x1 skip in each dense block (a plain Conv2d without bias in both old schemes).
    static const std::regex plus_block(R"(^(?:model\.1\.sub|RRDB_trunk)\.(\d{1,6})\.RDB(\d)\.conv1x1\.weight$)");
    static const std::regex old_layer(R"(^model\.(\d{1,6})\.(weight|bias)$)");
    // The sequential scheme numbers the upsampling convolutions by position: x4 has 3, 6 then
    // HRconv 8 and last 10; x8 3, 6, 9, then 11, 13; x16 3, 6, 9, 12, then 14, 16.
    int top = 0;
    std::smatch m;
    for (const auto& kv : in)
        if (std::regex_match(kv.first, m, old_layer)) top = std::max(top, std::stoi(m[1].str()));
    formats::TensorMap out;
    for (auto& [key, t] : in) {
        std::string k = key;
        if (std::regex_match(key, m, plus_block)) {
            k = "body." + m[1].str() + ".rdb" + m[2].str() + ".conv1x1.weight";
        } else if (std::regex_match(key, m, old_block) || std::regex_match(key, m, mid_block)) {
            k = "body." + m[1].str() + ".rdb" + m[2].str() + ".conv" + m[3].str() + "." + m[4].str();
        } else if (std::regex_match(key, m, old_trunk)) {
            k = "conv_body." + m[2].str();
        } else if (std::regex_match(key, m, old_layer)) {
            const int i = std::stoi(m[1].str());
            if (i == 0) k = "conv_first." + m[2].str();
            else if (i == top) k = "conv_last." + m[2].str();
            else if (i == top - 2) k = "conv_hr." + m[2].str();
            else if (i % 3 == 0 && i < top - 2) k = "conv_up" + std::to_string(i / 3) + "." + m[2].str();
        } else {
            static const std::map<std::string, std::string> renames = {{"trunk_conv", "conv_body"}, {"upconv1", "conv_up1"},
                                                                       {"upconv2", "conv_up2"},     {"upconv3", "conv_up3"},
                                                                       {"upconv4", "conv_up4"},     {"HRconv", "conv_hr"}};
            const size_t dot = key.find('.');
            auto it = renames.find(key.substr(0, dot));
            if (it != renames.end()) k = it->second + key.substr(dot);
        }
        out.emplace(k, std::move(t));
    }
    return out;
}

namespace {

bool claims(const formats::TensorMap& t) {
    return t.count("conv_first.weight") && t.count("conv_last.weight") && t.count("body.0.rdb1.conv1.weight");
}

}  // namespace

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    Params p;
    const formats::Tensor& first = k.need("conv_first.weight", 4);
    const formats::Tensor& last = k.need("conv_last.weight", 4);
    p.feat = k.bounded(first.shape[0], 1, kMaxChannels, "the feature width (conv_first.weight dim 0)");
    p.out = k.bounded(last.shape[0], 1, 4, "the output channels (conv_last.weight dim 0)");
    const int64_t first_in = first.shape[1];
    // Pixel-unshuffle (x2: factor 2, x1: factor 4) multiplies conv_first's inputs by factor^2.
    if (first_in == 16 * p.out) p.unshuffle = 4;
    else if (first_in == 4 * p.out) p.unshuffle = 2;
    p.in = k.bounded(first_in / (p.unshuffle * p.unshuffle), 1, 4, "the input channels (conv_first.weight dim 1)");
    if (int64_t(p.in) * p.unshuffle * p.unshuffle != first_in) k.fail("conv_first.weight's inputs are not channels x unshuffle^2");
    p.grow = k.bounded(k.need("body.0.rdb1.conv1.weight", 4).shape[0], 1, kMaxChannels, "the growth channels (body.0.rdb1.conv1.weight dim 0)");
    std::set<int> blocks;
    static const std::regex block(R"(^body\.(\d{1,6})\.rdb\d\.conv\d\.weight$)");
    std::smatch m;
    for (const auto& kv : t)
        if (std::regex_match(kv.first, m, block) && m[1].length() < 6) blocks.insert(std::stoi(m[1].str()));
    p.blocks = k.bounded(int64_t(blocks.size()), 1, kMaxBlocks, "the number of RRDB blocks");
    if (*blocks.rbegin() != p.blocks - 1) k.fail("RRDB blocks are not numbered 0..N-1");
    for (int b = 0; b < p.blocks; ++b)
        for (int r = 1; r <= 3; ++r)
            for (int c = 1; c <= 5; ++c) {
                const std::string key = "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv" + std::to_string(c);
                k.shape(key + ".weight", {c < 5 ? p.grow : p.feat, p.feat + (c - 1) * p.grow, 3, 3});
                if (k.has(key + ".bias")) k.shape(key + ".bias", {c < 5 ? p.grow : p.feat});
            }
    // ESRGAN+ (nESRGAN+): every dense block has a 1x1 skip conv1x1 [grow, feat, 1, 1] (or none has).
    p.plus = k.has("body.0.rdb1.conv1x1.weight");
    for (int b = 0; b < p.blocks; ++b)
        for (int r = 1; r <= 3; ++r) {
            const std::string key = "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv1x1";
            if (p.plus) k.shape(key + ".weight", {p.grow, p.feat, 1, 1});
            else if (k.has(key + ".weight")) k.fail("tensor '" + key + ".weight' without body.0.rdb1.conv1x1.weight (ESRGAN+ has it in every dense block)");
            if (k.has(key + ".bias")) k.shape(key + ".bias", {p.grow});
        }
    p.upsamples = 0;
    while (p.upsamples < 4 && k.has("conv_up" + std::to_string(p.upsamples + 1) + ".weight")) ++p.upsamples;
    // ESRGAN's x1 and x2 models in the sequential scheme have zero or one upsampling steps.
    std::vector<std::string> convs = {"conv_first", "conv_body", "conv_hr", "conv_last"};
    for (int u = 1; u <= p.upsamples; ++u) convs.push_back("conv_up" + std::to_string(u));
    for (const auto& c : convs) {
        const int64_t outs = c == "conv_last" ? p.out : p.feat;
        k.shape(c + ".weight", {outs, c == "conv_first" ? first_in : p.feat, 3, 3});
        if (k.has(c + ".bias")) k.shape(c + ".bias", {outs});
    }
    p.scale = (1 << p.upsamples) / p.unshuffle;
    return p;
}

namespace {

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    const Params p = params(t, name + ": RRDBNet");
    Descriptor d;
    d.scale = p.scale;
    d.in_channels = p.in;
    d.out_channels = p.out;
    d.size_multiple = p.unshuffle;
    d.summary = std::string(p.plus ? "ESRGAN+ " : "") + "RRDBNet x" + std::to_string(p.scale) + ", " + std::to_string(p.blocks) + " blocks, " + std::to_string(p.feat) +
                " features, growth " + std::to_string(p.grow) +
                (p.unshuffle > 1 ? ", pixel-unshuffle " + std::to_string(p.unshuffle) : "");
    // 48 px of context keeps RRDBNet x4plus tiles within 1/255 of an untiled run (measured:
    // 24 px leaves up to 53/255, 32 px 3/255, 48 px 1/255, 64 px 0.15/255).
    d.context = 48;
    // Bounds memory (x4 at 256 + 2 * 48 px: about 130 MB per fp32 feature map at twice the input
    // size; the output-size maps go in strips) while keeping the overlap's extra work under 2x.
    d.preferred_tile = 256;
    // x4plus: fp16 on CUDA 59.0-63.7 dB from fp32 on Set5; bf16 on the CPU only 48.3 dB on Set14
    // baboon, so auto keeps fp32 there (docs/models.md, "Precision").
    d.auto_fp16_cuda = true;
    const int64_t lr = int64_t(p.unshuffle) * p.unshuffle;  // conv_first..conv_body run at 1/unshuffle^2 the pixels
    int64_t trunk = 0;
    for (int c = 1; c <= 5; ++c) trunk += int64_t(p.feat + (c - 1) * p.grow) * (c < 5 ? p.grow : p.feat);
    int64_t macs = 9 * (int64_t(p.in) * lr * p.feat + 3 * p.blocks * trunk + int64_t(p.feat) * p.feat) / lr;
    if (p.plus) macs += 3 * int64_t(p.blocks) * p.feat * p.grow / lr;  // ESRGAN+'s 1x1 skips
    int64_t area = 1;
    for (int u = 1; u <= p.upsamples; ++u) area *= 4, macs += 9 * int64_t(p.feat) * p.feat * area / lr;
    macs += 9 * (int64_t(p.feat) * p.feat + int64_t(p.feat) * p.out) * area / lr;
    d.macs_per_pixel = macs;
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"rrdbnet",
                          "RRDBNet (ESRGAN, Real-ESRGAN, ESRGAN+)",
                          {"conv_first.*", "body.#.rdb#.conv#.*", "conv_body.*", "conv_up#.*", "conv_hr.*", "conv_last.*",
                           "model.#.sub.#.RDB#.conv#.0.*", "model.#.*", "RRDB_trunk.#.RDB#.conv#.*", "model.#.sub.#.RDB#.conv1x1.*", "RRDB_trunk.#.RDB#.conv1x1.*", "trunk_conv.*",
                           "upconv#.*", "HRconv.*"},
                          canonical,
                          claims,
                          describe,
                          from_ncnn,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::rrdbnet
