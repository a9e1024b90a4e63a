// The neural family's entry points (libtorch builds).
#include "nn/nn.hpp"

#include <ATen/Context.h>
#include <torch/cuda.h>

#include <cmath>

#include "formats/model_file.hpp"
#include "models/model_search.hpp"
#include "nn/arch/family.hpp"
#include "nn/model_resampler.hpp"

namespace upres::nn {

namespace {

// A named model that comes as one file per trained scale (srcnn-x2/x3/x4): runs the one trained for
// the scale closest to the one asked for. Its native scale is that of the first file listed.
class ScaleSet : public Resampler {
public:
    ScaleSet(std::string name, std::vector<std::pair<int, std::unique_ptr<Resampler>>> members)
        : name_(std::move(name)), members_(std::move(members)) {}
    std::string name() const override { return name_; }
    int native_scale() const override { return members_.front().second->native_scale(); }
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
    std::string name_;
    std::vector<std::pair<int, std::unique_ptr<Resampler>>> members_;
};

std::unique_ptr<Resampler> open_model(const std::string& path, const Options& options) {
    return make_model_resampler(detect(formats::read_model_file(path), path), options, path);
}

// A named model: its one file, or the files of every scale that could be found.
std::unique_ptr<Resampler> create_named(const models::NamedModel& m, const Options& options) {
    if (m.files.size() == 1) return open_model(models::find_model(m, m.files[0], options), options);
    std::vector<std::pair<int, std::unique_ptr<Resampler>>> members;
    std::string missing;
    for (const auto& f : m.files) {
        std::string path;
        try {
            path = models::find_model(m, f, options);
        } catch (const Error& e) {
            if (e.status() != Status::not_found) throw;
            if (missing.empty()) missing = e.what();
            continue;
        }
        members.emplace_back(f.scale, open_model(path, options));
    }
    if (members.empty()) fail(Status::not_found, missing);
    return std::make_unique<ScaleSet>(m.method, std::move(members));
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

std::unique_ptr<Resampler> create(const std::string& name, const Options& options) {
    if (name == "model") {
        const std::string path = options.get_string("model");
        if (path.empty()) fail(Status::invalid_argument, "method 'model' needs the option 'model' (a model file)");
        return open_model(path, options);
    }
    const models::NamedModel* m = models::find_named_model(name);
    return m ? create_named(*m, options) : nullptr;
}

}  // namespace upres::nn
