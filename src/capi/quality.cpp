// Quality metrics (PSNR, SSIM).
#include "capi/boundary.hpp"
#include "capi/handles.hpp"
#include "quality/degradation.hpp"
#include "quality/metrics.hpp"

using namespace upres;
using namespace upres::capi;

namespace {
quality::MetricChannels mode_of(int32_t m) {
    if (m != UPRES_METRIC_LUMA && m != UPRES_METRIC_ALL)
        fail(Status::invalid_argument, "channels_mode must be UPRES_METRIC_LUMA or UPRES_METRIC_ALL");
    return quality::MetricChannels(m);
}
}  // namespace

extern "C" {

UPRES_API int32_t upres_psnr(const upres_image* a, const upres_image* b, int32_t border, int32_t channels_mode,
                             double* out_db) {
    return UPRES_BOUNDARY({
        require(out_db, "out_db");
        const ImageView va = view_from(a, "a"), vb = view_from(b, "b");
        *out_db = quality::psnr(va, vb, border, mode_of(channels_mode));
    });
}

UPRES_API int32_t upres_ssim(const upres_image* a, const upres_image* b, int32_t border, int32_t channels_mode,
                             double* out_ssim) {
    return UPRES_BOUNDARY({
        require(out_ssim, "out_ssim");
        const ImageView va = view_from(a, "a"), vb = view_from(b, "b");
        *out_ssim = quality::ssim(va, vb, border, mode_of(channels_mode));
    });
}

UPRES_API int32_t upres_degrade(const upres_image* src, const char* pipeline, uint64_t seed, upres_bitmap** out) {
    return UPRES_BOUNDARY({
        require(pipeline, "pipeline");
        require(out, "out");
        const ImageView v = view_from(src, "src");
        const auto steps = quality::parse_degradations(pipeline);
        auto bitmap = std::make_unique<upres_bitmap>();
        bitmap->image = quality::degrade(v, steps, seed);
        *out = bitmap.release();
    });
}

}  // extern "C"
