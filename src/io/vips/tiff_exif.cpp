// EXIF into TIFF outputs: libvips 8.14's TIFF writer stores ICC and XMP but no EXIF. TIFF keeps
// EXIF as tags, not as a block: the camera tags of IFD0 (Make, Model, ...), an EXIF IFD and a GPS
// IFD. libexif parses the block, libtiff writes the directories into the file libvips made.
#include "io/vips/tiff_exif.hpp"

#include <libexif/exif-data.h>
#include <tiffio.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "io/file_bytes.hpp"

namespace upres::io {

namespace {

// A TIFF file in memory that libtiff reads and extends.
struct MemoryFile {
    std::vector<uint8_t> bytes;
    uint64_t pos = 0;
};

tsize_t mem_read(thandle_t h, tdata_t buf, tsize_t n) {
    auto* f = static_cast<MemoryFile*>(h);
    const uint64_t left = f->pos < f->bytes.size() ? f->bytes.size() - f->pos : 0;
    const uint64_t take = std::min<uint64_t>(left, uint64_t(n));
    std::memcpy(buf, f->bytes.data() + f->pos, take);
    f->pos += take;
    return tsize_t(take);
}

tsize_t mem_write(thandle_t h, tdata_t buf, tsize_t n) {
    auto* f = static_cast<MemoryFile*>(h);
    if (f->pos + uint64_t(n) > f->bytes.size()) f->bytes.resize(f->pos + uint64_t(n));
    std::memcpy(f->bytes.data() + f->pos, buf, size_t(n));
    f->pos += uint64_t(n);
    return n;
}

toff_t mem_seek(thandle_t h, toff_t off, int whence) {
    auto* f = static_cast<MemoryFile*>(h);
    const uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->bytes.size();
    f->pos = base + off;
    return f->pos;
}

int mem_close(thandle_t) { return 0; }
toff_t mem_size(thandle_t h) { return static_cast<MemoryFile*>(h)->bytes.size(); }
int mem_map(thandle_t, tdata_t*, toff_t*) { return 0; }
void mem_unmap(thandle_t, tdata_t, toff_t) {}

// The entry's values as libtiff's setter for `field` takes them. False when the types do not fit
// (the tag is left out).
bool set_entry(TIFF* tif, const TIFFField* field, ExifEntry* e, ExifByteOrder order) {
    const uint32_t tag = e->tag;
    const unsigned n = unsigned(e->components);
    if (n == 0 || !e->data) return false;
    const bool pass = TIFFFieldPassCount(field) != 0;
    const int fixed = TIFFFieldWriteCount(field);
    if (!pass && fixed > 0 && unsigned(fixed) != n && e->format != EXIF_FORMAT_ASCII) return false;
    const bool count32 = TIFFFieldSetGetCountSize(field) == 4;
    auto with_count = [&](const void* values) {
        return count32 ? TIFFSetField(tif, tag, uint32_t(n), values) : TIFFSetField(tif, tag, uint16_t(n), values);
    };
    const TIFFDataType want = TIFFFieldDataType(field);
    switch (e->format) {
        case EXIF_FORMAT_ASCII: {
            if (want != TIFF_ASCII) return false;
            std::string text(reinterpret_cast<const char*>(e->data), e->size);
            text = text.substr(0, text.find('\0'));
            return TIFFSetField(tif, tag, text.c_str()) == 1;
        }
        case EXIF_FORMAT_SHORT: {
            if (want != TIFF_SHORT) return false;
            std::vector<uint16_t> v(n);
            for (unsigned i = 0; i < n; ++i) v[i] = exif_get_short(e->data + 2 * i, order);
            if (!pass && n == 1) return TIFFSetField(tif, tag, unsigned(v[0])) == 1;
            return (pass ? with_count(v.data()) : TIFFSetField(tif, tag, v.data())) == 1;
        }
        case EXIF_FORMAT_LONG: {
            if (want != TIFF_LONG) return false;
            std::vector<uint32_t> v(n);
            for (unsigned i = 0; i < n; ++i) v[i] = exif_get_long(e->data + 4 * i, order);
            if (!pass && n == 1) return TIFFSetField(tif, tag, v[0]) == 1;
            return (pass ? with_count(v.data()) : TIFFSetField(tif, tag, v.data())) == 1;
        }
        case EXIF_FORMAT_RATIONAL:
        case EXIF_FORMAT_SRATIONAL: {
            if (want != TIFF_RATIONAL && want != TIFF_SRATIONAL) return false;
            std::vector<double> d(n);
            for (unsigned i = 0; i < n; ++i) {
                if (e->format == EXIF_FORMAT_RATIONAL) {
                    const ExifRational r = exif_get_rational(e->data + 8 * i, order);
                    d[i] = r.denominator ? double(r.numerator) / r.denominator : 0.0;
                } else {
                    const ExifSRational r = exif_get_srational(e->data + 8 * i, order);
                    d[i] = r.denominator ? double(r.numerator) / r.denominator : 0.0;
                }
            }
            if (!pass && n == 1) return TIFFSetField(tif, tag, d[0]) == 1;  // varargs: a double either way
            // Arrays are stored as float or double, as the field says.
            if (TIFFFieldSetGetSize(field) == 4) {
                std::vector<float> f(d.begin(), d.end());
                return (pass ? with_count(f.data()) : TIFFSetField(tif, tag, f.data())) == 1;
            }
            return (pass ? with_count(d.data()) : TIFFSetField(tif, tag, d.data())) == 1;
        }
        case EXIF_FORMAT_BYTE:
        case EXIF_FORMAT_UNDEFINED: {
            if (want != TIFF_BYTE && want != TIFF_UNDEFINED) return false;
            if (!pass && n == 1) return TIFFSetField(tif, tag, unsigned(e->data[0])) == 1;
            return (pass ? with_count(e->data) : TIFFSetField(tif, tag, e->data)) == 1;
        }
        default:
            return false;
    }
}

// The entries of one EXIF IFD into libtiff's current directory; the pixel dimensions become the
// new image's. Returns how many were written.
int copy_ifd(TIFF* tif, ExifContent* content, ExifByteOrder order, int32_t width, int32_t height) {
    int written = 0;
    for (unsigned i = 0; content && i < content->count; ++i) {
        ExifEntry* e = content->entries[i];
        // Pointers to other IFDs are libtiff's to write; the Interoperability IFD is left out.
        if (e->tag == EXIF_TAG_EXIF_IFD_POINTER || e->tag == EXIF_TAG_GPS_INFO_IFD_POINTER ||
            e->tag == EXIF_TAG_INTEROPERABILITY_IFD_POINTER)
            continue;
        const TIFFField* field = TIFFFindField(tif, e->tag, TIFF_ANY);
        if (!field) continue;
        if (e->tag == EXIF_TAG_PIXEL_X_DIMENSION || e->tag == EXIF_TAG_PIXEL_Y_DIMENSION) {
            const uint32_t v = uint32_t(e->tag == EXIF_TAG_PIXEL_X_DIMENSION ? width : height);
            written += TIFFSetField(tif, e->tag, v) == 1;
            continue;
        }
        written += set_entry(tif, field, e, order);
    }
    return written;
}

// IFD0 tags that describe the photo (the rest of IFD0 is the TIFF's own structure).
constexpr uint16_t kCameraTags[] = {EXIF_TAG_MAKE, EXIF_TAG_MODEL, EXIF_TAG_DATE_TIME, EXIF_TAG_ARTIST,
                                    EXIF_TAG_COPYRIGHT, EXIF_TAG_IMAGE_DESCRIPTION};

struct ExifFree {
    void operator()(ExifData* d) const { exif_data_unref(d); }
};

}  // namespace

std::vector<uint8_t> tiff_with_exif(const std::string& path, std::vector<uint8_t> tiff, const std::string& exif,
                                    int32_t width, int32_t height) {
    const std::string block = std::string("Exif\0\0", 6) + exif;
    std::unique_ptr<ExifData, ExifFree> ed(exif_data_new());
    if (!ed) return tiff;
    exif_data_unset_option(ed.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);  // keep the values as they are
    exif_data_load_data(ed.get(), reinterpret_cast<const unsigned char*>(block.data()), unsigned(block.size()));
    const ExifByteOrder order = exif_data_get_byte_order(ed.get());
    ExifContent* ifd0 = ed->ifd[EXIF_IFD_0];
    ExifContent* exif_ifd = ed->ifd[EXIF_IFD_EXIF];
    ExifContent* gps_ifd = ed->ifd[EXIF_IFD_GPS];
    if ((!exif_ifd || !exif_ifd->count) && (!gps_ifd || !gps_ifd->count) && (!ifd0 || !ifd0->count)) return tiff;

    MemoryFile file{std::move(tiff), 0};
    // (libtiff's warnings and errors go to the handlers libvips installed: dropped / its error text.)
    TIFF* tif = TIFFClientOpen("upres-tiff", "r+", &file, mem_read, mem_write, mem_seek, mem_close, mem_size, mem_map, mem_unmap);
    if (!tif) file_error(Status::io, path, "libtiff cannot reopen the TIFF libvips wrote to add its EXIF");
    struct Closer {
        TIFF* t;
        ~Closer() {
            if (t) TIFFClose(t);
        }
    } closer{tif};
    uint64_t exif_offset = 0, gps_offset = 0;
    if (exif_ifd && exif_ifd->count) {
        if (TIFFCreateEXIFDirectory(tif) != 0) file_error(Status::io, path, "libtiff: no EXIF directory");
        if (copy_ifd(tif, exif_ifd, order, width, height) > 0 && !TIFFWriteCustomDirectory(tif, &exif_offset))
            file_error(Status::io, path, "libtiff cannot write the EXIF directory");
    }
    if (gps_ifd && gps_ifd->count) {
        if (TIFFCreateGPSDirectory(tif) != 0) file_error(Status::io, path, "libtiff: no GPS directory");
        if (copy_ifd(tif, gps_ifd, order, width, height) > 0 && !TIFFWriteCustomDirectory(tif, &gps_offset))
            file_error(Status::io, path, "libtiff cannot write the GPS directory");
    }
    if (!TIFFSetDirectory(tif, 0)) file_error(Status::io, path, "libtiff cannot return to the image directory");
    for (unsigned i = 0; ifd0 && i < ifd0->count; ++i) {
        ExifEntry* e = ifd0->entries[i];
        if (std::find(std::begin(kCameraTags), std::end(kCameraTags), e->tag) == std::end(kCameraTags)) continue;
        if (const TIFFField* field = TIFFFindField(tif, e->tag, TIFF_ANY)) set_entry(tif, field, e, order);
    }
    if (exif_offset) TIFFSetField(tif, TIFFTAG_EXIFIFD, exif_offset);
    if (gps_offset) TIFFSetField(tif, TIFFTAG_GPSIFD, gps_offset);
    if (!TIFFRewriteDirectory(tif)) file_error(Status::io, path, "libtiff cannot rewrite the image directory");
    closer.t = nullptr;
    TIFFClose(tif);
    return std::move(file.bytes);
}

}  // namespace upres::io
