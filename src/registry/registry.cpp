#include "registry/registry.hpp"

#include "classical/classical.hpp"
#include "nn/nn.hpp"

namespace upres {

const std::vector<MethodInfo>& methods() {
    static const std::vector<MethodInfo> all = [] {
        std::vector<MethodInfo> v = classical::methods();
        const auto& models = nn::methods();
        v.insert(v.end(), models.begin(), models.end());
        return v;
    }();
    return all;
}

std::unique_ptr<Resampler> create_resampler(const std::string& method, const Options& options) {
    if (auto r = classical::create(method, options)) return r;
    if (auto r = nn::create(method, options)) return r;
    std::string known;
    for (const auto& m : methods()) known += (known.empty() ? "" : ", ") + m.name;
    fail(Status::not_found, "unknown method '" + method + "' (known: " + known + ")");
}

void run_resampler(const Resampler& r, const ImageView& src, const ImageView& dst, RunContext& run) {
    if (src.desc.channels != dst.desc.channels)
        fail(Status::invalid_argument, "source has " + std::to_string(src.desc.channels) +
                                           " channels but destination has " + std::to_string(dst.desc.channels));
    if (src.desc.type == dst.desc.type) return r.resample(src, dst, run);
    // Different sample types: resample in the wider of the two, then convert once.
    const SampleType work = std::max(src.desc.type, dst.desc.type);
    if (work == src.desc.type) {
        Image tmp = Image::allocate(dst.desc.width, dst.desc.height, dst.desc.channels, work);
        tmp.set_flags(dst.desc.flags);
        r.resample(src, tmp.view(), run);
        convert_samples(tmp.view(), dst);
    } else {
        Image tmp = Image::allocate(src.desc.width, src.desc.height, src.desc.channels, work);
        tmp.set_flags(src.desc.flags);
        convert_samples(src, tmp.view());
        r.resample(tmp.view(), dst, run);
    }
}

}  // namespace upres
