#include "text_renderer.hpp"

#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_STATIC
#include <stb_truetype.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace upres_cli {

struct TextRenderer::Impl {
    std::vector<unsigned char> ttf;
    stbtt_fontinfo font{};
};

TextRenderer::TextRenderer() : impl_(new Impl) {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("UPRES_FONT")) candidates.push_back(env);
    candidates.push_back("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    candidates.push_back("/usr/share/fonts/TTF/DejaVuSans.ttf");
    candidates.push_back("/usr/share/fonts/dejavu/DejaVuSans.ttf");
    std::string tried;
    for (const auto& path : candidates) {
        std::ifstream f(path, std::ios::binary);
        if (!f) {
            tried += " " + path;
            continue;
        }
        impl_->ttf.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        if (!impl_->ttf.empty() && stbtt_InitFont(&impl_->font, impl_->ttf.data(), 0)) return;
        tried += " " + path + "(unreadable)";
    }
    delete impl_;
    throw std::runtime_error("no font found (install fonts-dejavu-core or set UPRES_FONT); tried" + tried);
}

TextRenderer::~TextRenderer() { delete impl_; }

int TextRenderer::measure(float px, const std::string& text) const {
    const float scale = stbtt_ScaleForPixelHeight(&impl_->font, px);
    float x = 0;
    for (unsigned char c : text) {
        int advance = 0, lsb = 0;
        stbtt_GetCodepointHMetrics(&impl_->font, c, &advance, &lsb);
        x += advance * scale;
    }
    return int(x + 0.5f);
}

void TextRenderer::draw(uint8_t* rgb, int width, int height, int64_t stride, int x0, int y0, float px,
                        const std::string& text, const uint8_t colour[3]) const {
    const float scale = stbtt_ScaleForPixelHeight(&impl_->font, px);
    int ascent = 0, descent = 0, gap = 0;
    stbtt_GetFontVMetrics(&impl_->font, &ascent, &descent, &gap);
    const int baseline = y0 + int(ascent * scale + 0.5f);
    float pen = float(x0);
    for (unsigned char c : text) {
        int advance = 0, lsb = 0, gw = 0, gh = 0, xoff = 0, yoff = 0;
        stbtt_GetCodepointHMetrics(&impl_->font, c, &advance, &lsb);
        unsigned char* bitmap = stbtt_GetCodepointBitmap(&impl_->font, scale, scale, c, &gw, &gh, &xoff, &yoff);
        for (int j = 0; j < gh; ++j)
            for (int i = 0; i < gw; ++i) {
                const int x = int(pen) + xoff + i, y = baseline + yoff + j;
                if (x < 0 || y < 0 || x >= width || y >= height) continue;
                const int a = bitmap[j * gw + i];
                uint8_t* p = rgb + y * stride + x * 3;
                for (int k = 0; k < 3; ++k) p[k] = uint8_t((p[k] * (255 - a) + colour[k] * a + 127) / 255);
            }
        stbtt_FreeBitmap(bitmap, nullptr);
        pen += advance * scale;
    }
}

}  // namespace upres_cli
