// The example every language repeats: load an image, upscale it x4 with lanczos3 and, when
// $UPRES_EXAMPLE_MODEL names a model file, with that model; write PNGs.
// Usage: upscale INPUT OUTPUT_PREFIX  (writes OUTPUT_PREFIX-lanczos3-x4.png, OUTPUT_PREFIX-model-x4.png)
// The input's metadata (colour profile, EXIF, XMP, IPTC) goes into the outputs: load_file ->
// resample -> copy_metadata_from -> save_file.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <upres/upres.hpp>

static void upscale(const upres::Resampler& resampler, const upres::Bitmap& image, const std::string& output) {
    upres::check_output(output, image.width() * 4, image.height() * 4, image.channels());  // before the long part
    upres::Bitmap big = resampler.run(image, image.width() * 4, image.height() * 4);
    big.copy_metadata_from(image);  // a new bitmap has none
    upres::save_file(output, big);
    std::printf("wrote %s (%dx%d)\n", output.c_str(), int(big.width()), int(big.height()));
}

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: upscale INPUT OUTPUT_PREFIX\n");
        return 2;
    }
    const std::string prefix = argv[2];
    try {
        upres::Bitmap image = upres::load_file(argv[1]);
        upscale(upres::Resampler("lanczos3"), image, prefix + "-lanczos3-x4.png");

        const char* model = std::getenv("UPRES_EXAMPLE_MODEL");
        if (!model) {
            std::printf("model: skipped (set UPRES_EXAMPLE_MODEL to a model file)\n");
            return 0;
        }
        upres::Options options;
        options.set("model", model);
        try {
            upscale(upres::Resampler("model", options), image, prefix + "-model-x4.png");
        } catch (const upres::Error& e) {
            if (e.status() != UPRES_E_UNSUPPORTED) throw;
            std::printf("model: skipped (%s)\n", e.what());
        }
    } catch (const upres::Error& e) {
        std::fprintf(stderr, "upscale: %s (%s)\n", e.what(), e.status_name());
        return 1;
    }
    return 0;
}
