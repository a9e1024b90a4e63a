// Draws labels into RGB u8 pixels with stb_truetype and a system font (DejaVu Sans from Debian's
// fonts-dejavu-core), so mosaics carry readable text without hand-made glyphs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace upres_cli {

class TextRenderer {
public:
    // Loads the first font found among the usual Debian paths (or $UPRES_FONT). Throws
    // std::runtime_error with the paths tried when none exists.
    TextRenderer();
    ~TextRenderer();
    TextRenderer(const TextRenderer&) = delete;
    TextRenderer& operator=(const TextRenderer&) = delete;

    // Draws text with its top-left corner at (x, y), `px` pixels high, clipped to the image.
    void draw(uint8_t* rgb, int width, int height, int64_t stride, int x, int y, float px,
              const std::string& text, const uint8_t colour[3]) const;
    int measure(float px, const std::string& text) const;

private:
    struct Impl;
    Impl* impl_;
};

}  // namespace upres_cli
