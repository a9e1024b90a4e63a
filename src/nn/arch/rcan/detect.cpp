#include <algorithm>
#include <cmath>
#include <cstring>
#include <regex>

#include "core/error.hpp"
#include "nn/arch/keys.hpp"
#include "nn/arch/rcan/rcan.hpp"

namespace upres::nn::arch::rcan {

namespace {

std::string num(int64_t i) { return std::to_string(i); }

bool is_basicsr(const formats::TensorMap& t) {
    return t.count("conv_first.weight") && t.count("body.0.residual_group.0.rcab.0.weight") && t.count("conv_last.weight");
}

bool claims(const formats::TensorMap& t) {
    return (t.count("head.0.weight") || t.count("head.1.weight")) && t.count("body.0.body.0.body.0.weight") &&
           t.count("body.0.body.0.body.3.conv_du.0.weight") && t.count("tail.1.weight");
}

// BasicSR's default rgb_mean (DIV2K's), which its RCAN keeps as a plain attribute, not in the file.
constexpr float kDiv2kMean[3] = {0.4488f, 0.4371f, 0.4040f};

// A canonical key under BasicSR's name (for messages); other keys come back as they are.
std::string basicsr_name(const std::string& key) {
    static const std::regex head(R"(^head\.0\.(.+)$)"), conv(R"(^body\.(\d+)\.body\.(\d+)\.body\.(0|2)\.(.+)$)"),
        attention(R"(^body\.(\d+)\.body\.(\d+)\.body\.3\.conv_du\.(0|2)\.(.+)$)"),
        group_conv(R"(^body\.(\d+)\.body\.(\d+)\.(weight|bias)$)"), body_conv(R"(^body\.(\d+)\.(weight|bias)$)"),
        upsample(R"(^tail\.0\.(.+)$)"), last(R"(^tail\.1\.(.+)$)");
    std::smatch m;
    if (std::regex_match(key, m, head)) return "conv_first." + m[1].str();
    if (std::regex_match(key, m, conv))
        return "body." + m[1].str() + ".residual_group." + m[2].str() + ".rcab." + m[3].str() + "." + m[4].str();
    if (std::regex_match(key, m, attention))
        return "body." + m[1].str() + ".residual_group." + m[2].str() + ".rcab.3.attention." +
               (m[3].str() == "0" ? "1" : "3") + "." + m[4].str();
    if (std::regex_match(key, m, group_conv)) return "body." + m[1].str() + ".conv." + m[3].str();
    if (std::regex_match(key, m, body_conv)) return "conv_after_body." + m[2].str();
    if (std::regex_match(key, m, upsample)) return "upsample." + m[1].str();
    if (std::regex_match(key, m, last)) return "conv_last." + m[1].str();
    return key;
}

// A message about canonical keys, for a file in BasicSR's names: each quoted key that BasicSR names
// otherwise is given under its name, the canonical one after it.
std::string in_basicsr_names(const std::string& message) {
    std::string out;
    size_t i = 0;
    while (i < message.size()) {
        const size_t a = message.find('\'', i);
        const size_t b = a == std::string::npos ? a : message.find('\'', a + 1);
        if (b == std::string::npos) break;
        const std::string key = message.substr(a + 1, b - a - 1), name = basicsr_name(key);
        out += message.substr(i, a - i) + "'" + name + "'";
        if (name != key) out += " (upres's '" + key + "')";
        i = b + 1;
    }
    return out + message.substr(i);
}

void conv(const Keys& k, const std::string& name, int64_t outs, int64_t ins, int64_t kernel) {
    k.shape(name + ".weight", {outs, ins, kernel, kernel});
    if (k.has(name + ".bias")) k.shape(name + ".bias", {outs});
}

// An odd kernel size from a convolution's weight (dim 2).
int odd_kernel(const Keys& k, const std::string& name) {
    const int64_t kk = k.need(name + ".weight", 4).shape[2];
    if (kk < 1 || kk > kMaxKernel || kk % 2 == 0)
        k.fail("tensor '" + name + ".weight' has kernel size " + num(kk) + ", expected an odd one up to " + num(kMaxKernel));
    return int(kk);
}

}  // namespace

formats::TensorMap canonical(formats::TensorMap in) {
    if (!is_basicsr(in)) return in;
    static const std::regex conv(R"(^body\.(\d{1,6})\.residual_group\.(\d{1,6})\.rcab\.(0|2)\.(.+)$)"),
        attention(R"(^body\.(\d{1,6})\.residual_group\.(\d{1,6})\.rcab\.3\.attention\.(1|3)\.(.+)$)"),
        group_conv(R"(^body\.(\d{1,6})\.conv\.(.+)$)");
    // Each group's closing conv goes after its blocks; the body's after the groups.
    auto count = [&](const std::string& prefix, const std::string& suffix) {
        int n = 0;
        while (n < 100000 && in.count(prefix + num(n) + suffix)) ++n;
        return n;
    };
    const int groups = count("body.", ".residual_group.0.rcab.0.weight");
    formats::TensorMap out;
    std::smatch m;
    for (auto& [key, t] : in) {
        std::string k = key;
        if (std::regex_match(key, m, conv)) {
            k = "body." + m[1].str() + ".body." + m[2].str() + ".body." + m[3].str() + "." + m[4].str();
        } else if (std::regex_match(key, m, attention)) {
            k = "body." + m[1].str() + ".body." + m[2].str() + ".body.3.conv_du." + (m[3].str() == "1" ? "0" : "2") + "." +
                m[4].str();
        } else if (std::regex_match(key, m, group_conv)) {
            const int blocks = count("body." + m[1].str() + ".residual_group.", ".rcab.0.weight");
            k = "body." + m[1].str() + ".body." + num(blocks) + "." + m[2].str();
        } else {
            static const std::pair<const char*, const char*> prefixes[] = {
                {"conv_first.", "head.0."}, {"upsample.", "tail.0."}, {"conv_last.", "tail.1."}};
            for (const auto& [from, to] : prefixes)
                if (key.rfind(from, 0) == 0) k = to + key.substr(std::strlen(from));
            if (key.rfind("conv_after_body.", 0) == 0) k = "body." + num(groups) + "." + key.substr(16);
        }
        out.emplace(k, std::move(t));
    }
    if (!out.count("mean")) {
        formats::Tensor mean{formats::DType::f32, {1, 3, 1, 1}, std::vector<uint8_t>(sizeof kDiv2kMean)};
        std::memcpy(mean.data.data(), kDiv2kMean, sizeof kDiv2kMean);
        out.emplace("mean", std::move(mean));
    }
    return out;
}

Params params(const formats::TensorMap& t, const std::string& where) {
    const Keys k{t, where};
    Params p;
    const bool unshuffled = !k.has("head.0.weight") && k.has("head.1.weight");
    const std::string head = unshuffled ? "head.1" : "head.0";
    const formats::Tensor& hw = k.need(head + ".weight", 4);
    p.feat = k.bounded(hw.shape[0], 1, kMaxChannels, "the feature width (tensor '" + head + ".weight' dim 0)");
    p.kernel = odd_kernel(k, head);
    if (unshuffled) {
        // PixelUnshuffle(d) then the conv: it takes colors * d^2 channels (colors from the last conv).
        p.colors = k.bounded(k.need("tail.1.weight", 4).shape[0], 1, 4, "the image channels (tensor 'tail.1.weight' dim 0)");
        const int64_t ins = hw.shape[1];
        int d = 2;
        while (d < 8 && int64_t(d) * d * p.colors < ins) ++d;
        if (int64_t(d) * d * p.colors != ins)
            k.fail("tensor 'head.1.weight' takes " + num(ins) + " channels, not the " + num(p.colors) +
                   " image channels (tensor 'tail.1.weight') times a pixel-unshuffle factor squared");
        p.unshuffle = d;
    } else {
        p.colors = k.bounded(hw.shape[1], 1, 4, "the input channels (tensor 'head.0.weight' dim 1)");
    }
    conv(k, head, p.feat, int64_t(p.colors) * p.unshuffle * p.unshuffle, p.kernel);
    p.groups = k.bounded(k.count("body.", ".body.0.body.0.weight"), 1, kMaxBlocks, "the number of residual groups");
    p.blocks = k.bounded(k.count("body.0.body.", ".body.0.weight"), 1, kMaxBlocks, "the number of blocks per group");
    p.squeeze = k.bounded(k.need("body.0.body.0.body.3.conv_du.0.weight", 4).shape[0], 1, kMaxChannels,
                          "the attention width (tensor 'body.0.body.0.body.3.conv_du.0.weight' dim 0)");
    for (int g = 0; g < p.groups; ++g) {
        const std::string gp = "body." + num(g) + ".body.";
        for (int b = 0; b < p.blocks; ++b) {
            const std::string bp = gp + num(b) + ".body.";
            conv(k, bp + "0", p.feat, p.feat, p.kernel);
            conv(k, bp + "2", p.feat, p.feat, p.kernel);
            conv(k, bp + "3.conv_du.0", p.squeeze, p.feat, 1);
            conv(k, bp + "3.conv_du.2", p.feat, p.squeeze, 1);
        }
        conv(k, gp + num(p.blocks), p.feat, p.feat, p.kernel);
    }
    conv(k, "body." + num(p.groups), p.feat, p.feat, p.kernel);
    // The upsampler: x2^n is n convolutions to 4 x feat at tail.0.0, tail.0.2, ... (each followed
    // by a pixel shuffle 2); x3 one to 9 x feat; x1 none. Its kernel is 3 in every scheme (the
    // body's may differ), read from the weights anyway.
    p.steps = 0;
    while (p.steps < 4 && k.has("tail.0." + num(2 * p.steps) + ".weight")) ++p.steps;
    // Nothing else under tail.0 (a conv whose weight is missing must not pass for a smaller scale).
    for (auto it = t.lower_bound("tail.0."); it != t.end() && it->first.rfind("tail.0.", 0) == 0; ++it) {
        const int i = std::atoi(it->first.c_str() + 7);
        if (i % 2 == 0 && i >= 2 * p.steps && p.steps == 4)
            k.fail("tensor '" + it->first + "': more than four x2 steps in the upsampler");
        if (i % 2 != 0 || i >= 2 * p.steps)
            k.fail("tensor '" + it->first + "' is not one of the upsampler's convolutions" +
                   (i % 2 == 0 ? " (missing tensor 'tail.0." + num(2 * p.steps) + ".weight')" : std::string()));
    }
    int tail_scale = 1;
    if (p.steps > 0) {
        const int64_t up = k.need("tail.0.0.weight", 4).shape[0];
        if (p.steps == 1 && up == int64_t(9) * p.feat) {
            p.shuffle = 3;
        } else if (up != int64_t(4) * p.feat) {
            k.fail("tensor 'tail.0.0.weight' has " + num(up) + " outputs, not 4 or 9 x the feature width " + num(p.feat));
        }
        p.up_kernel = odd_kernel(k, "tail.0.0");
        for (int s = 0; s < p.steps; ++s) {
            conv(k, "tail.0." + num(2 * s), int64_t(p.shuffle) * p.shuffle * p.feat, p.feat, p.up_kernel);
            tail_scale *= p.shuffle;
        }
    }
    conv(k, "tail.1", p.colors, p.feat, p.kernel);
    if (tail_scale % p.unshuffle != 0)
        k.fail("the upsampler's x" + num(tail_scale) + " does not undo the input's pixel unshuffle by " + num(p.unshuffle) +
               " (tensor 'head.1.weight')");
    p.scale = tail_scale / p.unshuffle;
    return p;
}

namespace {

// The input map: sets d.gain / d.offset (empty = 0..1 as is); returns how the summary says it.
std::string input_map(const Keys& k, int64_t colors, Descriptor& d) {
    const formats::TensorMap& t = k.t;
    if (k.has("mean")) {  // BasicSR: (x - mean) * img_range, img_range 255 (its default; not in files)
        const formats::Tensor& mean = t.at("mean");
        if (mean.numel() != colors)
            k.fail("tensor 'mean' (BasicSR's rgb_mean, DIV2K's when the file has none) holds " + num(mean.numel()) +
                   " values for " + num(colors) + " image channels");
        const std::vector<float> m = mean.to_float();
        d.gain.assign(size_t(colors), 255.0f);
        d.offset.resize(size_t(colors));
        for (int64_t i = 0; i < colors; ++i) d.offset[size_t(i)] = -255.0f * m[size_t(i)];
        return ", BasicSR scheme";
    }
    if (!k.has("sub_mean.weight") && !k.has("add_mean.weight")) return ", no mean shift";
    for (const char* m : {"sub_mean", "add_mean"}) {
        k.shape(std::string(m) + ".weight", {colors, colors, 1, 1});
        k.shape(std::string(m) + ".bias", {colors});
    }
    const std::vector<float> sw = t.at("sub_mean.weight").to_float(), sb = t.at("sub_mean.bias").to_float();
    const std::vector<float> aw = t.at("add_mean.weight").to_float(), ab = t.at("add_mean.bias").to_float();
    for (int64_t i = 0; i < colors; ++i)
        for (int64_t j = 0; j < colors; ++j) {
            const double s = sw[size_t(i * colors + j)], a = aw[size_t(i * colors + j)];
            if (i != j && (s != 0 || a != 0)) k.fail("tensors 'sub_mean.weight' / 'add_mean.weight' are not diagonal");
        }
    // sub_mean is x / std - rgb_range * mean / std on rgb_range * x: -b / w = rgb_range * mean, so a
    // mean shift on 0..1 (neosr's) has |b / w| <= 1, the authors' on 0..255 about 100.
    double largest = 0;
    for (int64_t i = 0; i < colors; ++i) {
        const double s = sw[size_t(i * colors + i)], b = sb[size_t(i)], a = aw[size_t(i * colors + i)], c = ab[size_t(i)];
        if (!(std::fabs(s) > 1e-6) || std::fabs(a * s - 1) > 1e-4 || std::fabs(c + b / s) > 1e-3 * (1 + std::fabs(c)))
            k.fail("'add_mean' (weight " + std::to_string(a) + ", bias " + std::to_string(c) +
                   ") is not the inverse of 'sub_mean' (weight " + std::to_string(s) + ", bias " + std::to_string(b) + ")");
        largest = std::max(largest, std::fabs(b / s));
    }
    const float range = largest > 0 && largest <= 1 ? 1.0f : 255.0f;
    d.gain.resize(size_t(colors));
    d.offset.resize(size_t(colors));
    for (int64_t i = 0; i < colors; ++i) {
        d.gain[size_t(i)] = float(range * sw[size_t(i * colors + i)]);
        d.offset[size_t(i)] = sb[size_t(i)];
    }
    return range == 1.0f ? ", mean shift on 0..1" : "";
}

Descriptor describe(const formats::TensorMap& t, const std::map<std::string, std::string>&, const std::string& name) {
    const std::string where = name + ": RCAN";
    const Keys k{t, where};
    Params p;
    Descriptor d;
    std::string range;
    try {
        p = params(t, where);
        range = input_map(k, p.colors, d);
    } catch (const Error& e) {
        if (!k.has("mean")) throw;
        throw Error(e.status(), in_basicsr_names(e.what()));
    }
    d.scale = p.scale;
    d.in_channels = d.out_channels = p.colors;
    const int u = p.unshuffle;
    if (u > 1) {  // traiNNer-redux / spandrel pad the input to the unshuffle factor by reflection
        d.size_multiple = u;
        d.multiple_pad = EdgePad::reflect;
    }
    d.summary = "RCAN x" + num(p.scale) + ", " + num(p.groups) + " groups x " + num(p.blocks) + " blocks, " +
                num(p.feat) + " features, reduction " + num(p.feat / p.squeeze) +
                (u > 1 ? ", pixel-unshuffle " + num(u) : std::string()) + range;
    // Channel attention pools over the whole tile; in a tiled run the runner gives it the image's
    // means (image_statistics.hpp), so the overlap only has to cover the convolutions' reach
    // that matters in practice (in input pixels: the unshuffled body sees u times as far).
    d.context = 32 * u;
    d.preferred_tile = 384;
    const int64_t f = p.feat, kk = int64_t(p.kernel) * p.kernel;
    // At the body's resolution (1 / u^2 of the input's pixels), then per input pixel.
    int64_t macs = kk * p.colors * u * u * f;
    macs += int64_t(p.groups) * (int64_t(p.blocks) * (2 * kk * f * f + 2 * f * p.squeeze) + kk * f * f) + kk * f * f;
    int64_t area = 1;
    const int64_t s2 = int64_t(p.shuffle) * p.shuffle;
    for (int s = 0; s < p.steps; ++s) {
        macs += int64_t(p.up_kernel) * p.up_kernel * f * s2 * f * area;
        area *= s2;
    }
    macs += kk * f * p.colors * area;
    d.macs_per_pixel = macs / (int64_t(u) * u);
    return d;
}

}  // namespace

const Family& family() {
    static const Family f{"rcan",
                          "RCAN (residual channel attention networks)",
                          {"sub_mean.*", "add_mean.*", "head.0.*", "head.1.*", "body.#.body.#.body.#.*",
                           "body.#.body.#.body.3.conv_du.#.*", "body.#.body.#.*", "body.#.*", "tail.0.#.*", "tail.1.*",
                           // BasicSR's names
                           "conv_first.*", "body.#.residual_group.#.rcab.#.*", "body.#.residual_group.#.rcab.3.attention.#.*",
                           "body.#.conv.*", "conv_after_body.*", "upsample.#.*", "conv_last.*", "mean"},
                          canonical,
                          claims,
                          describe,
                          nullptr,
                          UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::rcan
