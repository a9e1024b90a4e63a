// `upres upscale INPUT... -o OUT [--method NAME] [--scale S | --width W --height H] [--model FILE]
//                [--tile N] [--threads N] [--precision P] [--device D] [--quality Q] [--lossless]
//                [--no-auto-orient] [--to-srgb] [--strip] [--set NAME=VALUE]...`
#include "upscale_command.hpp"

#include <cmath>
#include <memory>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <upres/upres.hpp>

#include "cli_common.hpp"
#include "progress_bar.hpp"

namespace upres_cli {

namespace {

const char* kUsage =
    "usage: upres upscale INPUT... -o OUT [options]\n"
    "  INPUT             image files or folders of images\n"
    "  -o OUT            output file (one input) or folder (several inputs, a folder, or OUT/)\n"
    "  --method NAME     resampler (default bicubic; `upres methods` lists them)\n"
    "  --scale S         scale factor (default: the method's native scale, else 2)\n"
    "  --width W, --height H   exact output size (one of them keeps the aspect ratio)\n"
    "  --model FILE      a model file (.pth, .safetensors, .pt, .param); implies --method model\n"
    "  --tile N          model tile size in input pixels (0 = automatic)\n"
    "  --threads N       worker threads (0 = all)\n"
    "  --precision P     auto|fp32|bf16|fp16       --device D   cpu|cuda[:N]\n"
    "  --quality Q       JPEG / WebP / AVIF / JPEG XL quality 1..100   --lossless   WebP, JPEG XL, AVIF\n"
    "  --no-auto-orient  keep the pixels as stored (the EXIF orientation stays in the output)\n"
    "  --to-srgb         convert to sRGB through the embedded colour profile (default: keep it)\n"
    "  --strip           leave EXIF, XMP and IPTC metadata out of the output\n"
    "  --set NAME=VALUE  any library option (see docs/c-abi.md)\n"
    "The output format comes from -o's extension (folder outputs: PNG); `upres formats` lists them.\n";

struct Request {
    std::vector<std::string> inputs;
    std::string output;
    std::string method;
    double scale = 0;
    int width = 0, height = 0;
    std::vector<std::pair<std::string, std::string>> options;
};

bool parse_positive(const std::string& text, double& out) {
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return !text.empty() && *end == '\0' && std::isfinite(out) && out > 0;
}

// Parses argv; on a usage error prints one line and returns false.
bool parse(int argc, char** argv, Request& r, bool& help) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) {
                print_error("upscale: " + a + " needs a value");
                return false;
            }
            out = argv[++i];
            return true;
        };
        std::string v;
        if (a == "-h" || a == "--help") {
            help = true;
            return true;
        } else if (a == "-o" || a == "--output") {
            if (!value(r.output)) return false;
        } else if (a == "--method") {
            if (!value(r.method)) return false;
        } else if (a == "--scale") {
            if (!value(v)) return false;
            if (!parse_positive(v, r.scale) || r.scale > 64) {
                print_error("upscale: --scale must be a number in (0, 64], got '" + v + "'");
                return false;
            }
        } else if (a == "--width" || a == "--height") {
            if (!value(v)) return false;
            double d = 0;
            if (!parse_positive(v, d) || d != std::floor(d) || d > (1 << 24)) {
                print_error("upscale: " + a + " must be a positive whole number, got '" + v + "'");
                return false;
            }
            (a == "--width" ? r.width : r.height) = int(d);
        } else if (a == "--model") {
            if (!value(v)) return false;
            r.options.emplace_back("model", v);
        } else if (a == "--tile" || a == "--threads" || a == "--precision" || a == "--device") {
            if (!value(v)) return false;
            r.options.emplace_back(a.substr(2), v);
        } else if (a == "--quality") {
            if (!value(v)) return false;
            r.options.emplace_back("quality", v);
        } else if (a == "--jpeg-quality") {  // the name before other formats had a quality
            if (!value(v)) return false;
            r.options.emplace_back("quality", v);
        } else if (a == "--lossless") {
            r.options.emplace_back("lossless", "1");
        } else if (a == "--no-auto-orient") {
            r.options.emplace_back("auto_orient", "0");
        } else if (a == "--to-srgb") {
            r.options.emplace_back("to_srgb", "1");
        } else if (a == "--strip") {
            r.options.emplace_back("strip", "1");
        } else if (a == "--set") {
            if (!value(v)) return false;
            const size_t eq = v.find('=');
            if (eq == std::string::npos || eq == 0) {
                print_error("upscale: --set takes NAME=VALUE, got '" + v + "'");
                return false;
            }
            r.options.emplace_back(v.substr(0, eq), v.substr(eq + 1));
        } else if (!a.empty() && a[0] == '-' && a != "-") {
            print_error("upscale: unknown option " + a);
            return false;
        } else {
            r.inputs.push_back(a);
        }
    }
    if (r.inputs.empty()) {
        print_error("upscale: no input given (see upres upscale --help)");
        return false;
    }
    if (r.output.empty()) {
        print_error("upscale: no output given (-o OUT)");
        return false;
    }
    if (r.scale > 0 && (r.width || r.height)) {
        print_error("upscale: give --scale or --width/--height, not both");
        return false;
    }
    return true;
}

// Sets an option from text by its declared type.
void set_option(upres::Options& o, const std::string& name, const std::string& text) {
    int32_t n = 0;
    upres::detail::check(upres_option_count(&n));
    for (int32_t i = 0; i < n; ++i) {
        const char* oname = nullptr;
        int32_t type = 0;
        upres::detail::check(upres_option_describe(i, &oname, &type, nullptr, nullptr, nullptr));
        if (name != oname) continue;
        char* end = nullptr;
        if (type == UPRES_OPTION_STRING) {
            o.set(name.c_str(), text);
        } else if (type == UPRES_OPTION_INT) {
            const long long v = std::strtoll(text.c_str(), &end, 10);
            if (text.empty() || *end) throw upres::Error(UPRES_E_INVALID_ARGUMENT, "option '" + name + "' needs a whole number, got '" + text + "'");
            o.set(name.c_str(), int64_t(v));
        } else {
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end) throw upres::Error(UPRES_E_INVALID_ARGUMENT, "option '" + name + "' needs a number, got '" + text + "'");
            o.set(name.c_str(), v);
        }
        return;
    }
    throw upres::Error(UPRES_E_INVALID_ARGUMENT, "unknown option '" + name + "'");
}

void output_size(const Request& r, int native, int w, int h, int& ow, int& oh) {
    if (r.width || r.height) {
        ow = r.width ? r.width : int(std::lround(double(w) * r.height / h));
        oh = r.height ? r.height : int(std::lround(double(h) * r.width / w));
    } else {
        const double s = r.scale > 0 ? r.scale : (native > 0 ? native : 2);
        ow = int(std::lround(w * s));
        oh = int(std::lround(h * s));
    }
    ow = ow < 1 ? 1 : ow;
    oh = oh < 1 ? 1 : oh;
}

}  // namespace

int upscale_command(int argc, char** argv) {
    Request r;
    bool help = false;
    if (!parse(argc, argv, r, help)) return kExitUsage;
    if (help) {
        std::fputs(kUsage, stdout);
        return kExitOk;
    }
    bool model_given = false;
    for (const auto& kv : r.options) model_given |= kv.first == "model";
    if (r.method.empty()) r.method = model_given ? "model" : "bicubic";

    // Expand folders; decide whether -o names a file or a folder.
    std::vector<std::string> files;
    bool folder_input = false;
    for (const auto& in : r.inputs) {
        if (is_directory(in)) {
            folder_input = true;
            const auto found = images_in(in);
            if (found.empty()) {
                print_error(in + ": no images in this folder");
                return kExitFailed;
            }
            files.insert(files.end(), found.begin(), found.end());
        } else {
            files.push_back(in);
        }
    }
    const bool to_folder = folder_input || files.size() > 1 || r.output.back() == '/' || is_directory(r.output);
    if (!to_folder && extension_of(r.output).empty()) {
        print_error(r.output + ": give the output an image extension (.png, .jpg, .webp, .tif, .avif, .jxl, ...)");
        return kExitUsage;
    }

    upres::Options options;
    std::unique_ptr<upres::Resampler> resampler;
    try {
        for (const auto& kv : r.options) set_option(options, kv.first, kv.second);
        resampler = std::make_unique<upres::Resampler>(r.method, options);
    } catch (const upres::Error& e) {
        print_error(e.what());
        return e.status() == UPRES_E_INVALID_ARGUMENT || e.status() == UPRES_E_NOT_FOUND ? kExitUsage : kExitFailed;
    }
    const size_t slash = r.output.find_last_of('/');
    const std::string out_parent = to_folder ? r.output : (slash == std::string::npos ? "." : r.output.substr(0, slash));
    if (!out_parent.empty() && !make_directories(out_parent)) {
        print_error(out_parent + ": cannot create this folder");
        return kExitFailed;
    }

    const int native = resampler->native_scale();
    int failures = 0;
    for (const auto& in : files) {
        const std::string out = to_folder ? r.output + (r.output.back() == '/' ? "" : "/") + base_name(in) + ".png" : r.output;
        try {
            upres::Bitmap src = upres::load_file(in, options);
            int ow = 0, oh = 0;
            output_size(r, native, src.width(), src.height(), ow, oh);
            upres::check_output(out, ow, oh, src.channels(), &options);  // before the (long) run
            ProgressBar bar(base_name(in));
            upres::Bitmap dst = resampler->run(src, ow, oh, [&](uint64_t d, uint64_t t) { return bar.update(d, t); });
            bar.finish();
            dst.copy_metadata_from(src);
            upres::save_file(out, dst, options);
            if (files.size() > 1) std::printf("%s -> %s (%dx%d)\n", in.c_str(), out.c_str(), ow, oh);
        } catch (const upres::Error& e) {
            print_error(e.what());
            ++failures;
        }
    }
    return failures ? kExitFailed : kExitOk;
}

}  // namespace upres_cli
