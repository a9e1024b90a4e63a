// What an image file says about its pixels beside the pixels: the colour profile they are encoded
// in, the EXIF / XMP / IPTC blocks (camera, date, GPS, ...), and the EXIF orientation the stored
// pixels still need. A bitmap carries it from the file it was read from to the file it is saved
// as; the core only holds the bytes (it never parses or writes files).
#pragma once
#include <cstdint>
#include <string>

namespace upres {

// Values match UPRES_METADATA_*.
enum class MetadataKind : int32_t { icc = 1, exif = 2, xmp = 3, iptc = 4 };

struct ImageMetadata {
    std::string icc;   // ICC profile, as embedded
    std::string exif;  // EXIF from its TIFF header on (no "Exif\0\0" prefix)
    std::string xmp;   // XMP packet (XML)
    std::string iptc;  // IPTC-IIM records (Photoshop resource block as JPEG stores it)
    // EXIF orientation (1..8) of the pixels as they are: 1 once the loader has applied it, the
    // file's value when it was asked to keep the stored pixels. Saving writes this into the EXIF.
    int32_t orientation = 1;

    std::string* blob(MetadataKind kind) {
        switch (kind) {
            case MetadataKind::icc: return &icc;
            case MetadataKind::exif: return &exif;
            case MetadataKind::xmp: return &xmp;
            case MetadataKind::iptc: return &iptc;
        }
        return nullptr;
    }
    const std::string* blob(MetadataKind kind) const { return const_cast<ImageMetadata*>(this)->blob(kind); }
    bool empty() const { return icc.empty() && exif.empty() && xmp.empty() && iptc.empty() && orientation == 1; }
};

}  // namespace upres
