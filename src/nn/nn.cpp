// The neural family's entry points (libtorch builds).
#include "nn/nn.hpp"

#include <ATen/Context.h>
#include <torch/cuda.h>

#include <cmath>

#include "formats/model_file.hpp"
#include "models/model_search.hpp"
#include "nn/detect.hpp"
#include "nn/model_resampler.hpp"

namespace upres::nn {

namespace {

// The shipped SRCNN comes as one model per scale (srcnn-x2/x3/x4): "srcnn" runs the one trained
// for the scale closest to the one asked for. SRCNN works at the output size, so any size is native.
class SrcnnFamily : public Resampler {
public:
    explicit SrcnnFamily(std::vector<std::pair<int, std::unique_ptr<Resampler>>> members) : members_(std::move(members)) {}
    std::string name() const override { return "srcnn"; }
    void resample(const ImageView& src, const ImageView& dst, RunContext& run) const override {
        const double ratio = std::sqrt(double(dst.desc.width) / src.desc.width * double(dst.desc.height) / src.desc.height);
        const Resampler* best = members_.front().second.get();
        double best_distance = 1e9;
        for (const auto& [scale, r] : members_) {
            const double d = std::fabs(std::log(ratio / scale));
            if (d < best_distance) best_distance = d, best = r.get();
        }
        best->resample(src, dst, run);
    }

private:
    std::vector<std::pair<int, std::unique_ptr<Resampler>>> members_;
};

std::unique_ptr<Resampler> create_srcnn_family(const Options& options) {
    std::vector<std::pair<int, std::unique_ptr<Resampler>>> members;
    std::string missing;
    for (int scale : {2, 3, 4}) {
        const std::string file = "srcnn-x" + std::to_string(scale) + ".safetensors";
        std::string path;
        try {
            path = models::find_model({"srcnn", file.c_str(), ""}, options);
        } catch (const Error& e) {
            if (e.status() != Status::not_found) throw;
            if (missing.empty()) missing = e.what();
            continue;
        }
        formats::ModelFile f = formats::read_model_file(path);
        members.emplace_back(scale, make_model_resampler(detect(std::move(f), path), options, path));
    }
    if (members.empty()) fail(Status::not_found, missing);
    return std::make_unique<SrcnnFamily>(std::move(members));
}

}  // namespace

bool available() { return true; }

int cuda_index(const std::string& d) {
    if (d == "cpu") return -1;
    const std::string digits = d.size() > 5 && d.compare(0, 5, "cuda:") == 0 ? d.substr(5) : "";
    const bool well_formed = d == "cuda" || (!digits.empty() && digits.size() <= 3 &&
                                             digits.find_first_not_of("0123456789") == std::string::npos);
    if (!well_formed) fail(Status::invalid_argument, "device '" + d + "' is not cpu, cuda or cuda:N");
    const int index = digits.empty() ? 0 : std::stoi(digits);
    const int count = cuda_device_count();
    if (count == 0)
        fail(Status::unsupported,
             "device '" + d + "': " + (at::hasCUDA() ? "no CUDA device is visible" : "this libtorch has no CUDA support"));
    if (index >= count)
        fail(Status::invalid_argument, "device '" + d + "': there are only " + std::to_string(count) +
                                           " CUDA devices (cuda:0 .. cuda:" + std::to_string(count - 1) + ")");
    return index;
}

int cuda_device_count() {
    if (!at::hasCUDA()) return 0;
    try {
        return int(torch::cuda::device_count());
    } catch (const std::exception&) {
        return 0;  // a broken driver reads as no device, not as an error
    }
}

const std::vector<MethodInfo>& methods() {
    static const std::vector<MethodInfo> list = [] {
        std::vector<MethodInfo> v;
        for (const auto& m : models::named_models()) v.push_back({m.method, "model", m.description});
        v.push_back({"model", "model", "a model file given by the option 'model'"});
        return v;
    }();
    return list;
}

std::unique_ptr<Resampler> create(const std::string& name, const Options& options) {
    std::string path;
    if (name == "model") {
        path = options.get_string("model");
        if (path.empty()) fail(Status::invalid_argument, "method 'model' needs the option 'model' (a model file)");
    } else if (name == "srcnn") {
        return create_srcnn_family(options);
    } else {
        for (const auto& m : models::named_models())
            if (name == m.method) path = models::find_model(m, options);
        if (path.empty()) return nullptr;
    }
    return make_model_resampler(detect(formats::read_model_file(path), path), options, path);
}

}  // namespace upres::nn
