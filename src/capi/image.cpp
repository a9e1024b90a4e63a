// Image descriptors and bitmaps (images whose pixels upres owns).
#include <cstring>

#include "capi/boundary.hpp"
#include "capi/handles.hpp"
#include "core/checked_math.hpp"

namespace upres::capi {

ImageView view_from(const upres_image* image, const char* name, uint64_t max_pixels) {
    require(image, name);
    // Older callers may pass a shorter struct; every field we read today is in the first version.
    if (image->struct_size < sizeof(upres_image))
        fail(Status::invalid_argument, std::string(name) + ": struct_size is " + std::to_string(image->struct_size) +
                                           ", expected at least " + std::to_string(sizeof(upres_image)) +
                                           " (use upres_image_init)");
    if (!is_valid_sample_type(image->sample_type))
        fail(Status::invalid_argument, std::string(name) + ": unknown sample type " + std::to_string(image->sample_type));
    ImageView v;
    v.desc.width = image->width;
    v.desc.height = image->height;
    v.desc.channels = image->channels;
    v.desc.type = SampleType(image->sample_type);
    v.desc.flags = image->flags;
    v.desc.stride = image->stride_bytes;
    v.data = static_cast<uint8_t*>(image->data);
    validate_view(v, name, max_pixels);
    return v;
}

void fill_public(const ImageView& view, upres_image* out) {
    upres_image r;
    r.struct_size = sizeof(upres_image);
    r.width = view.desc.width;
    r.height = view.desc.height;
    r.channels = view.desc.channels;
    r.sample_type = int32_t(view.desc.type);
    r.flags = view.desc.flags;
    r.stride_bytes = view.desc.stride;
    r.data = view.data;
    *out = r;
}

}  // namespace upres::capi

using namespace upres;
using namespace upres::capi;

extern "C" {

UPRES_API int32_t upres_image_init(upres_image* image, int32_t width, int32_t height, int32_t channels,
                                   int32_t sample_type, void* data) {
    return UPRES_BOUNDARY({
        require(image, "image");
        // Shape only: the limit applies when pixels are used, not to describing them.
        validate_shape(width, height, channels, sample_type, "image", UINT64_MAX);
        ImageView v;
        v.desc.width = width;
        v.desc.height = height;
        v.desc.channels = channels;
        v.desc.type = SampleType(sample_type);
        v.desc.stride = int64_t(packed_bytes(width, height, channels, SampleType(sample_type)) / uint64_t(height));
        v.data = static_cast<uint8_t*>(data);
        fill_public(v, image);
    });
}

UPRES_API int32_t upres_image_required_bytes(int32_t width, int32_t height, int32_t channels, int32_t sample_type,
                                             uint64_t* out_bytes) {
    return UPRES_BOUNDARY({
        require(out_bytes, "out_bytes");
        validate_shape(width, height, channels, sample_type, "image", UINT64_MAX);
        *out_bytes = packed_bytes(width, height, channels, SampleType(sample_type));
    });
}

UPRES_API int32_t upres_bitmap_create(int32_t width, int32_t height, int32_t channels, int32_t sample_type,
                                      upres_bitmap** out) {
    return UPRES_BOUNDARY({
        require(out, "out");
        validate_shape(width, height, channels, sample_type, "bitmap");
        auto bitmap = std::make_unique<upres_bitmap>();
        bitmap->image = Image::allocate(width, height, channels, SampleType(sample_type));
        *out = bitmap.release();
    });
}

UPRES_API int32_t upres_bitmap_view(const upres_bitmap* bitmap, upres_image* out_view) {
    return UPRES_BOUNDARY({
        require(bitmap, "bitmap");
        require(out_view, "out_view");
        fill_public(bitmap->image.view(), out_view);
    });
}

UPRES_API void upres_bitmap_destroy(upres_bitmap* bitmap) { delete bitmap; }

namespace {
constexpr size_t kMaxMetadataBytes = size_t(64) << 20;

std::string* metadata_block(const upres_bitmap* bitmap, int32_t kind) {
    if (kind < UPRES_METADATA_ICC || kind > UPRES_METADATA_IPTC)
        fail(Status::invalid_argument, "metadata kind " + std::to_string(kind) + " is not one of UPRES_METADATA_*");
    return const_cast<upres_bitmap*>(bitmap)->metadata.blob(MetadataKind(kind));
}
}  // namespace

UPRES_API int32_t upres_bitmap_metadata(const upres_bitmap* bitmap, int32_t kind, const void** out_data, size_t* out_size) {
    return UPRES_BOUNDARY({
        require(bitmap, "bitmap");
        require(out_data, "out_data");
        require(out_size, "out_size");
        const std::string* b = metadata_block(bitmap, kind);
        *out_data = b->empty() ? nullptr : b->data();
        *out_size = b->size();
    });
}

UPRES_API int32_t upres_bitmap_set_metadata(upres_bitmap* bitmap, int32_t kind, const void* data, size_t size) {
    return UPRES_BOUNDARY({
        require(bitmap, "bitmap");
        if (size) require(data, "data");
        if (size > kMaxMetadataBytes)
            fail(Status::limit, "metadata block of " + std::to_string(size) + " bytes (at most 64 MiB)");
        std::string* b = metadata_block(bitmap, kind);
        b->assign(static_cast<const char*>(data), size);
    });
}

UPRES_API int32_t upres_bitmap_orientation(const upres_bitmap* bitmap, int32_t* out_orientation) {
    return UPRES_BOUNDARY({
        require(bitmap, "bitmap");
        require(out_orientation, "out_orientation");
        *out_orientation = bitmap->metadata.orientation;
    });
}

UPRES_API int32_t upres_bitmap_set_orientation(upres_bitmap* bitmap, int32_t orientation) {
    return UPRES_BOUNDARY({
        require(bitmap, "bitmap");
        if (orientation < 1 || orientation > 8)
            fail(Status::invalid_argument, "EXIF orientation " + std::to_string(orientation) + " (1..8)");
        bitmap->metadata.orientation = orientation;
    });
}

UPRES_API int32_t upres_bitmap_copy_metadata(upres_bitmap* dst, const upres_bitmap* src) {
    return UPRES_BOUNDARY({
        require(dst, "dst");
        require(src, "src");
        dst->metadata = src->metadata;
    });
}

UPRES_API int32_t upres_set_max_pixels(uint64_t max_pixels) {
    return UPRES_BOUNDARY({
        if (max_pixels == 0) fail(Status::invalid_argument, "max_pixels must be positive");
        set_default_max_pixels(max_pixels);
    });
}

UPRES_API uint64_t upres_get_max_pixels(void) { return default_max_pixels(); }

}  // extern "C"
