#include "io/vips/vips_codec.hpp"

#include <vips/vips.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "core/checked_math.hpp"
#include "io/file_bytes.hpp"

namespace upres::io {

namespace {

struct Unref {
    void operator()(VipsImage* image) const { g_object_unref(image); }
};
using VImage = std::unique_ptr<VipsImage, Unref>;

// libvips keeps one error buffer for the process: take its text and clear it.
std::string vips_message() {
    char* text = vips_error_buffer_copy();
    std::string m = text ? text : "";
    g_free(text);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    std::replace(m.begin(), m.end(), '\n', ';');
    return m.empty() ? "libvips gave no reason" : m;
}

// Loaders libvips has that are not meant for untrusted files, or that upres never asks for: blocked
// in the whole process (upres calls its loaders by name, so this guards against any path that would
// sniff a format). jxlload is flagged untrusted by libvips 8.14 and unblocked by name: JPEG XL is
// read through it (libjxl is fuzzed by OSS-Fuzz; our own fuzz_image runs it too).
constexpr const char* kBlocked[] = {"VipsForeignLoadMagick", "VipsForeignLoadPdf", "VipsForeignLoadSvg",
                                    "VipsForeignLoadMat", "VipsForeignLoadFits", "VipsForeignLoadOpenslide",
                                    "VipsForeignLoadAnalyze", "VipsForeignLoadOpenexr", "VipsForeignLoadRaw",
                                    "VipsForeignLoadCsv", "VipsForeignLoadMatrix", "VipsForeignLoadJp2k",
                                    "VipsForeignSaveMagick"};

void start_vips() {
    static std::once_flag once;
    static std::string failure;
    std::call_once(once, [] {
        if (VIPS_INIT("upres") != 0) {
            failure = vips_message();
            return;
        }
        vips_cache_set_max(0);  // no operation cache: memory is the images in flight, nothing kept
        // One worker per pipeline: with more, libvips 8.14 sometimes loses a loader's error (a
        // corrupt PNG then "decodes" to black tiles, about one run in four with 2 workers; never with
        // 1). Decoding is serial in the codecs anyway; callers decode several files on their threads.
        vips_concurrency_set(1);
        // The library never prints: libvips' warnings (libpng's, libtiff's, ...) are dropped; what
        // matters reaches the caller as the error of the call that failed.
        g_log_set_handler("VIPS", GLogLevelFlags(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG),
                          [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
        vips_block_untrusted_set(TRUE);
        for (const char* name : kBlocked) vips_operation_block_set(name, TRUE);
        vips_operation_block_set("VipsForeignLoadJxlBuffer", FALSE);
        vips_operation_block_set("VipsForeignSaveJxlBuffer", FALSE);
    });
    if (!failure.empty()) fail(Status::unsupported, "libvips did not start: " + failure);
}

// The format's loader on the bytes (lazy: the header is read, the pixels when asked). The image
// reads `data` until it is released. Sequential access: the pixels are decoded once, top to bottom,
// as they are written out, and truncated or corrupt data fails that write (fail_on error). (With
// random access libvips 8.14 decodes into a buffer first and turns a failed decode into a warning
// and black pixels; sequential access also never decodes to a temporary file.)
VImage open(const uint8_t* data, size_t size, const std::string& name, const FileFormat& f) {
    start_vips();
    void* buf = const_cast<uint8_t*>(data);
    VipsImage* out = nullptr;
    const std::string n = f.name;
    int rc = -1;
    if (n == "png")
        rc = vips_pngload_buffer(buf, size, &out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
    else if (n == "jpeg")
        rc = vips_jpegload_buffer(buf, size, &out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
    else if (n == "webp")
        rc = vips_webpload_buffer(buf, size, &out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
    else if (n == "tiff")  // the first page
        rc = vips_tiffload_buffer(buf, size, &out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
    else if (n == "avif" || n == "heic")  // the primary image, not its thumbnail
        rc = vips_heifload_buffer(buf, size, &out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
    else if (n == "jxl")
        rc = vips_jxlload_buffer(buf, size, &out, "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
    else
        fail(Status::internal, name + ": libvips is not the codec of " + n);
    if (rc != 0 || !out) file_error(Status::format, name, "not a readable " + n + " file (" + vips_message() + ")");
    return VImage(out);
}

// Shown size (after orientation when it is applied) within the limits, before any pixel decodes.
void check_size(VipsImage* im, const std::string& name, uint64_t max_pixels) {
    const int64_t w = vips_image_get_width(im), h = vips_image_get_height(im);
    const uint64_t limit = max_pixels ? max_pixels : default_max_pixels();
    if (w <= 0 || h <= 0) file_error(Status::format, name, "the header declares an empty image");
    if (w > kMaxSide || h > kMaxSide || uint64_t(w) * uint64_t(h) > limit)
        file_error(Status::limit, name, "the header declares " + std::to_string(w) + "x" + std::to_string(h) +
                                            " pixels, over the limit of " + std::to_string(limit) + " pixels");
    const int bands = vips_image_get_bands(im);
    const bool cmyk = vips_image_get_interpretation(im) == VIPS_INTERPRETATION_CMYK;
    if (bands < 1 || bands > (cmyk ? 5 : 4))
        file_error(Status::format, name, std::to_string(bands) + " channels (upres takes 1 to 4)");
}

int orientation_of(VipsImage* im) {
    const int o = vips_image_get_orientation(im);
    return o >= 1 && o <= 8 ? o : 1;
}

std::string blob(VipsImage* im, const char* field) {
    const void* data = nullptr;
    size_t size = 0;
    if (vips_image_get_typeof(im, field) == 0 || vips_image_get_blob(im, field, &data, &size) != 0 || !data) return "";
    return std::string(static_cast<const char*>(data), size);
}

constexpr char kExifPrefix[] = "Exif\0\0";  // 6 bytes: JPEG's APP1 marker payload starts so

// Replaces im by the result of op(in, &out) (an operation returning 0 on success).
template <class Op>
void step(VImage& im, const std::string& name, const char* what, Op op) {
    VipsImage* out = nullptr;
    const int rc = op(im.get(), &out);
    if (rc != 0 || !out) {
        if (out) g_object_unref(out);
        file_error(Status::format, name, std::string(what) + " failed (" + vips_message() + ")");
    }
    im.reset(out);
}

}  // namespace

ImageDesc vips_probe(const uint8_t* data, size_t size, const std::string& name, const FileFormat& format,
                     const LoadOptions& options) {
    VImage im = open(data, size, name, format);
    check_size(im.get(), name, options.max_pixels);
    ImageDesc d;
    d.width = vips_image_get_width(im.get());
    d.height = vips_image_get_height(im.get());
    if (options.auto_orient && vips_image_get_orientation_swap(im.get())) std::swap(d.width, d.height);
    const bool cmyk = vips_image_get_interpretation(im.get()) == VIPS_INTERPRETATION_CMYK;
    d.channels = vips_image_get_bands(im.get()) - (cmyk ? 1 : 0);
    const VipsBandFormat bf = vips_image_get_format(im.get());
    d.type = bf == VIPS_FORMAT_UCHAR || bf == VIPS_FORMAT_CHAR ? SampleType::u8
             : bf == VIPS_FORMAT_USHORT                        ? SampleType::u16
                                                               : SampleType::f32;
    d.stride = int64_t(d.width) * d.channels * int64_t(sample_bytes(d.type));
    return d;
}

LoadedImage vips_decode(const uint8_t* data, size_t size, const std::string& name, const FileFormat& format,
                        const LoadOptions& options) {
    VImage im = open(data, size, name, format);
    check_size(im.get(), name, options.max_pixels);
    LoadedImage out;
    const int orientation = orientation_of(im.get());

    // Colour: CMYK always becomes RGB through its profile (libvips' CMYK profile when it has none);
    // with to_srgb every profiled image is converted; other spaces (Lab, XYZ) go to sRGB.
    const VipsInterpretation space = vips_image_get_interpretation(im.get());
    const bool profiled = vips_image_get_typeof(im.get(), VIPS_META_ICC_NAME) != 0;
    const bool deep = vips_image_get_format(im.get()) == VIPS_FORMAT_USHORT;
    if (space == VIPS_INTERPRETATION_CMYK || (options.to_srgb && profiled)) {
        step(im, name, "conversion to sRGB through the embedded profile", [&](VipsImage* in, VipsImage** out) {
            return vips_icc_transform(in, out, "srgb", "embedded", TRUE, "intent", VIPS_INTENT_RELATIVE, "depth", deep ? 16 : 8,
                                      nullptr);
        });
    } else if (space == VIPS_INTERPRETATION_LAB || space == VIPS_INTERPRETATION_LABQ || space == VIPS_INTERPRETATION_LABS ||
               space == VIPS_INTERPRETATION_XYZ || space == VIPS_INTERPRETATION_LCH || space == VIPS_INTERPRETATION_YXY) {
        step(im, name, "conversion to sRGB",
             [](VipsImage* in, VipsImage** out) { return vips_colourspace(in, out, VIPS_INTERPRETATION_sRGB, nullptr); });
    }
    const bool rotate = options.auto_orient && orientation != 1;
    out.metadata.orientation = rotate ? 1 : orientation;

    // Samples: 8-bit, 16-bit and float kept; other sample types as float (doubles) or refused.
    SampleType type = SampleType::u8;
    VipsBandFormat bf = vips_image_get_format(im.get());
    switch (bf) {
        case VIPS_FORMAT_UCHAR: type = SampleType::u8; break;
        case VIPS_FORMAT_USHORT: type = SampleType::u16; break;
        case VIPS_FORMAT_FLOAT: type = SampleType::f32; break;
        case VIPS_FORMAT_DOUBLE:
            step(im, name, "conversion to float",
                 [](VipsImage* in, VipsImage** out) { return vips_cast(in, out, VIPS_FORMAT_FLOAT, nullptr); });
            type = SampleType::f32;
            bf = VIPS_FORMAT_FLOAT;
            break;
        default:
            file_error(Status::format, name, "signed or 32-bit integer samples (upres reads 8-bit, 16-bit and float)");
    }
    int32_t w = vips_image_get_width(im.get()), h = vips_image_get_height(im.get());
    const int32_t channels = vips_image_get_bands(im.get());
    if (channels < 1 || channels > 4) file_error(Status::format, name, std::to_string(channels) + " channels after conversion");

    // The one decode: every pixel, top to bottom; a corrupt or cut-short file fails here.
    size_t bytes = 0;
    std::unique_ptr<void, decltype(&g_free)> pixels(vips_image_write_to_memory(im.get(), &bytes), &g_free);
    if (!pixels) file_error(Status::format, name, "cannot decode (" + vips_message() + ")");
    const size_t expected = size_t(w) * size_t(h) * size_t(channels) * sample_bytes(type);
    if (bytes != expected)
        file_error(Status::internal, name, "libvips decoded " + std::to_string(bytes) + " bytes, not " + std::to_string(expected));
    if (rotate) {
        // Rotations and mirrors read the pixels out of order: from the decoded buffer.
        VImage mem(vips_image_new_from_memory(pixels.get(), bytes, w, h, channels, bf));
        if (!mem) file_error(Status::internal, name, "libvips: " + vips_message());
        vips_image_set_int(mem.get(), VIPS_META_ORIENTATION, orientation);
        step(mem, name, "orientation", [](VipsImage* in, VipsImage** out) { return vips_autorot(in, out, nullptr); });
        std::unique_ptr<void, decltype(&g_free)> turned(vips_image_write_to_memory(mem.get(), &bytes), &g_free);
        if (!turned || bytes != expected) file_error(Status::internal, name, "orientation failed (" + vips_message() + ")");
        w = vips_image_get_width(mem.get());
        h = vips_image_get_height(mem.get());
        pixels = std::move(turned);
    }
    out.image = Image::allocate(w, h, channels, type, options.max_pixels);
    std::memcpy(out.image.data(), pixels.get(), bytes);
    if (type != SampleType::f32) out.image.set_flags(kSrgb);

    out.metadata.icc = blob(im.get(), VIPS_META_ICC_NAME);
    out.metadata.exif = blob(im.get(), VIPS_META_EXIF_NAME);
    if (out.metadata.exif.compare(0, 6, std::string(kExifPrefix, 6)) == 0) out.metadata.exif.erase(0, 6);
    out.metadata.xmp = blob(im.get(), VIPS_META_XMP_NAME);
    out.metadata.iptc = blob(im.get(), VIPS_META_IPTC_NAME);
    return out;
}

namespace {

SampleType stored_type(const FileFormat& f, SampleType in) {
    const std::string n = f.name;
    if (n == "jpeg" || n == "webp") return SampleType::u8;
    if (n == "png" || n == "avif") return in == SampleType::u8 ? SampleType::u8 : SampleType::u16;
    return in;  // tiff, jxl: 8-bit, 16-bit and float as they are
}

}  // namespace

std::vector<uint8_t> vips_encode(const std::string& path, const FileFormat& format, const ImageView& image,
                                 const ImageMetadata* metadata, const SaveOptions& o) {
    start_vips();
    const ImageDesc& d = image.desc;
    const SampleType type = stored_type(format, d.type);
    Image packed;
    ImageView v = image;
    if (type != d.type || size_t(d.stride) != d.row_bytes()) {
        packed = converted_copy(image, type);
        v = packed.view();
    }
    const VipsBandFormat bf = type == SampleType::u8 ? VIPS_FORMAT_UCHAR : type == SampleType::u16 ? VIPS_FORMAT_USHORT : VIPS_FORMAT_FLOAT;
    const size_t bytes = size_t(v.desc.stride) * size_t(d.height);
    VImage im(vips_image_new_from_memory(v.data, bytes, d.width, d.height, d.channels, bf));
    if (!im) file_error(Status::internal, path, "libvips cannot wrap the pixels (" + vips_message() + ")");
    const bool gray = d.channels <= 2;
    const VipsInterpretation space = type == SampleType::u16 ? (gray ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_RGB16)
                                                             : (gray ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB);
    VipsImage* next = nullptr;
    if (vips_copy(im.get(), &next, "interpretation", space, nullptr) != 0 || !next)
        file_error(Status::internal, path, "libvips: " + vips_message());
    im.reset(next);

    // Metadata onto the image (libvips writes what the format holds, and rewrites EXIF's pixel
    // size and orientation from the image as it saves).
    if (metadata) {
        if (!metadata->icc.empty()) vips_image_set_blob_copy(im.get(), VIPS_META_ICC_NAME, metadata->icc.data(), metadata->icc.size());
        if (!o.strip) {
            if (!metadata->exif.empty()) {
                const std::string exif = std::string(kExifPrefix, 6) + metadata->exif;
                vips_image_set_blob_copy(im.get(), VIPS_META_EXIF_NAME, exif.data(), exif.size());
            }
            if (!metadata->xmp.empty()) vips_image_set_blob_copy(im.get(), VIPS_META_XMP_NAME, metadata->xmp.data(), metadata->xmp.size());
            if (!metadata->iptc.empty())
                vips_image_set_blob_copy(im.get(), VIPS_META_IPTC_NAME, metadata->iptc.data(), metadata->iptc.size());
        }
        vips_image_set_int(im.get(), VIPS_META_ORIENTATION, metadata->orientation);
    }

    const std::string n = format.name;
    const bool deep = type != SampleType::u8;
    void* buf = nullptr;
    size_t len = 0;
    int rc = -1;
    const VipsForeignSubsample chroma = o.chroma == "444" ? VIPS_FOREIGN_SUBSAMPLE_OFF
                                        : o.chroma == "420" ? VIPS_FOREIGN_SUBSAMPLE_ON
                                                            : VIPS_FOREIGN_SUBSAMPLE_AUTO;
    auto quality = [&](int fallback) { return o.quality > 0 ? std::clamp(o.quality, 1, 100) : fallback; };
    if (n == "jpeg") {
        rc = vips_jpegsave_buffer(im.get(), &buf, &len, "Q", quality(90), "interlace", gboolean(o.progressive),
                                  "subsample_mode", chroma, nullptr);
    } else if (n == "png") {
        rc = vips_pngsave_buffer(im.get(), &buf, &len, "compression", 6, "interlace", gboolean(o.progressive), "bitdepth",
                                 deep ? 16 : 8, nullptr);
    } else if (n == "webp") {
        rc = vips_webpsave_buffer(im.get(), &buf, &len, "Q", quality(90), "lossless", gboolean(o.lossless), "effort", 4,
                                  nullptr);
    } else if (n == "tiff") {
        const VipsForeignTiffCompression c = o.compression == "none" ? VIPS_FOREIGN_TIFF_COMPRESSION_NONE
                                             : o.compression == "lzw" ? VIPS_FOREIGN_TIFF_COMPRESSION_LZW
                                                                      : VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE;
        const VipsForeignTiffPredictor p = c == VIPS_FOREIGN_TIFF_COMPRESSION_NONE ? VIPS_FOREIGN_TIFF_PREDICTOR_NONE
                                           : type == SampleType::f32              ? VIPS_FOREIGN_TIFF_PREDICTOR_FLOAT
                                                                                  : VIPS_FOREIGN_TIFF_PREDICTOR_HORIZONTAL;
        rc = vips_tiffsave_buffer(im.get(), &buf, &len, "compression", c, "predictor", p, nullptr);
    } else if (n == "avif") {
        rc = vips_heifsave_buffer(im.get(), &buf, &len, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "Q", quality(60),
                                  "lossless", gboolean(o.lossless), "bitdepth", deep ? 12 : 8, "effort", 4,
                                  "subsample_mode", chroma, nullptr);
    } else if (n == "jxl") {
        rc = vips_jxlsave_buffer(im.get(), &buf, &len, "Q", quality(90), "lossless", gboolean(o.lossless), "effort", 7,
                                 nullptr);
    } else {
        file_error(Status::internal, path, "libvips is not the encoder of " + n);
    }
    if (rc != 0 || !buf) file_error(Status::io, path, "encoding " + n + " failed (" + vips_message() + ")");
    std::vector<uint8_t> file(static_cast<uint8_t*>(buf), static_cast<uint8_t*>(buf) + len);
    g_free(buf);
    return file;
}

}  // namespace upres::io
