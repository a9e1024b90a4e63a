// `upres compare HR [--lr LR | --scale S] [--methods a,b,...] [--crop X,Y,W,H] [--zoom Z] -o OUT.png`
//
// Upscales LR (or HR downscaled by the MATLAB bicubic) back to HR size with each method, then lays
// out the same crop of every result, zoomed with nearest neighbour so pixels stay visible, next to
// the ground truth, each labelled with its method and Y-PSNR over the whole image.
#include "compare_command.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <upres/upres.hpp>

#include "cli_common.hpp"
#include "text_renderer.hpp"

namespace upres_cli {

namespace {

// RGB u8 copy of any bitmap (gray replicated, alpha dropped).
std::vector<uint8_t> to_rgb8(const upres::Bitmap& b) {
    upres::Bitmap u8(b.width(), b.height(), b.channels(), UPRES_SAMPLE_U8);
    upres::Resampler copy("nearest");
    copy.run(b.view(), u8.view());  // same size: converts sample type only
    const upres::Image v = u8.view();
    std::vector<uint8_t> rgb(size_t(v.width) * size_t(v.height) * 3);
    for (int y = 0; y < v.height; ++y) {
        const uint8_t* row = static_cast<const uint8_t*>(v.data) + y * v.stride_bytes;
        for (int x = 0; x < v.width; ++x)
            for (int k = 0; k < 3; ++k)
                rgb[(size_t(y) * size_t(v.width) + size_t(x)) * 3 + size_t(k)] =
                    row[x * v.channels + (v.channels >= 3 ? k : 0)];
    }
    return rgb;
}

struct Tile {
    std::vector<uint8_t> rgb;  // full image, RGB u8
    int width = 0;
    std::string label;
};

void usage() {
    std::fprintf(stderr,
                 "usage: upres compare HR [--lr LR | --scale S] [--methods NAME,...] [--crop X,Y,W,H]\n"
                 "                     [--zoom Z] -o OUT.png\n");
}

}  // namespace

int compare_command(int argc, char** argv) {
    std::string hr_path, lr_path, out_path;
    std::vector<std::string> methods = {"nearest", "bicubic", "lanczos3"};
    int scale = 4, zoom = 4;
    int crop[4] = {-1, -1, 64, 64};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "upres: compare: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--lr") lr_path = value();
        else if (a == "--scale") scale = std::atoi(value().c_str());
        else if (a == "--methods") methods = split(value(), ',');
        else if (a == "--zoom") zoom = std::atoi(value().c_str());
        else if (a == "-o" || a == "--output") out_path = value();
        else if (a == "--crop") {
            const auto parts = split(value(), ',');
            if (parts.size() != 4) {
                std::fprintf(stderr, "upres: compare: --crop takes X,Y,W,H\n");
                return 2;
            }
            for (int k = 0; k < 4; ++k) crop[k] = std::atoi(parts[size_t(k)].c_str());
        } else if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else if (!a.empty() && a[0] == '-') {
            std::fprintf(stderr, "upres: compare: unknown option %s\n", a.c_str());
            return 2;
        } else if (hr_path.empty()) hr_path = a;
        else {
            std::fprintf(stderr, "upres: compare: more than one HR image given\n");
            return 2;
        }
    }
    if (hr_path.empty() || out_path.empty() || methods.empty()) {
        usage();
        return 2;
    }
    if (scale < 1 || scale > 16 || zoom < 1 || zoom > 32 || crop[2] < 1 || crop[3] < 1) {
        std::fprintf(stderr, "upres: compare: scale 1..16, zoom 1..32 and a positive crop size, please\n");
        return 2;
    }
    try {
        TextRenderer text;
        upres::Bitmap hr = upres::load_file(hr_path);
        upres::Bitmap lr;
        if (!lr_path.empty()) {
            lr = upres::load_file(lr_path);
        } else {
            upres_bitmap* out = nullptr;
            const upres::Image hv = hr.view();
            const std::string spec = "down:" + std::to_string(scale) + ",matlab";
            upres::detail::check(upres_degrade(&hv, spec.c_str(), 0, &out));
            lr = upres::Bitmap(out);
        }
        const int W = hr.width(), H = hr.height();
        if (crop[0] < 0) crop[0] = std::max(0, (W - crop[2]) / 2);
        if (crop[1] < 0) crop[1] = std::max(0, (H - crop[3]) / 2);
        crop[2] = std::min(crop[2], W - crop[0]);
        crop[3] = std::min(crop[3], H - crop[1]);
        if (crop[2] < 1 || crop[3] < 1) {
            std::fprintf(stderr, "upres: compare: the crop lies outside the %dx%d image\n", W, H);
            return 2;
        }

        std::vector<Tile> tiles;
        tiles.push_back({to_rgb8(hr), W, "ground truth"});
        const std::vector<std::string> labels = method_labels(methods);
        for (size_t i = 0; i < methods.size(); ++i) {
            const std::string& m = methods[i];
            upres::Resampler r = resampler_for(m);
            upres::Bitmap sr = r.run(lr, W, H);
            double psnr = 0;
            const upres::Image a = sr.view(), b = hr.view();
            upres::detail::check(upres_psnr(&a, &b, scale, UPRES_METRIC_LUMA, &psnr));
            char label[128];
            std::snprintf(label, sizeof label, "%s  %.2f dB", labels[i].c_str(), psnr);
            tiles.push_back({to_rgb8(sr), W, label});
        }

        const int tw = crop[2] * zoom, th = crop[3] * zoom, gap = 8, label_h = 26;
        const int per_row = tiles.size() <= 5 ? 5 : 4;
        const int cols = int(std::min<size_t>(tiles.size(), size_t(per_row)));
        const int rows = int((tiles.size() + size_t(per_row) - 1) / size_t(per_row));
        const int mw = cols * tw + (cols + 1) * gap, mh = rows * (th + label_h) + (rows + 1) * gap;
        upres::Bitmap mosaic(mw, mh, 3, UPRES_SAMPLE_U8);
        const upres::Image mv = mosaic.view();
        auto* px = static_cast<uint8_t*>(mv.data);
        std::memset(px, 255, size_t(mv.stride_bytes) * size_t(mh));
        const uint8_t black[3] = {0, 0, 0};
        for (size_t t = 0; t < tiles.size(); ++t) {
            const int ox = gap + int(t % size_t(per_row)) * (tw + gap), oy = gap + int(t / size_t(per_row)) * (th + label_h + gap);
            for (int y = 0; y < th; ++y)
                for (int x = 0; x < tw; ++x) {
                    const int sx = crop[0] + x / zoom, sy = crop[1] + y / zoom;
                    const uint8_t* s = &tiles[t].rgb[(size_t(sy) * size_t(W) + size_t(sx)) * 3];
                    std::memcpy(px + (oy + y) * mv.stride_bytes + (ox + x) * 3, s, 3);
                }
            // Shrink long labels to the tile's width, but keep them readable.
            float size = 18.0f;
            while (size > 10.0f && text.measure(size, tiles[t].label) > tw) size -= 1.0f;
            text.draw(px, mw, mh, mv.stride_bytes, ox, oy + th + 4, size, tiles[t].label, black);
        }
        upres::save_file(out_path, mosaic);
        std::printf("%s: %zu methods, crop %d,%d %dx%d, zoom %d\n", out_path.c_str(), methods.size(), crop[0], crop[1],
                    crop[2], crop[3], zoom);
    } catch (const upres::Error& e) {
        std::fprintf(stderr, "upres: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "upres: compare: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace upres_cli
