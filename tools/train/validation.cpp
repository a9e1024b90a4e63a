#include "validation.hpp"

#include <algorithm>
#include <filesystem>

#include "checkpoint.hpp"
#include "core/error.hpp"
#include "core/options.hpp"
#include "formats/tensor_map.hpp"
#include "io/image_file.hpp"
#include "nn/arch/family.hpp"
#include "nn/model_resampler.hpp"
#include "quality/degradation.hpp"
#include "quality/metrics.hpp"
#include "registry/registry.hpp"

namespace upres_train {

namespace {

double mean_psnr(const upres::Resampler& r, const std::vector<upres::Image>& hr, const std::vector<upres::Image>& lr,
                 int scale) {
    double sum = 0;
    for (size_t i = 0; i < hr.size(); ++i) {
        const auto& h = hr[i].desc();
        upres::Image sr = upres::Image::allocate(h.width, h.height, h.channels, h.type);
        upres::RunContext quiet;
        upres::run_resampler(r, lr[i].view(), sr.view(), quiet);
        sum += upres::quality::psnr(sr.view(), hr[i].view(), scale, upres::quality::MetricChannels::luma);
    }
    return sum / double(hr.size());
}

}  // namespace

Validator::Validator(const std::string& dir, int scale, const std::string& device, int threads)
    : dir_(dir), device_(device), scale_(scale), threads_(threads) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/hr", ec))
        if (e.is_regular_file()) names.push_back(e.path().filename().string());
    if (ec) upres::fail(upres::Status::io, dir + "/hr: cannot list: " + ec.message());
    std::sort(names.begin(), names.end());
    const bool have_lr = std::filesystem::is_directory(dir + "/lr");
    for (const auto& n : names) {
        upres::Image hr = upres::io::load_pixels(dir + "/hr/" + n);
        upres::Image lr = have_lr ? upres::io::load_pixels(dir + "/lr/" + n)
                                  : upres::quality::degrade(hr.view(), upres::quality::parse_degradations(
                                                                           "down:" + std::to_string(scale) + ",matlab"), 0);
        if (lr.desc().channels != hr.desc().channels)
            upres::fail(upres::Status::invalid_argument, dir + ": " + n + ": hr and lr differ in channels");
        hr_.push_back(std::move(hr));
        lr_.push_back(std::move(lr));
    }
    if (hr_.empty()) upres::fail(upres::Status::invalid_argument, dir + "/hr: no images");
}

double Validator::bicubic_psnr() const {
    upres::Options o;
    o.set_int("threads", threads_);
    return mean_psnr(*upres::create_resampler("bicubic", o), hr_, lr_, scale_);
}

double Validator::model_psnr(const std::map<std::string, at::Tensor>& weights,
                             const std::map<std::string, std::string>& metadata) const {
    upres::formats::ModelFile file;
    file.format = "safetensors";
    file.metadata = metadata;
    file.tensors = to_file_tensors(weights);
    upres::Options o;
    o.set_int("threads", threads_);
    o.set_string("device", device_);
    auto model = upres::nn::detect(std::move(file), "validation model");
    const auto r = upres::nn::make_model_resampler(std::move(model), o, "validation model");
    return mean_psnr(*r, hr_, lr_, scale_);
}

}  // namespace upres_train
