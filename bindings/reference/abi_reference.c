/* The C side of the binding tests: what every binding must agree with, computed through the C ABI
 * alone. Usage: abi_reference SAMPLE.png OUT_DIR
 *   OUT_DIR/layout.txt      sizeof/offsetof of every public struct, and the fixed constant values
 *   OUT_DIR/lanczos3_x4.raw SAMPLE upscaled x4 with lanczos3 (upres_resample_new), packed u8
 *   OUT_DIR/bicubic_f32.raw SAMPLE to 150x130 f32 with options (upres_resample into our buffer)
 *   OUT_DIR/degrade.raw     upres_degrade(SAMPLE, DEGRADE_PIPELINE, DEGRADE_SEED)
 *   OUT_DIR/metrics.txt     PSNR/SSIM of SAMPLE against the degraded image brought back by bicubic
 *   OUT_DIR/describe.txt    upres_method_describe of DESCRIBED_METHODS ("NAME TEXT" lines), and the
 *                           status of an unknown method ("unknown.status N")
 *   OUT_DIR/formats.txt     upres_file_format_info of every format: "format.count N", then
 *                           "format.NAME FLAGS CODEC EXTENSIONS..." lines
 * Each binding repeats these operations and compares bytes (and doubles) exactly. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <upres/upres.h>

#define DEGRADE_PIPELINE "blur:1.2; down:2; noise:3"
#define DEGRADE_SEED 42u
#define UNKNOWN_METHOD "no-such-method"

/* Methods whose description does not depend on files: a classical filter, and "model" without
 * the option naming its file. */
static const char* const DESCRIBED_METHODS[] = {"lanczos3", "bicubic", "model"};

static int fail(const char* what) {
    fprintf(stderr, "abi_reference: %s: %s\n", what, upres_last_error());
    return 1;
}

static int write_file(const char* dir, const char* name, const void* data, size_t size) {
    char path[4096];
    FILE* f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "abi_reference: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

/* Writes the rows of a view without its padding. */
static int write_view(const char* dir, const char* name, const upres_image* v) {
    uint64_t row = 0;
    size_t size;
    char* packed;
    int32_t y;
    int rc;
    if (upres_image_required_bytes(v->width, 1, v->channels, v->sample_type, &row) != UPRES_OK)
        return fail("upres_image_required_bytes");
    size = (size_t)row * (size_t)v->height;
    packed = (char*)malloc(size);
    if (!packed) return 1;
    for (y = 0; y < v->height; ++y)
        memcpy(packed + (size_t)y * row, (const char*)v->data + (size_t)y * (size_t)v->stride_bytes, (size_t)row);
    rc = write_file(dir, name, packed, size);
    free(packed);
    return rc;
}

/* The stability rules in C terms: struct_size comes first, and the fields follow one another with
 * no padding between them, so every binding's plain sequential declaration has the same layout. */
static int layout_is_sequential(void) {
#define NEXT(a, b) (offsetof(upres_image, b) == offsetof(upres_image, a) + sizeof(((upres_image*)0)->a))
    return offsetof(upres_image, struct_size) == 0 && NEXT(struct_size, width) && NEXT(width, height) &&
           NEXT(height, channels) && NEXT(channels, sample_type) && NEXT(sample_type, flags) &&
           NEXT(flags, stride_bytes) && NEXT(stride_bytes, data);
#undef NEXT
}

static void write_layout(FILE* f) {
#define FIELD(name) fprintf(f, "offsetof.upres_image.%s %u\n", #name, (unsigned)offsetof(upres_image, name))
    fprintf(f, "sizeof.upres_image %u\n", (unsigned)sizeof(upres_image));
    fprintf(f, "alignof.upres_image %u\n", (unsigned)offsetof(struct { char c; upres_image i; }, i));
    FIELD(struct_size);
    FIELD(width);
    FIELD(height);
    FIELD(channels);
    FIELD(sample_type);
    FIELD(flags);
    FIELD(stride_bytes);
    FIELD(data);
#undef FIELD
#define CONST(name) fprintf(f, "const.%s %ld\n", #name, (long)(name))
    CONST(UPRES_OK);
    CONST(UPRES_E_INVALID_ARGUMENT);
    CONST(UPRES_E_UNSUPPORTED);
    CONST(UPRES_E_IO);
    CONST(UPRES_E_FORMAT);
    CONST(UPRES_E_MODEL);
    CONST(UPRES_E_OUT_OF_MEMORY);
    CONST(UPRES_E_CANCELLED);
    CONST(UPRES_E_LIMIT);
    CONST(UPRES_E_NOT_FOUND);
    CONST(UPRES_E_INTERNAL);
    CONST(UPRES_SAMPLE_U8);
    CONST(UPRES_SAMPLE_U16);
    CONST(UPRES_SAMPLE_F32);
    CONST(UPRES_IMAGE_PREMULTIPLIED);
    CONST(UPRES_IMAGE_SRGB);
    CONST(UPRES_OPTION_INT);
    CONST(UPRES_OPTION_DOUBLE);
    CONST(UPRES_OPTION_STRING);
    CONST(UPRES_METRIC_LUMA);
    CONST(UPRES_METRIC_ALL);
    CONST(UPRES_METADATA_ICC);
    CONST(UPRES_METADATA_EXIF);
    CONST(UPRES_METADATA_XMP);
    CONST(UPRES_METADATA_IPTC);
    CONST(UPRES_FORMAT_READ);
    CONST(UPRES_FORMAT_WRITE);
#undef CONST
}

static int write_descriptions(const char* dir) {
    char path[4096], text[1024];
    size_t length = 0, i;
    FILE* f;
    snprintf(path, sizeof path, "%s/describe.txt", dir);
    f = fopen(path, "w");
    if (!f) return 1;
    for (i = 0; i < sizeof DESCRIBED_METHODS / sizeof DESCRIBED_METHODS[0]; ++i) {
        if (upres_method_describe(DESCRIBED_METHODS[i], NULL, text, sizeof text, &length) != UPRES_OK ||
            length >= sizeof text) {
            fclose(f);
            return fail(DESCRIBED_METHODS[i]);
        }
        fprintf(f, "%s %s\n", DESCRIBED_METHODS[i], text);
    }
    fprintf(f, "unknown.status %d\n", (int)upres_method_describe(UNKNOWN_METHOD, NULL, text, sizeof text, &length));
    return fclose(f) != 0;
}

static int write_formats(const char* dir) {
    char path[4096];
    int32_t n = 0, i, flags = 0;
    const char *name = NULL, *extensions = NULL, *codec = NULL;
    FILE* f;
    if (upres_file_format_count(&n) != UPRES_OK) return fail("upres_file_format_count");
    snprintf(path, sizeof path, "%s/formats.txt", dir);
    f = fopen(path, "w");
    if (!f) return 1;
    fprintf(f, "format.count %d\n", (int)n);
    for (i = 0; i < n; ++i) {
        if (upres_file_format_info(i, &name, &extensions, &flags, &codec) != UPRES_OK) {
            fclose(f);
            return fail("upres_file_format_info");
        }
        fprintf(f, "format.%s %d %s %s\n", name, (int)flags, codec, extensions);
    }
    return fclose(f) != 0;
}

int main(int argc, char** argv) {
    const char* dir;
    char path[4096];
    FILE* layout;
    upres_bitmap *sample = NULL, *up = NULL, *degraded = NULL, *back = NULL;
    upres_resampler *lanczos = NULL, *bicubic = NULL;
    upres_options* options = NULL;
    upres_image src, view, f32;
    float* f32_pixels = NULL;
    double psnr = 0, ssim = 0;
    int rc = 1;
    if (argc != 3) {
        fprintf(stderr, "usage: abi_reference SAMPLE.png OUT_DIR\n");
        return 2;
    }
    dir = argv[2];
    if (!layout_is_sequential()) {
        fprintf(stderr, "abi_reference: upres_image has padding between fields or struct_size is not first\n");
        return 1;
    }

    snprintf(path, sizeof path, "%s/layout.txt", dir);
    layout = fopen(path, "w");
    if (!layout) {
        fprintf(stderr, "abi_reference: cannot write %s\n", path);
        return 1;
    }
    write_layout(layout);
    if (fclose(layout) != 0) return 1;
    if (write_descriptions(dir)) return 1;
    if (write_formats(dir)) return 1;

    if (upres_file_load(argv[1], NULL, &sample) != UPRES_OK) return fail("upres_file_load");
    if (upres_bitmap_view(sample, &src) != UPRES_OK) { fail("upres_bitmap_view"); goto done; }

    /* 1. the examples' task: lanczos3 x4 into a new bitmap */
    if (upres_resampler_create("lanczos3", NULL, &lanczos) != UPRES_OK) { fail("lanczos3"); goto done; }
    if (upres_resample_new(lanczos, &src, src.width * 4, src.height * 4, NULL, NULL, NULL, &up) != UPRES_OK) {
        fail("upres_resample_new");
        goto done;
    }
    if (upres_bitmap_view(up, &view) != UPRES_OK || write_view(dir, "lanczos3_x4.raw", &view)) goto done;

    /* 2. options, a caller-owned f32 destination, u8 -> f32 conversion */
    if (upres_options_create(&options) != UPRES_OK ||
        upres_options_set_string(options, "edge", "reflect") != UPRES_OK ||
        upres_options_set_double(options, "cubic_a", -0.75) != UPRES_OK ||
        upres_options_set_int(options, "threads", 2) != UPRES_OK) {
        fail("options");
        goto done;
    }
    if (upres_resampler_create("bicubic", options, &bicubic) != UPRES_OK) { fail("bicubic"); goto done; }
    f32_pixels = (float*)calloc((size_t)150 * 130 * (size_t)src.channels, sizeof(float));
    if (!f32_pixels) goto done;
    if (upres_image_init(&f32, 150, 130, src.channels, UPRES_SAMPLE_F32, f32_pixels) != UPRES_OK ||
        upres_resample(bicubic, &src, &f32, NULL, NULL, NULL) != UPRES_OK) {
        fail("upres_resample f32");
        goto done;
    }
    if (write_view(dir, "bicubic_f32.raw", &f32)) goto done;

    /* 3. evaluation: degrade, bring back to the sample's size, measure */
    if (upres_degrade(&src, DEGRADE_PIPELINE, DEGRADE_SEED, &degraded) != UPRES_OK) { fail("upres_degrade"); goto done; }
    if (upres_bitmap_view(degraded, &view) != UPRES_OK || write_view(dir, "degrade.raw", &view)) goto done;
    if (upres_resample_new(bicubic, &view, src.width, src.height, NULL, NULL, NULL, &back) != UPRES_OK ||
        upres_bitmap_view(back, &view) != UPRES_OK) {
        fail("resample back");
        goto done;
    }
    if (upres_psnr(&src, &view, 4, UPRES_METRIC_LUMA, &psnr) != UPRES_OK ||
        upres_ssim(&src, &view, 4, UPRES_METRIC_LUMA, &ssim) != UPRES_OK) {
        fail("metrics");
        goto done;
    }
    snprintf(path, sizeof path, "%s/metrics.txt", dir);
    layout = fopen(path, "w");
    if (!layout) goto done;
    fprintf(layout, "degrade.pipeline %s\ndegrade.seed %u\npsnr %.17g\nssim %.17g\n", DEGRADE_PIPELINE,
            DEGRADE_SEED, psnr, ssim);
    if (fclose(layout) != 0) goto done;
    rc = 0;
    printf("abi_reference: sizeof(upres_image) = %u, psnr %.4f dB, ssim %.4f\n", (unsigned)sizeof(upres_image), psnr, ssim);

done:
    free(f32_pixels);
    upres_bitmap_destroy(back);
    upres_bitmap_destroy(degraded);
    upres_bitmap_destroy(up);
    upres_bitmap_destroy(sample);
    upres_resampler_destroy(bicubic);
    upres_resampler_destroy(lanczos);
    upres_options_destroy(options);
    return rc;
}
