// Image files (a layer over src/io): load and save bitmaps with their metadata.
#include "capi/boundary.hpp"
#include "capi/handles.hpp"
#include "io/formats.hpp"
#include "io/image_file.hpp"

using namespace upres;
using namespace upres::capi;

namespace {

io::LoadOptions load_options(const upres_options* o) {
    io::LoadOptions l;
    if (!o) return l;
    l.max_pixels = uint64_t(o->options.get_int("max_pixels"));
    l.auto_orient = o->options.get_int("auto_orient") != 0;
    l.to_srgb = o->options.get_int("to_srgb") != 0;
    return l;
}

io::SaveOptions save_options(const upres_options* o) {
    io::SaveOptions s;
    if (!o) return s;
    s.quality = int(o->options.get_int("quality"));
    s.lossless = o->options.get_int("lossless") != 0;
    s.chroma = o->options.get_string("chroma_subsampling");
    s.progressive = o->options.get_int("progressive") != 0;
    s.compression = o->options.get_string("tiff_compression");
    s.strip = o->options.get_int("strip") != 0;
    return s;
}

upres_bitmap* new_bitmap(io::LoadedImage&& loaded) {
    auto bitmap = std::make_unique<upres_bitmap>();
    bitmap->image = std::move(loaded.image);
    bitmap->metadata = std::move(loaded.metadata);
    return bitmap.release();
}

}  // namespace

extern "C" {

UPRES_API int32_t upres_file_load(const char* path, const upres_options* options, upres_bitmap** out) {
    return UPRES_BOUNDARY({
        require(path, "path");
        require(out, "out");
        *out = new_bitmap(io::load_image(path, load_options(options)));
    });
}

UPRES_API int32_t upres_file_load_memory(const void* data, size_t size, const upres_options* options, upres_bitmap** out) {
    return UPRES_BOUNDARY({
        require(data, "data");
        require(out, "out");
        *out = new_bitmap(io::decode_image(static_cast<const uint8_t*>(data), size, "<memory>", load_options(options)));
    });
}

UPRES_API int32_t upres_file_probe(const char* path, const upres_options* options, upres_image* out_info) {
    return UPRES_BOUNDARY({
        require(path, "path");
        require(out_info, "out_info");
        ImageView v;
        v.desc = io::probe_image(path, load_options(options));
        fill_public(v, out_info);
    });
}

UPRES_API int32_t upres_file_check_output(const char* path, int32_t width, int32_t height, int32_t channels,
                                          const upres_options* options) {
    return UPRES_BOUNDARY({
        require(path, "path");
        (void)options;
        io::check_output(path, width, height, channels);
    });
}

UPRES_API int32_t upres_file_save(const char* path, const upres_bitmap* bitmap, const upres_options* options) {
    return UPRES_BOUNDARY({
        require(path, "path");
        require(bitmap, "bitmap");
        io::save_image(path, bitmap->image.view(), &bitmap->metadata, save_options(options));
    });
}

UPRES_API int32_t upres_file_save_image(const char* path, const upres_image* image, const upres_options* options) {
    return UPRES_BOUNDARY({
        require(path, "path");
        const ImageView v = view_from(image, "image", UINT64_MAX);
        io::save_image(path, v, nullptr, save_options(options));
    });
}

UPRES_API int32_t upres_file_format_count(int32_t* out_count) {
    return UPRES_BOUNDARY({
        require(out_count, "out_count");
        *out_count = int32_t(io::file_formats().size());
    });
}

UPRES_API int32_t upres_file_format_info(int32_t index, const char** out_name, const char** out_extensions,
                                         int32_t* out_flags, const char** out_codec) {
    return UPRES_BOUNDARY({
        const auto& table = io::file_formats();
        if (index < 0 || size_t(index) >= table.size())
            fail(Status::invalid_argument, "format index " + std::to_string(index) + " out of range");
        const io::FileFormat& f = table[size_t(index)];
        if (out_name) *out_name = f.name;
        if (out_extensions) *out_extensions = f.extensions;
        if (out_flags)
            *out_flags = (f.reads != io::Codec::none ? UPRES_FORMAT_READ : 0) | (f.writes != io::Codec::none ? UPRES_FORMAT_WRITE : 0);
        // The reader's codec (a format stb writes but libvips reads says libvips).
        if (out_codec) *out_codec = io::codec_name(f.reads != io::Codec::none ? f.reads : f.writes);
    });
}

}  // extern "C"
