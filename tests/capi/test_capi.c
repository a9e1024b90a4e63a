/* Drives the C ABI from C99, including every error path. Compiled with -std=c99 -pedantic. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <upres/upres.h>

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond)                                                              \
    do {                                                                         \
        ++g_checks;                                                              \
        if (!(cond)) {                                                           \
            ++g_failures;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, \
                    __LINE__, #cond, upres_last_error());                        \
        }                                                                        \
    } while (0)

#define CHECK_STATUS(expr, expected) CHECK((expr) == (expected))

static int32_t count_progress(uint64_t done, uint64_t total, void* user) {
    int* calls = (int*)user;
    (void)done;
    (void)total;
    ++*calls;
    return 0;
}

static int32_t cancel_at_first(uint64_t done, uint64_t total, void* user) {
    (void)done;
    (void)total;
    (void)user;
    return 1;
}

static void test_version_and_status(void) {
    CHECK(upres_version() == UPRES_VERSION_NUMBER);
    CHECK(strlen(upres_version_string()) >= 5);
    CHECK(strcmp(upres_status_name(UPRES_E_FORMAT), "UPRES_E_FORMAT") == 0);
    CHECK(strcmp(upres_status_name(12345), "UPRES_E_UNKNOWN") == 0);
}

static void test_destroy_null(void) {
    upres_bitmap_destroy(NULL);
    upres_options_destroy(NULL);
    upres_resampler_destroy(NULL);
    upres_cancel_token_destroy(NULL);
    CHECK(1);
}

static void test_image_descriptors(void) {
    upres_image im;
    uint64_t bytes = 0;
    CHECK_STATUS(upres_image_init(NULL, 4, 4, 3, UPRES_SAMPLE_U8, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(strstr(upres_last_error(), "image") != NULL);
    CHECK_STATUS(upres_image_init(&im, 0, 4, 3, UPRES_SAMPLE_U8, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_image_init(&im, -5, 4, 3, UPRES_SAMPLE_U8, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_image_init(&im, 4, 4, 5, UPRES_SAMPLE_U8, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_image_init(&im, 4, 4, 3, 42, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_image_init(&im, 5, 3, 3, UPRES_SAMPLE_U16, NULL), UPRES_OK);
    CHECK(im.struct_size == sizeof(upres_image));
    CHECK(im.stride_bytes == 5 * 3 * 2);
    CHECK_STATUS(upres_image_required_bytes(5, 3, 4, UPRES_SAMPLE_F32, &bytes), UPRES_OK);
    CHECK(bytes == 5 * 3 * 4 * 4);
    CHECK_STATUS(upres_image_required_bytes(5, 3, 4, UPRES_SAMPLE_F32, NULL), UPRES_E_INVALID_ARGUMENT);
    /* Sides beyond the hard limit are refused even for descriptors. */
    CHECK_STATUS(upres_image_required_bytes(INT32_MAX, INT32_MAX, 4, UPRES_SAMPLE_F32, &bytes), UPRES_E_LIMIT);
}

static void test_bitmaps_and_limits(void) {
    upres_bitmap* b = NULL;
    upres_bitmap* untouched = (upres_bitmap*)0x1;
    upres_image v;
    uint64_t old_limit = upres_get_max_pixels();
    CHECK_STATUS(upres_bitmap_create(8, 8, 3, UPRES_SAMPLE_U8, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_create(0, 8, 3, UPRES_SAMPLE_U8, &untouched), UPRES_E_INVALID_ARGUMENT);
    CHECK(untouched == (upres_bitmap*)0x1); /* outputs untouched on failure */
    CHECK_STATUS(upres_bitmap_create(100000, 100000, 3, UPRES_SAMPLE_U8, &untouched), UPRES_E_LIMIT);
    CHECK(untouched == (upres_bitmap*)0x1);
    CHECK_STATUS(upres_set_max_pixels(0), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_set_max_pixels(64), UPRES_OK);
    CHECK_STATUS(upres_bitmap_create(9, 8, 1, UPRES_SAMPLE_U8, &b), UPRES_E_LIMIT);
    CHECK_STATUS(upres_set_max_pixels(old_limit), UPRES_OK);
    CHECK_STATUS(upres_bitmap_create(9, 8, 2, UPRES_SAMPLE_F32, &b), UPRES_OK);
    CHECK_STATUS(upres_bitmap_view(b, &v), UPRES_OK);
    CHECK(v.width == 9 && v.height == 8 && v.channels == 2 && v.sample_type == UPRES_SAMPLE_F32);
    CHECK(v.stride_bytes == 9 * 2 * 4 && v.data != NULL);
    CHECK_STATUS(upres_bitmap_view(NULL, &v), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_view(b, NULL), UPRES_E_INVALID_ARGUMENT);
    upres_bitmap_destroy(b);
}

static void test_options(void) {
    upres_options* o = NULL;
    upres_options* c = NULL;
    int64_t i = 0;
    double d = 0;
    char buf[8];
    size_t len = 0;
    int32_t n, k, type = 0, found = 0;
    CHECK_STATUS(upres_options_create(NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_create(&o), UPRES_OK);
    CHECK_STATUS(upres_options_set_int(NULL, "threads", 1), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_set_int(o, NULL, 1), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_set_int(o, "no_such_option", 1), UPRES_E_INVALID_ARGUMENT);
    CHECK(strstr(upres_last_error(), "no_such_option") != NULL);
    CHECK_STATUS(upres_options_set_int(o, "threads", -3), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_set_string(o, "threads", "2"), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_set_string(o, "edge", "sideways"), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_set_string(o, "edge", NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_set_int(o, "threads", 2), UPRES_OK);
    CHECK_STATUS(upres_options_get_int(o, "threads", &i), UPRES_OK);
    CHECK(i == 2);
    CHECK_STATUS(upres_options_set_double(o, "cubic_a", -0.75), UPRES_OK);
    CHECK_STATUS(upres_options_get_double(o, "cubic_a", &d), UPRES_OK);
    CHECK(d == -0.75);
    CHECK_STATUS(upres_options_set_string(o, "edge", "reflect"), UPRES_OK);
    CHECK_STATUS(upres_options_get_string(o, "edge", buf, 4, &len), UPRES_OK);
    CHECK(len == 7 && strcmp(buf, "ref") == 0); /* truncated, NUL-terminated */
    CHECK_STATUS(upres_options_get_string(o, "edge", NULL, 0, &len), UPRES_OK);
    CHECK_STATUS(upres_options_get_string(o, "edge", NULL, 5, &len), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_clone(o, &c), UPRES_OK);
    CHECK_STATUS(upres_options_get_int(c, "threads", &i), UPRES_OK);
    CHECK(i == 2);
    n = upres_option_count();
    CHECK(n > 5);
    for (k = 0; k < n; ++k) {
        const char* name = NULL;
        CHECK_STATUS(upres_option_describe(k, &name, &type, NULL, NULL, NULL), UPRES_OK);
        if (name && strcmp(name, "threads") == 0) found = (type == UPRES_OPTION_INT);
    }
    CHECK(found);
    CHECK_STATUS(upres_option_describe(n, NULL, NULL, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_option_describe(-1, NULL, NULL, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    upres_options_destroy(c);
    upres_options_destroy(o);
}

static void test_resampling(void) {
    upres_resampler* r = NULL;
    upres_resampler* untouched = (upres_resampler*)0x1;
    upres_cancel_token* tok = NULL;
    upres_bitmap* out = NULL;
    upres_image src, dst, bad;
    uint8_t in_px[4 * 3 * 3];
    uint8_t out_px[8 * 6 * 3];
    int calls = 0, k;
    int32_t scale = -1, is_cancelled = 0;
    for (k = 0; k < (int)sizeof in_px; ++k) in_px[k] = (uint8_t)(k * 7);

    CHECK(upres_method_count() >= 2);
    CHECK(upres_method_name(-1) == NULL);
    CHECK(upres_method_name(upres_method_count()) == NULL);
    CHECK_STATUS(upres_resampler_create(NULL, NULL, &r), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_resampler_create("bicubic", NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_resampler_create("no-such-method", NULL, &untouched), UPRES_E_NOT_FOUND);
    CHECK(untouched == (upres_resampler*)0x1);
    CHECK(strstr(upres_last_error(), "no-such-method") != NULL);
    CHECK_STATUS(upres_resampler_create("bicubic", NULL, &r), UPRES_OK);
    CHECK_STATUS(upres_resampler_scale(r, &scale), UPRES_OK);
    CHECK(scale == 0);

    CHECK_STATUS(upres_image_init(&src, 4, 3, 3, UPRES_SAMPLE_U8, in_px), UPRES_OK);
    CHECK_STATUS(upres_image_init(&dst, 8, 6, 3, UPRES_SAMPLE_U8, out_px), UPRES_OK);
    CHECK_STATUS(upres_resample(r, &src, &dst, count_progress, &calls, NULL), UPRES_OK);
    CHECK(calls >= 1);

    /* NULL arguments */
    CHECK_STATUS(upres_resample(NULL, &src, &dst, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_resample(r, NULL, &dst, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_resample(r, &src, NULL, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    /* bad stride, bad struct_size, NULL data, zero/negative sizes, channel mismatch */
    bad = dst;
    bad.stride_bytes = 8 * 3 - 1;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(strstr(upres_last_error(), "stride") != NULL);
    bad = dst;
    bad.stride_bytes = -24;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    bad = dst;
    bad.struct_size = 4;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    bad = dst;
    bad.data = NULL;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    bad = dst;
    bad.width = 0;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    bad = dst;
    bad.height = -6;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    bad = dst;
    bad.width = INT32_MAX;
    bad.height = INT32_MAX;
    bad.stride_bytes = INT64_MAX;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_LIMIT);
    bad = dst;
    bad.channels = 4;
    bad.stride_bytes = 8 * 4;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    bad = dst;
    bad.sample_type = 0;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    bad = dst;
    bad.flags = 0x100;
    CHECK_STATUS(upres_resample(r, &src, &bad, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);

    /* resample_new: outputs untouched on failure */
    CHECK_STATUS(upres_resample_new(r, &src, 0, 5, NULL, NULL, NULL, &out), UPRES_E_INVALID_ARGUMENT);
    CHECK(out == NULL);
    CHECK_STATUS(upres_resample_new(r, &src, 100000, 100000, NULL, NULL, NULL, &out), UPRES_E_LIMIT);
    CHECK(out == NULL);
    CHECK_STATUS(upres_resample_new(r, &src, 7, 5, NULL, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_resample_new(r, &src, 7, 5, NULL, NULL, NULL, &out), UPRES_OK);
    CHECK(out != NULL);
    upres_bitmap_destroy(out);
    out = NULL;

    /* cancellation: a pre-cancelled token, and a progress callback that says stop */
    CHECK_STATUS(upres_cancel_token_create(NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_cancel_token_create(&tok), UPRES_OK);
    CHECK_STATUS(upres_cancel_token_cancel(tok), UPRES_OK);
    CHECK_STATUS(upres_cancel_token_is_cancelled(tok, &is_cancelled), UPRES_OK);
    CHECK(is_cancelled == 1);
    CHECK_STATUS(upres_resample(r, &src, &dst, NULL, NULL, tok), UPRES_E_CANCELLED);
    CHECK_STATUS(upres_resample_new(r, &src, 7, 5, NULL, NULL, tok, &out), UPRES_E_CANCELLED);
    CHECK(out == NULL);
    CHECK_STATUS(upres_cancel_token_reset(tok), UPRES_OK);
    CHECK_STATUS(upres_resample(r, &src, &dst, NULL, NULL, tok), UPRES_OK);
    CHECK_STATUS(upres_resample(r, &src, &dst, cancel_at_first, NULL, NULL), UPRES_E_CANCELLED);
    CHECK_STATUS(upres_cancel_token_cancel(NULL), UPRES_E_INVALID_ARGUMENT);
    upres_cancel_token_destroy(tok);
    upres_resampler_destroy(r);
}

static void test_files(void) {
    upres_bitmap* b = (upres_bitmap*)0x1;
    upres_image info;
    static const char not_png[] = "this is not an image";
    CHECK_STATUS(upres_image_load(NULL, NULL, &b), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_image_load("/nonexistent/dir/x.png", NULL, &b), UPRES_E_IO);
    CHECK(strstr(upres_last_error(), "/nonexistent/dir/x.png") != NULL);
    CHECK(b == (upres_bitmap*)0x1);
    CHECK_STATUS(upres_image_load_memory(not_png, sizeof not_png, NULL, &b), UPRES_E_FORMAT);
    CHECK_STATUS(upres_image_load_memory(not_png, 0, NULL, &b), UPRES_E_FORMAT);
    CHECK_STATUS(upres_image_probe("/nonexistent.png", &info), UPRES_E_IO);
    CHECK_STATUS(upres_image_save("/tmp/x.png", NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(b == (upres_bitmap*)0x1);
}

static void test_metrics(void) {
    uint8_t a_px[16 * 16], b_px[16 * 16];
    upres_image a, b, small;
    double v = -1;
    int k;
    for (k = 0; k < 256; ++k) {
        a_px[k] = (uint8_t)k;
        b_px[k] = (uint8_t)(k ^ 1);
    }
    CHECK_STATUS(upres_image_init(&a, 16, 16, 1, UPRES_SAMPLE_U8, a_px), UPRES_OK);
    CHECK_STATUS(upres_image_init(&b, 16, 16, 1, UPRES_SAMPLE_U8, b_px), UPRES_OK);
    CHECK_STATUS(upres_image_init(&small, 8, 16, 1, UPRES_SAMPLE_U8, b_px), UPRES_OK);
    CHECK_STATUS(upres_psnr(&a, &b, 0, UPRES_METRIC_ALL, &v), UPRES_OK);
    CHECK(v > 48.1 && v < 48.2); /* every sample off by 1: 10 log10(255^2) = 48.13 dB */
    CHECK_STATUS(upres_ssim(&a, &b, 0, UPRES_METRIC_LUMA, &v), UPRES_OK);
    CHECK(v > 0.99 && v <= 1.0);
    v = -1;
    CHECK_STATUS(upres_psnr(&a, &small, 0, UPRES_METRIC_ALL, &v), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_psnr(&a, &b, 0, 3, &v), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_psnr(&a, &b, 8, UPRES_METRIC_ALL, &v), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_psnr(&a, NULL, 0, UPRES_METRIC_ALL, &v), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_ssim(&a, &b, 0, UPRES_METRIC_ALL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(v == -1); /* untouched on failure */
    {
        upres_bitmap* d1 = NULL;
        upres_bitmap* d2 = (upres_bitmap*)0x1;
        upres_image i1;
        CHECK_STATUS(upres_degrade(&a, "blur:1; noise:3", 5, &d1), UPRES_OK);
        CHECK_STATUS(upres_bitmap_view(d1, &i1), UPRES_OK);
        CHECK(i1.width == 16 && i1.channels == 1);
        CHECK_STATUS(upres_degrade(&a, "smear:1", 5, &d2), UPRES_E_INVALID_ARGUMENT);
        CHECK(strstr(upres_last_error(), "smear") != NULL);
        CHECK_STATUS(upres_degrade(&a, NULL, 5, &d2), UPRES_E_INVALID_ARGUMENT);
        CHECK(d2 == (upres_bitmap*)0x1);
        upres_bitmap_destroy(d1);
    }
}

static void test_models(void) {
    char buf[16];
    size_t len = 99;
    static const char junk[] = "not a model at all";
    FILE* f;
    int32_t devices = -1;
    CHECK_STATUS(upres_cuda_device_count(NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_cuda_device_count(&devices), UPRES_OK);
    CHECK(devices >= 0);
    {
        int32_t n = 0, i, seen_rrdbnet = 0;
        const char *name = NULL, *title = NULL;
        CHECK_STATUS(upres_architecture_count(NULL), UPRES_E_INVALID_ARGUMENT);
        CHECK_STATUS(upres_architecture_count(&n), UPRES_OK);
        CHECK(n >= 4);
        for (i = 0; i < n; ++i) {
            CHECK_STATUS(upres_architecture_info(i, &name, &title), UPRES_OK);
            CHECK(name != NULL && title != NULL && name[0] != '\0');
            if (name && strcmp(name, "rrdbnet") == 0) seen_rrdbnet = 1;
        }
        CHECK(seen_rrdbnet);
        CHECK_STATUS(upres_architecture_info(n, &name, &title), UPRES_E_INVALID_ARGUMENT);
        CHECK(strstr(upres_last_error(), "out of range") != NULL);
        CHECK_STATUS(upres_architecture_info(0, NULL, NULL), UPRES_OK);
    }
    CHECK_STATUS(upres_model_describe(NULL, buf, sizeof buf, &len), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_model_describe("/nonexistent/model.safetensors", buf, sizeof buf, &len), UPRES_E_IO);
    CHECK(strstr(upres_last_error(), "/nonexistent/model.safetensors") != NULL);
    CHECK(len == 99);
    f = fopen("capi_junk_model.bin", "wb");
    if (f) {
        fwrite(junk, 1, sizeof junk, f);
        fclose(f);
        CHECK_STATUS(upres_model_describe("capi_junk_model.bin", buf, sizeof buf, &len), UPRES_E_MODEL);
        CHECK_STATUS(upres_model_convert("capi_junk_model.bin", "capi_out.safetensors"), UPRES_E_MODEL);
        CHECK(fopen("capi_out.safetensors", "rb") == NULL); /* nothing written on failure */
        remove("capi_junk_model.bin");
    }
    {
        /* methods: classical ones always describe; a named model is found or says how to get it */
        char line[512];
        int32_t st;
        CHECK_STATUS(upres_method_describe("bicubic", NULL, line, sizeof line, &len), UPRES_OK);
        CHECK(strstr(line, "classical") != NULL && len == strlen(line));
        CHECK_STATUS(upres_method_describe("bicubic", NULL, NULL, 0, &len), UPRES_OK);
        CHECK_STATUS(upres_method_describe("bicubic", NULL, NULL, 4, &len), UPRES_E_INVALID_ARGUMENT);
        CHECK_STATUS(upres_method_describe(NULL, NULL, line, sizeof line, &len), UPRES_E_INVALID_ARGUMENT);
        CHECK_STATUS(upres_method_describe("no-such-method", NULL, line, sizeof line, &len), UPRES_E_NOT_FOUND);
        CHECK(strstr(upres_last_error(), "no-such-method") != NULL);
        st = upres_method_describe("esrgan", NULL, line, sizeof line, &len);
        CHECK(st == UPRES_OK || st == UPRES_E_NOT_FOUND);
        if (st == UPRES_OK) CHECK(strstr(line, "x4") != NULL);
        else CHECK(strstr(upres_last_error(), "fetch-models") != NULL);
    }
    CHECK_STATUS(upres_model_convert(NULL, "x"), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_model_convert("x", NULL), UPRES_E_INVALID_ARGUMENT);
    {
        upres_options* o = NULL;
        upres_resampler* r = (upres_resampler*)0x1;
        CHECK_STATUS(upres_options_create(&o), UPRES_OK);
        /* a model method without a model file: refused (unsupported in builds without libtorch) */
        CHECK(upres_resampler_create("model", o, &r) != UPRES_OK);
        CHECK(r == (upres_resampler*)0x1);
        CHECK_STATUS(upres_options_set_string(o, "model", "capi_junk_model_missing.safetensors"), UPRES_OK);
        CHECK(upres_resampler_create("model", o, &r) != UPRES_OK);
        CHECK(r == (upres_resampler*)0x1);
        upres_options_destroy(o);
    }
}

int main(void) {
    test_version_and_status();
    test_destroy_null();
    test_image_descriptors();
    test_bitmaps_and_limits();
    test_options();
    test_resampling();
    test_files();
    test_metrics();
    test_models();
    printf("%d passed, %d failed\n", g_checks - g_failures, g_failures);
    return g_failures ? 1 : 0;
}
