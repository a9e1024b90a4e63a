// Image files (a convenience layer over src/io).
#include "capi/boundary.hpp"
#include "capi/handles.hpp"
#include "io/image_file.hpp"

using namespace upres;
using namespace upres::capi;

namespace {
uint64_t max_pixels_of(const upres_options* o) { return o ? uint64_t(o->options.get_int("max_pixels")) : 0; }
}  // namespace

extern "C" {

UPRES_API int32_t upres_image_load(const char* path, const upres_options* options, upres_bitmap** out) {
    return UPRES_BOUNDARY({
        require(path, "path");
        require(out, "out");
        auto bitmap = std::make_unique<upres_bitmap>();
        bitmap->image = io::load_image(path, max_pixels_of(options));
        *out = bitmap.release();
    });
}

UPRES_API int32_t upres_image_load_memory(const void* data, size_t size, const upres_options* options,
                                          upres_bitmap** out) {
    return UPRES_BOUNDARY({
        require(data, "data");
        require(out, "out");
        auto bitmap = std::make_unique<upres_bitmap>();
        bitmap->image = io::decode_image(static_cast<const uint8_t*>(data), size, "<memory>", max_pixels_of(options));
        *out = bitmap.release();
    });
}

UPRES_API int32_t upres_image_probe(const char* path, upres_image* out_info) {
    return UPRES_BOUNDARY({
        require(path, "path");
        require(out_info, "out_info");
        ImageView v;
        v.desc = io::probe_image(path);
        fill_public(v, out_info);
    });
}

UPRES_API int32_t upres_image_save(const char* path, const upres_image* image, const upres_options* options) {
    return UPRES_BOUNDARY({
        require(path, "path");
        const ImageView v = view_from(image, "image", UINT64_MAX);
        const int quality = options ? int(options->options.get_int("jpeg_quality")) : 90;
        io::save_image(path, v, quality);
    });
}

}  // extern "C"
