// Which codec reads or writes a file: the format comes from the bytes when reading (never from
// the name: a .png that is a JPEG still reads) and from the extension when writing.
#include "io/image_file.hpp"

#include "io/file_bytes.hpp"
#include "io/formats.hpp"
#include "io/stb_codec.hpp"
#if UPRES_WITH_VIPS
#include "io/vips/vips_codec.hpp"
#endif

namespace upres::io {

namespace {

std::string readable_list() {
    std::string out;
    for (const auto& f : file_formats())
        if (f.reads != Codec::none) out += (out.empty() ? "" : ", ") + std::string(f.name);
    return out;
}

// The format the bytes are in, when a codec of this build reads it; null for stb to try (TGA
// has no signature, and stb names what it cannot read).
const FileFormat* reader_for(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels) {
    if (size == 0) file_error(Status::format, name, "empty file");
    const FileFormat* f = format_of_bytes(data, size);
    int64_t w = 0, h = 0;
    if (declared_size(data, size, w, h)) {
        if (w <= 0 || h <= 0)
            file_error(Status::format, name, "the header declares an empty image (" + std::to_string(w) + "x" + std::to_string(h) + ")");
        const uint64_t limit = max_pixels ? max_pixels : default_max_pixels();
        if (w > kMaxSide || h > kMaxSide || uint64_t(w) * uint64_t(h) > limit)
            file_error(Status::limit, name, "the header declares " + std::to_string(w) + "x" + std::to_string(h) +
                                                " pixels, over the limit of " + std::to_string(limit) + " pixels");
    }
    if (f && f->reads == Codec::none)
        file_error(Status::unsupported, name, std::string("a ") + f->name + " file, which this build cannot read (it reads " +
                                                  readable_list() + "; " + f->name + " needs the libvips build)");
    return f;
}

}  // namespace

LoadedImage decode_image(const uint8_t* data, size_t size, const std::string& name, const LoadOptions& options) {
    const FileFormat* f = reader_for(data, size, name, options.max_pixels);
#if UPRES_WITH_VIPS
    if (f && f->reads == Codec::vips) return vips_decode(data, size, name, *f, options);
#endif
    LoadedImage out;
    out.image = stb_decode(data, size, name, options.max_pixels);
    return out;
}

LoadedImage load_image(const std::string& path, const LoadOptions& options) {
    const std::vector<uint8_t> bytes = read_file(path);
    return decode_image(bytes.data(), bytes.size(), path, options);
}

ImageDesc probe_image(const std::string& path, const LoadOptions& options) {
    const std::vector<uint8_t> bytes = read_file(path);
    const FileFormat* f = reader_for(bytes.data(), bytes.size(), path, options.max_pixels);
#if UPRES_WITH_VIPS
    if (f && f->reads == Codec::vips) return vips_probe(bytes.data(), bytes.size(), path, *f, options);
#endif
    (void)f;
    return stb_probe(bytes.data(), bytes.size(), path, options.max_pixels);
}

void check_output(const std::string& path, int32_t width, int32_t height, int32_t channels) {
    const FileFormat* f = format_of_path(path);
    if (!f) {
        const size_t dot = path.find_last_of("./");
        const std::string ext = dot != std::string::npos && path[dot] == '.' ? path.substr(dot) : "";
        file_error(Status::invalid_argument, path,
                   (ext.empty() ? std::string("no extension to choose the format by") : "unknown output format '" + ext + "'") +
                       " (this build writes " + writable_extensions() + ")");
    }
    if (f->writes == Codec::none)
        file_error(Status::unsupported, path, std::string("this build cannot write ") + f->name + " (it writes " +
                                                  writable_extensions() + ")");
    if (width < 1 || height < 1 || channels < 1 || channels > 4)
        file_error(Status::invalid_argument, path, "cannot save a " + std::to_string(width) + "x" + std::to_string(height) +
                                                       " image of " + std::to_string(channels) + " channels");
    if (f->max_side && (width > f->max_side || height > f->max_side))
        file_error(Status::limit, path, std::string(f->name) + " holds at most " + std::to_string(f->max_side) + " pixels a side; the image is " +
                                            std::to_string(width) + "x" + std::to_string(height));
    if (!f->alpha && (channels == 2 || channels == 4))
        file_error(Status::invalid_argument, path, std::string(f->name) + " cannot hold the alpha channel (" +
                                                       std::to_string(channels) + " channels): save as png, webp or tiff");
}

void save_image(const std::string& path, const ImageView& image, const ImageMetadata* metadata, const SaveOptions& options) {
    const ImageDesc& d = image.desc;
    check_output(path, d.width, d.height, d.channels);
    const FileFormat& f = *format_of_path(path);
    std::vector<uint8_t> bytes;
#if UPRES_WITH_VIPS
    if (f.writes == Codec::vips) bytes = vips_encode(path, f, image, metadata, options);
#else
    (void)metadata;
#endif
    if (f.writes == Codec::stb) bytes = stb_encode(path, f, image, options.quality);
    write_atomically(path, bytes.data(), bytes.size());
}

}  // namespace upres::io
