// The options upres knows. Adding a row is the only change needed to add an option to the
// library, the C ABI (upres_option_describe) and the CLI's --set NAME=VALUE.
#include <cstdint>

#include "core/options.hpp"

namespace upres {

namespace {
constexpr double kNoText = 0;
}

const std::vector<OptionSpec>& option_table() {
    static const std::vector<OptionSpec> table = {
        // name, type, default number, default text, min, max, choices, help
        {"threads", OptionType::integer, 0, "", 0, 1024, nullptr,
         "worker threads (0 = one per hardware thread)"},
        {"max_pixels", OptionType::integer, 0, "", 0, double(int64_t(1) << 40), nullptr,
         "largest width*height accepted or allocated (0 = process default)"},
        // Classical resampling
        {"antialias", OptionType::integer, 1, "", 0, 1, nullptr, "widen the kernel when downscaling"},
        {"edge", OptionType::text, kNoText, "clamp", 0, 0, "clamp|reflect|wrap|truncate",
         "samples outside the image: repeat the edge, mirror, wrap around, or drop and renormalise"},
        {"cubic_a", OptionType::real, -0.5, "", -2.0, 0.0, nullptr, "Keys cubic parameter of 'bicubic'"},
        {"linear_light", OptionType::integer, 0, "", 0, 1, nullptr,
         "decode sRGB to linear light before resampling and encode after"},
        {"clamp_intermediate", OptionType::integer, 0, "", 0, 1, nullptr,
         "clamp 8/16-bit samples to their range between the two passes (Pillow's convention)"},
        {"crop_x", OptionType::real, 0, "", -1e9, 1e9, nullptr, "source crop box left edge (pixels)"},
        {"crop_y", OptionType::real, 0, "", -1e9, 1e9, nullptr, "source crop box top edge (pixels)"},
        {"crop_width", OptionType::real, 0, "", 0, 1e9, nullptr, "source crop box width (0 = whole image)"},
        {"crop_height", OptionType::real, 0, "", 0, 1e9, nullptr, "source crop box height (0 = whole image)"},
        // Neural resampling
        {"model", OptionType::text, kNoText, "", 0, 0, nullptr, "model file (.pth, .safetensors, .pt, .param)"},
        {"model_path", OptionType::text, kNoText, "", 0, 0, nullptr,
         "folders searched for named models (':'-separated; default $UPRES_MODEL_PATH)"},
        {"model_scale", OptionType::integer, 0, "", 0, 16, nullptr,
         "scale of a TorchScript model (0 = found by a trial run on a small input)"},
        {"torchscript", OptionType::integer, 0, "", 0, 1, nullptr,
         "allow TorchScript model files: they hold code that libtorch runs, so they are refused unless 1"},
        {"tile", OptionType::integer, 0, "", 0, 16384, nullptr, "tile size in input pixels (0 = automatic)"},
        {"tile_overlap", OptionType::integer, -1, "", -1, 1024, nullptr, "tile overlap in input pixels (-1 = automatic)"},
        {"image_statistics", OptionType::integer, 8, "", 1, 16, nullptr,
         "tiled runs of models with layers that average or sum over the whole image (squeeze-and-excitation, "
         "channel attention, GroupNorm, DAT's channel self-attention): at most this many passes over the tiles, "
         "each using the image's sums gathered in the one before, until they settle (1 = each tile alone, faster)"},
        {"precision", OptionType::text, kNoText, "auto", 0, 0, "auto|fp32|bf16|fp16", "arithmetic precision of models"},
        {"onednn", OptionType::integer, 1, "", 0, 1, nullptr,
         "RRDBNet on the CPU: run the trunk through oneDNN itself when the build has it (fp32 by Winograd "
         "convolutions); 0 = through ATen, direct convolutions"},
        {"device", OptionType::text, kNoText, "cpu", 0, 0, nullptr, "cpu or cuda[:N]"},
        {"alpha", OptionType::text, kNoText, "auto", 0, 0, "auto|classical|model",
         "how a model resampler scales the alpha channel: auto = the network's own alpha channel when it "
         "has one (RGBA or gray + alpha models), else classical; model = also through an RGB network "
         "as a gray image"},
        {"padding", OptionType::text, kNoText, "auto", 0, 0, "auto|zero|replicate", "SRCNN border padding"},
        {"final_method", OptionType::text, kNoText, "bicubic", 0, 0, nullptr,
         "classical resampler that brings a model's output to the exact size asked for"},
        // Image files
        {"auto_orient", OptionType::integer, 1, "", 0, 1, nullptr,
         "loading: apply the EXIF orientation to the pixels (0 = keep them as stored)"},
        {"to_srgb", OptionType::integer, 0, "", 0, 1, nullptr,
         "loading: convert to sRGB through the embedded ICC profile (0 = keep the file's colour space and carry "
         "its profile to the output)"},
        {"quality", OptionType::integer, 0, "", 0, 100, nullptr,
         "saving JPEG, WebP, AVIF, JPEG XL: quality 1..100 (0 = the format's default: 90, AVIF 60)"},
        {"lossless", OptionType::integer, 0, "", 0, 1, nullptr, "saving WebP, JPEG XL, AVIF: lossless"},
        {"chroma_subsampling", OptionType::text, kNoText, "auto", 0, 0, "auto|420|444",
         "saving JPEG, AVIF: chroma subsampling (auto = 4:4:4 from quality 90)"},
        {"progressive", OptionType::integer, 0, "", 0, 1, nullptr, "saving JPEG: progressive; PNG: interlaced"},
        {"tiff_compression", OptionType::text, kNoText, "deflate", 0, 0, "none|lzw|deflate", "saving TIFF: compression"},
        {"strip", OptionType::integer, 0, "", 0, 1, nullptr,
         "saving: leave out EXIF, XMP and IPTC metadata (the ICC profile stays)"},
    };
    return table;
}

}  // namespace upres
