// Validation exactly as `upres eval` measures: the library's model resampler (the file's weights and
// metadata through nn::detect) upscales each lr/ image to its hr/ size, and PSNR is taken on BT.601
// Y with `scale` pixels cropped per border.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include "core/image.hpp"

namespace upres_train {

class Validator {
public:
    // `dir` holds hr/ and optionally lr/ (made with the MATLAB-compatible downscale when absent).
    Validator(const std::string& dir, int scale, const std::string& device, int threads);

    // Mean Y-PSNR of the "bicubic" method (the baseline a model has to beat).
    double bicubic_psnr() const;
    // Mean Y-PSNR of SRCNN with these weights and model metadata.
    double model_psnr(const std::map<std::string, at::Tensor>& weights,
                      const std::map<std::string, std::string>& metadata) const;
    size_t image_count() const { return hr_.size(); }

private:
    std::string dir_, device_;
    int scale_, threads_;
    std::vector<upres::Image> hr_, lr_;
};

}  // namespace upres_train
