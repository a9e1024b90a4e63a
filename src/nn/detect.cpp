#include "nn/detect.hpp"

#include <cmath>
#include <regex>
#include <set>

#include "core/error.hpp"

namespace upres::nn {

namespace {

using formats::Tensor;
using formats::TensorMap;

[[noreturn]] void bad(const std::string& name, const std::string& what) { fail(Status::model, name + ": " + what); }

const Tensor& need(const TensorMap& m, const std::string& key, size_t rank, const std::string& name) {
    auto it = m.find(key);
    if (it == m.end()) bad(name, "missing tensor '" + key + "'");
    if (it->second.shape.size() != rank)
        bad(name, "tensor '" + key + "' has rank " + std::to_string(it->second.shape.size()) + ", expected " +
                      std::to_string(rank));
    return it->second;
}

// Renames the older ESRGAN key schemes to the one Real-ESRGAN uses.
TensorMap canonical_rrdb_names(const TensorMap& in) {
    static const std::regex old_block(R"(^model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias)$)");
    static const std::regex old_trunk(R"(^model\.1\.sub\.(\d+)\.(weight|bias)$)");
    static const std::regex mid_block(R"(^RRDB_trunk\.(\d+)\.RDB(\d)\.conv(\d)\.(weight|bias)$)");
    static const std::regex old_layer(R"(^model\.(\d+)\.(weight|bias)$)");
    TensorMap out;
    std::smatch m;
    for (const auto& [key, t] : in) {
        std::string k = key;
        if (std::regex_match(key, m, old_block) || std::regex_match(key, m, mid_block)) {
            k = "body." + m[1].str() + ".rdb" + m[2].str() + ".conv" + m[3].str() + "." + m[4].str();
        } else if (std::regex_match(key, m, old_trunk)) {
            k = "conv_body." + m[2].str();
        } else if (std::regex_match(key, m, old_layer)) {
            static const std::map<std::string, std::string> layers = {
                {"0", "conv_first"}, {"3", "conv_up1"}, {"6", "conv_up2"}, {"8", "conv_hr"}, {"10", "conv_last"}};
            auto it = layers.find(m[1].str());
            if (it != layers.end()) k = it->second + "." + m[2].str();
        } else {
            static const std::map<std::string, std::string> renames = {
                {"trunk_conv", "conv_body"}, {"upconv1", "conv_up1"}, {"upconv2", "conv_up2"}, {"HRconv", "conv_hr"}};
            const size_t dot = key.find('.');
            auto it = renames.find(key.substr(0, dot));
            if (it != renames.end()) k = it->second + key.substr(dot);
        }
        out.emplace(k, t);
    }
    return out;
}

int metadata_int(const formats::ModelFile& f, const char* key) {
    auto it = f.metadata.find(key);
    if (it == f.metadata.end()) return 0;
    try {
        return std::stoi(it->second);
    } catch (...) {
        return 0;
    }
}

}  // namespace

Architecture detect(formats::ModelFile file, const std::string& name) {
    Architecture a;
    if (file.format == "torchscript") {  // a program: runs only by path, when the caller allows it
        a.arch = Arch::torchscript;
        a.script_path = name;
        return a;
    }
    const TensorMap& t = file.tensors;
    for (const auto& kv : t) a.parameters += kv.second.numel();
    if (t.count("conv1.weight") && t.count("conv2.weight") && t.count("conv3.weight")) {
        a.arch = Arch::srcnn;
        const Tensor& c1 = need(t, "conv1.weight", 4, name);
        const Tensor& c2 = need(t, "conv2.weight", 4, name);
        const Tensor& c3 = need(t, "conv3.weight", 4, name);
        a.in_channels = int(c1.shape[1]);
        a.out_channels = int(c3.shape[0]);
        a.kernels[0] = int(c1.shape[2]);
        a.kernels[1] = int(c2.shape[2]);
        a.kernels[2] = int(c3.shape[2]);
        if (c2.shape[1] != c1.shape[0] || c3.shape[1] != c2.shape[0]) bad(name, "SRCNN layers do not chain");
        for (const int k : a.kernels)
            if (k % 2 == 0 || k > 31) bad(name, "SRCNN kernel sizes must be odd and at most 31");
        if ((a.in_channels != 1 && a.in_channels != 3) || a.out_channels != a.in_channels)
            bad(name, "SRCNN must map 1 or 3 channels to the same number");
        a.scale = metadata_int(file, "scale");
        auto pad = file.metadata.find("padding");
        if (pad != file.metadata.end()) a.padding = pad->second;
        a.tensors = std::move(file.tensors);
        return a;
    }
    if (t.count("body.0.weight") && !t.count("conv_first.weight")) {
        a.arch = Arch::compact;
        int last = -1;
        for (int i = 0;; i += 2) {
            if (!t.count("body." + std::to_string(i) + ".weight")) break;
            last = i;
        }
        if (last < 4) bad(name, "SRVGGNetCompact needs at least two convolutions");
        const Tensor& first = need(t, "body.0.weight", 4, name);
        const Tensor& tail = need(t, "body." + std::to_string(last) + ".weight", 4, name);
        a.num_feat = int(first.shape[0]);
        a.in_channels = int(first.shape[1]);
        a.out_channels = a.in_channels;
        a.num_conv = last / 2 - 1;
        const double s = std::sqrt(double(tail.shape[0]) / a.out_channels);
        a.scale = int(std::lround(s));
        if (a.scale < 1 || a.scale * a.scale * a.out_channels != tail.shape[0])
            bad(name, "SRVGGNetCompact: last convolution has " + std::to_string(tail.shape[0]) +
                          " outputs, not channels x scale^2");
        for (int i = 1; i < last; i += 2) need(t, "body." + std::to_string(i) + ".weight", 1, name);
        a.tensors = std::move(file.tensors);
        return a;
    }
    TensorMap c = canonical_rrdb_names(t);
    if (c.count("conv_first.weight") && c.count("conv_last.weight") && c.count("body.0.rdb1.conv1.weight")) {
        a.arch = Arch::rrdbnet;
        const Tensor& first = need(c, "conv_first.weight", 4, name);
        const Tensor& lastw = need(c, "conv_last.weight", 4, name);
        a.num_feat = int(first.shape[0]);
        a.out_channels = int(lastw.shape[0]);
        const int64_t ratio = first.shape[1] / a.out_channels;
        a.unshuffle = ratio == 16 ? 4 : ratio == 4 ? 2 : 1;
        a.in_channels = int(first.shape[1] / (a.unshuffle * a.unshuffle));
        a.num_grow = int(need(c, "body.0.rdb1.conv1.weight", 4, name).shape[0]);
        std::set<int> blocks;
        static const std::regex block(R"(^body\.(\d+)\.rdb\d\.conv\d\.weight$)");
        std::smatch m;
        for (const auto& kv : c)
            if (std::regex_match(kv.first, m, block)) blocks.insert(std::stoi(m[1].str()));
        a.num_block = int(blocks.size());
        if (blocks.empty() || *blocks.rbegin() != a.num_block - 1) bad(name, "RRDB blocks are not numbered 0..N-1");
        const int ups = c.count("conv_up3.weight") ? 3 : 2;
        a.scale = (1 << ups) / a.unshuffle;
        for (const char* k : {"conv_body.weight", "conv_up1.weight", "conv_up2.weight", "conv_hr.weight"}) need(c, k, 4, name);
        a.tensors = std::move(c);
        return a;
    }
    std::string keys;
    int shown = 0;
    for (const auto& kv : t) {
        if (shown++ == 12) {
            keys += ", ...";
            break;
        }
        keys += (keys.empty() ? "" : ", ") + kv.first;
    }
    bad(name, "unknown architecture (not SRCNN, RRDBNet or SRVGGNetCompact); keys that did not match: " + keys);
}

std::string Architecture::describe() const {
    std::string s;
    switch (arch) {
        case Arch::srcnn:
            s = "SRCNN " + std::to_string(kernels[0]) + "-" + std::to_string(kernels[1]) + "-" + std::to_string(kernels[2]) +
                ", " + (in_channels == 1 ? "Y" : "RGB") + (scale ? ", x" + std::to_string(scale) : "") +
                (padding.empty() ? "" : ", " + padding + " padding");
            break;
        case Arch::rrdbnet:
            s = "RRDBNet x" + std::to_string(scale) + ", " + std::to_string(num_block) + " blocks, " +
                std::to_string(num_feat) + " features, growth " + std::to_string(num_grow) +
                (unshuffle > 1 ? ", pixel-unshuffle " + std::to_string(unshuffle) : "");
            break;
        case Arch::compact:
            s = "SRVGGNetCompact x" + std::to_string(scale) + ", " + std::to_string(num_conv) + " convs, " +
                std::to_string(num_feat) + " features";
            break;
        case Arch::torchscript:
            return "TorchScript program (runs only with the option torchscript=1)" +
                   (scale ? ", x" + std::to_string(scale) : std::string(", scale found by a trial run"));
    }
    return s + ", " + std::to_string(in_channels) + " -> " + std::to_string(out_channels) + " channels, " +
           std::to_string(parameters) + " parameters";
}

}  // namespace upres::nn
