/* Upscales a tiny gradient through the installed C ABI and checks the result's corners. */
#include <stdio.h>
#include <upres/upres.h>

int main(void) {
    unsigned char px[4 * 4];
    upres_image src;
    upres_resampler* r = NULL;
    upres_bitmap* out = NULL;
    upres_image dst;
    int i;
    for (i = 0; i < 16; ++i) px[i] = (unsigned char)(i * 16);
    if (upres_image_init(&src, 4, 4, 1, UPRES_SAMPLE_U8, px) != UPRES_OK ||
        upres_resampler_create("bicubic", NULL, &r) != UPRES_OK ||
        upres_resample_new(r, &src, 8, 8, NULL, NULL, NULL, &out) != UPRES_OK ||
        upres_bitmap_view(out, &dst) != UPRES_OK) {
        fprintf(stderr, "consumer: %s\n", upres_last_error());
        return 1;
    }
    printf("consumer (C): upres %s, %dx%d\n", upres_version_string(), dst.width, dst.height);
    upres_bitmap_destroy(out);
    upres_resampler_destroy(r);
    return (dst.width == 8 && upres_version() == UPRES_VERSION_NUMBER) ? 0 : 1;
}
