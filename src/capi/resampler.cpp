// Resamplers and runs.
#include "capi/boundary.hpp"
#include "capi/handles.hpp"
#include "registry/registry.hpp"

using namespace upres;
using namespace upres::capi;

namespace {

uint64_t max_pixels_of(const upres_resampler* r) { return uint64_t(r->options.get_int("max_pixels")); }

void run(const upres_resampler* resampler, const ImageView& src, const ImageView& dst, upres_progress_fn progress,
         void* user_data, upres_cancel_token* cancel) {
    RunContext::Progress on_progress;
    if (progress)
        on_progress = [progress, user_data](uint64_t done, uint64_t total) {
            return progress(done, total, user_data) == 0;
        };
    RunContext ctx(std::move(on_progress), cancel ? &cancel->cancelled : nullptr);
    ctx.check_cancelled();
    run_resampler(*resampler->resampler, src, dst, ctx);
}

}  // namespace

extern "C" {

UPRES_API int32_t upres_method_count(int32_t* out_count) {
    return UPRES_BOUNDARY({
        require(out_count, "out_count");
        *out_count = int32_t(methods().size());
    });
}

UPRES_API int32_t upres_method_name(int32_t index, const char** out_name) {
    return UPRES_BOUNDARY({
        require(out_name, "out_name");
        const auto& m = methods();
        if (index < 0 || size_t(index) >= m.size())
            fail(Status::invalid_argument, "upres_method_name: index " + std::to_string(index) + " out of range");
        *out_name = m[size_t(index)].name.c_str();
    });
}

UPRES_API int32_t upres_resampler_create(const char* method, const upres_options* options, upres_resampler** out) {
    return UPRES_BOUNDARY({
        require(method, "method");
        require(out, "out");
        auto r = std::make_unique<upres_resampler>();
        if (options) r->options = options->options;
        r->resampler = create_resampler(method, r->options);
        *out = r.release();
    });
}

UPRES_API void upres_resampler_destroy(upres_resampler* resampler) { delete resampler; }

UPRES_API int32_t upres_resampler_scale(const upres_resampler* resampler, int32_t* out_scale) {
    return UPRES_BOUNDARY({
        require(resampler, "resampler");
        require(out_scale, "out_scale");
        *out_scale = resampler->resampler->native_scale();
    });
}

UPRES_API int32_t upres_resample(const upres_resampler* resampler, const upres_image* src, const upres_image* dst,
                                 upres_progress_fn progress, void* user_data, upres_cancel_token* cancel) {
    return UPRES_BOUNDARY({
        require(resampler, "resampler");
        const uint64_t limit = max_pixels_of(resampler);
        const ImageView s = view_from(src, "src", limit);
        const ImageView d = view_from(dst, "dst", limit);
        run(resampler, s, d, progress, user_data, cancel);
    });
}

UPRES_API int32_t upres_resample_new(const upres_resampler* resampler, const upres_image* src, int32_t width,
                                     int32_t height, upres_progress_fn progress, void* user_data,
                                     upres_cancel_token* cancel, upres_bitmap** out) {
    return UPRES_BOUNDARY({
        require(resampler, "resampler");
        require(out, "out");
        const uint64_t limit = max_pixels_of(resampler);
        const ImageView s = view_from(src, "src", limit);
        validate_shape(width, height, s.desc.channels, int32_t(s.desc.type), "output", limit);
        auto bitmap = std::make_unique<upres_bitmap>();
        bitmap->image = Image::allocate(width, height, s.desc.channels, s.desc.type, limit);
        bitmap->image.set_flags(s.desc.flags);
        run(resampler, s, bitmap->image.view(), progress, user_data, cancel);
        *out = bitmap.release();
    });
}

UPRES_API int32_t upres_cancel_token_create(upres_cancel_token** out) {
    return UPRES_BOUNDARY({
        require(out, "out");
        *out = new upres_cancel_token();
    });
}

UPRES_API void upres_cancel_token_destroy(upres_cancel_token* token) { delete token; }

UPRES_API int32_t upres_cancel_token_cancel(upres_cancel_token* token) {
    return UPRES_BOUNDARY({ require(token, "token")->cancelled.store(true); });
}

UPRES_API int32_t upres_cancel_token_reset(upres_cancel_token* token) {
    return UPRES_BOUNDARY({ require(token, "token")->cancelled.store(false); });
}

UPRES_API int32_t upres_cancel_token_is_cancelled(const upres_cancel_token* token, int32_t* out) {
    return UPRES_BOUNDARY({
        require(token, "token");
        require(out, "out");
        *out = token->cancelled.load() ? 1 : 0;
    });
}

}  // extern "C"
