/* The example every language repeats: load an image, upscale it x4 with lanczos3 and, when
 * $UPRES_EXAMPLE_MODEL names a model file, with that model; write PNGs.
 * Usage: upscale INPUT OUTPUT_PREFIX  (writes OUTPUT_PREFIX-lanczos3-x4.png, OUTPUT_PREFIX-model-x4.png)
 * The input's metadata (colour profile, EXIF, XMP, IPTC) goes into the outputs: upres_file_load ->
 * upres_resample_new -> upres_bitmap_copy_metadata -> upres_file_save. */
#include <stdio.h>
#include <stdlib.h>

#include <upres/upres.h>

/* Upscales input (whose pixels image views) x4 with resampler and writes output with input's
 * metadata; returns a status. */
static int32_t upscale(const upres_resampler* resampler, const upres_bitmap* input, const upres_image* image,
                       const char* output) {
    upres_bitmap* big = NULL;
    upres_image view;
    /* Can the output format hold the result? Asked before the long part. */
    int32_t st = upres_file_check_output(output, image->width * 4, image->height * 4, image->channels, NULL);
    if (st == UPRES_OK)
        st = upres_resample_new(resampler, image, image->width * 4, image->height * 4, NULL, NULL, NULL, &big);
    if (st == UPRES_OK) st = upres_bitmap_copy_metadata(big, input); /* a new bitmap has none */
    if (st == UPRES_OK) st = upres_bitmap_view(big, &view);
    if (st == UPRES_OK) st = upres_file_save(output, big, NULL);
    if (st == UPRES_OK) printf("wrote %s (%dx%d)\n", output, (int)view.width, (int)view.height);
    upres_bitmap_destroy(big);
    return st;
}

int main(int argc, char** argv) {
    upres_bitmap* input = NULL;
    upres_resampler *lanczos = NULL, *model = NULL;
    upres_options* options = NULL;
    upres_image image;
    char output[4096];
    const char* model_path = getenv("UPRES_EXAMPLE_MODEL");
    int32_t st;
    if (argc != 3) {
        fprintf(stderr, "usage: upscale INPUT OUTPUT_PREFIX\n");
        return 2;
    }
    st = upres_file_load(argv[1], NULL, &input);
    if (st == UPRES_OK) st = upres_bitmap_view(input, &image);
    if (st == UPRES_OK) st = upres_resampler_create("lanczos3", NULL, &lanczos);
    if (st == UPRES_OK) {
        snprintf(output, sizeof output, "%s-lanczos3-x4.png", argv[2]);
        st = upscale(lanczos, input, &image, output);
    }
    if (st == UPRES_OK && !model_path) printf("model: skipped (set UPRES_EXAMPLE_MODEL to a model file)\n");
    if (st == UPRES_OK && model_path) {
        st = upres_options_create(&options);
        if (st == UPRES_OK) st = upres_options_set_string(options, "model", model_path);
        if (st == UPRES_OK) st = upres_resampler_create("model", options, &model);
        if (st == UPRES_E_UNSUPPORTED) {
            printf("model: skipped (%s)\n", upres_last_error());
            st = UPRES_OK;
        } else if (st == UPRES_OK) {
            snprintf(output, sizeof output, "%s-model-x4.png", argv[2]);
            st = upscale(model, input, &image, output);
        }
    }
    if (st != UPRES_OK) fprintf(stderr, "upscale: %s\n", upres_last_error());
    upres_resampler_destroy(model);
    upres_resampler_destroy(lanczos);
    upres_options_destroy(options);
    upres_bitmap_destroy(input);
    return st == UPRES_OK ? 0 : 1;
}
