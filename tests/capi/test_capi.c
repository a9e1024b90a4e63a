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
    n = -1;
    CHECK_STATUS(upres_option_count(NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_option_count(&n), UPRES_OK);
    CHECK(n > 5);
    for (k = 0; k < n; ++k) {
        const char* name = NULL;
        CHECK_STATUS(upres_option_describe(k, &name, &type, NULL, NULL, NULL), UPRES_OK);
        if (name && strcmp(name, "threads") == 0) found = (type == UPRES_OPTION_INT);
    }
    CHECK(found);
    /* the image-file options: "quality" replaced "jpeg_quality" */
    CHECK_STATUS(upres_options_set_int(o, "jpeg_quality", 90), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_get_int(o, "quality", &i), UPRES_OK);
    CHECK(i == 0);
    CHECK_STATUS(upres_options_set_int(o, "quality", 101), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_set_int(o, "quality", 95), UPRES_OK);
    CHECK_STATUS(upres_options_get_int(o, "auto_orient", &i), UPRES_OK);
    CHECK(i == 1);
    CHECK_STATUS(upres_options_get_int(o, "to_srgb", &i), UPRES_OK);
    CHECK(i == 0);
    CHECK_STATUS(upres_options_get_int(o, "strip", &i), UPRES_OK);
    CHECK(i == 0);
    CHECK_STATUS(upres_options_get_string(o, "tiff_compression", buf, sizeof buf, &len), UPRES_OK);
    CHECK(strcmp(buf, "deflate") == 0);
    CHECK_STATUS(upres_options_set_string(o, "tiff_compression", "zip"), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_set_string(o, "chroma_subsampling", "444"), UPRES_OK);
    CHECK_STATUS(upres_options_set_string(o, "chroma_subsampling", "422"), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_options_set_int(o, "lossless", 1), UPRES_OK);
    CHECK_STATUS(upres_options_set_int(o, "progressive", 2), UPRES_E_INVALID_ARGUMENT);
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
    int32_t scale = -1, is_cancelled = 0, methods = -1, seen_bicubic = 0;
    const char* name = NULL;
    const char* untouched_name = "untouched";
    for (k = 0; k < (int)sizeof in_px; ++k) in_px[k] = (uint8_t)(k * 7);

    /* method names: status style, outputs untouched on failure */
    CHECK_STATUS(upres_method_count(NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_method_count(&methods), UPRES_OK);
    CHECK(methods >= 2);
    for (k = 0; k < methods; ++k) {
        name = NULL;
        CHECK_STATUS(upres_method_name(k, &name), UPRES_OK);
        CHECK(name != NULL && name[0] != '\0');
        if (name && strcmp(name, "bicubic") == 0) seen_bicubic = 1;
    }
    CHECK(seen_bicubic);
    name = untouched_name;
    CHECK_STATUS(upres_method_name(-1, &name), UPRES_E_INVALID_ARGUMENT);
    CHECK(strstr(upres_last_error(), "out of range") != NULL);
    CHECK_STATUS(upres_method_name(methods, &name), UPRES_E_INVALID_ARGUMENT);
    CHECK(name == untouched_name);
    CHECK_STATUS(upres_method_name(0, NULL), UPRES_E_INVALID_ARGUMENT);
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

static void test_metadata(void) {
    static const unsigned char icc[] = {0, 1, 2, 3, 'a', 'c', 's', 'p', 0, 255};
    static const char xmp[] = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>";
    upres_bitmap *a = NULL, *b = NULL, *resampled = NULL;
    upres_resampler* r = NULL;
    upres_image view;
    const void* data = (const void*)0x1;
    const void* untouched = (const void*)0x1;
    size_t size = 99;
    int32_t kind, orientation = -1;
    CHECK_STATUS(upres_bitmap_create(4, 3, 3, UPRES_SAMPLE_U8, &a), UPRES_OK);
    CHECK_STATUS(upres_bitmap_create(2, 2, 1, UPRES_SAMPLE_U16, &b), UPRES_OK);
    /* a new bitmap has no metadata: NULL with size 0 for every kind, orientation 1 */
    for (kind = UPRES_METADATA_ICC; kind <= UPRES_METADATA_IPTC; ++kind) {
        data = untouched;
        size = 99;
        CHECK_STATUS(upres_bitmap_metadata(a, kind, &data, &size), UPRES_OK);
        CHECK(data == NULL && size == 0);
    }
    CHECK_STATUS(upres_bitmap_orientation(a, &orientation), UPRES_OK);
    CHECK(orientation == 1);

    /* set / get: the bytes are copied in (NULs included) */
    CHECK_STATUS(upres_bitmap_set_metadata(a, UPRES_METADATA_ICC, icc, sizeof icc), UPRES_OK);
    CHECK_STATUS(upres_bitmap_set_metadata(a, UPRES_METADATA_XMP, xmp, strlen(xmp)), UPRES_OK);
    CHECK_STATUS(upres_bitmap_metadata(a, UPRES_METADATA_ICC, &data, &size), UPRES_OK);
    CHECK(size == sizeof icc && data != NULL && data != (const void*)icc);
    CHECK(data && memcmp(data, icc, sizeof icc) == 0);
    CHECK_STATUS(upres_bitmap_metadata(a, UPRES_METADATA_XMP, &data, &size), UPRES_OK);
    CHECK(size == strlen(xmp) && data && memcmp(data, xmp, size) == 0);
    CHECK_STATUS(upres_bitmap_metadata(a, UPRES_METADATA_EXIF, &data, &size), UPRES_OK);
    CHECK(data == NULL && size == 0);
    /* replacing a block */
    CHECK_STATUS(upres_bitmap_set_metadata(a, UPRES_METADATA_XMP, "<x/>", 4), UPRES_OK);
    CHECK_STATUS(upres_bitmap_metadata(a, UPRES_METADATA_XMP, &data, &size), UPRES_OK);
    CHECK(size == 4 && data && memcmp(data, "<x/>", 4) == 0);

    /* orientation: 1..8 only; refused values leave it as it was */
    CHECK_STATUS(upres_bitmap_set_orientation(a, 6), UPRES_OK);
    CHECK_STATUS(upres_bitmap_set_orientation(a, 0), UPRES_E_INVALID_ARGUMENT);
    CHECK(strstr(upres_last_error(), "orientation") != NULL);
    CHECK_STATUS(upres_bitmap_set_orientation(a, 9), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_set_orientation(a, -1), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_orientation(a, &orientation), UPRES_OK);
    CHECK(orientation == 6);
    CHECK_STATUS(upres_bitmap_set_orientation(NULL, 1), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_orientation(a, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_orientation(NULL, &orientation), UPRES_E_INVALID_ARGUMENT);

    /* copy: every block and the orientation, into a bitmap of another shape */
    CHECK_STATUS(upres_bitmap_copy_metadata(b, a), UPRES_OK);
    CHECK_STATUS(upres_bitmap_metadata(b, UPRES_METADATA_ICC, &data, &size), UPRES_OK);
    CHECK(size == sizeof icc && data && memcmp(data, icc, sizeof icc) == 0);
    CHECK_STATUS(upres_bitmap_metadata(b, UPRES_METADATA_XMP, &data, &size), UPRES_OK);
    CHECK(size == 4);
    CHECK_STATUS(upres_bitmap_orientation(b, &orientation), UPRES_OK);
    CHECK(orientation == 6);
    CHECK_STATUS(upres_bitmap_copy_metadata(NULL, a), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_copy_metadata(b, NULL), UPRES_E_INVALID_ARGUMENT);

    /* size 0 removes (data may be NULL then); the copy is independent of its source */
    CHECK_STATUS(upres_bitmap_set_metadata(b, UPRES_METADATA_ICC, NULL, 0), UPRES_OK);
    CHECK_STATUS(upres_bitmap_metadata(b, UPRES_METADATA_ICC, &data, &size), UPRES_OK);
    CHECK(data == NULL && size == 0);
    CHECK_STATUS(upres_bitmap_set_metadata(b, UPRES_METADATA_XMP, "ignored", 0), UPRES_OK);
    CHECK_STATUS(upres_bitmap_metadata(b, UPRES_METADATA_XMP, &data, &size), UPRES_OK);
    CHECK(data == NULL && size == 0);
    CHECK_STATUS(upres_bitmap_metadata(a, UPRES_METADATA_ICC, &data, &size), UPRES_OK);
    CHECK(size == sizeof icc);

    /* bad kinds and NULL pointers: refused, outputs untouched */
    data = untouched;
    size = 99;
    CHECK_STATUS(upres_bitmap_metadata(a, 0, &data, &size), UPRES_E_INVALID_ARGUMENT);
    CHECK(strstr(upres_last_error(), "kind") != NULL);
    CHECK_STATUS(upres_bitmap_metadata(a, 5, &data, &size), UPRES_E_INVALID_ARGUMENT);
    CHECK(data == untouched && size == 99);
    CHECK_STATUS(upres_bitmap_set_metadata(a, 0, icc, sizeof icc), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_set_metadata(a, 5, icc, sizeof icc), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_set_metadata(a, -1, NULL, 0), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_set_metadata(a, UPRES_METADATA_EXIF, NULL, 4), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_set_metadata(NULL, UPRES_METADATA_EXIF, icc, sizeof icc), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_metadata(NULL, UPRES_METADATA_ICC, &data, &size), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_metadata(a, UPRES_METADATA_ICC, NULL, &size), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_bitmap_metadata(a, UPRES_METADATA_ICC, &data, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(data == untouched && size == 99);

    /* a resampled bitmap starts without metadata; upres_bitmap_copy_metadata gives it its source's */
    CHECK_STATUS(upres_bitmap_view(a, &view), UPRES_OK);
    CHECK_STATUS(upres_resampler_create("bilinear", NULL, &r), UPRES_OK);
    CHECK_STATUS(upres_resample_new(r, &view, 8, 6, NULL, NULL, NULL, &resampled), UPRES_OK);
    CHECK_STATUS(upres_bitmap_metadata(resampled, UPRES_METADATA_ICC, &data, &size), UPRES_OK);
    CHECK(data == NULL && size == 0);
    CHECK_STATUS(upres_bitmap_orientation(resampled, &orientation), UPRES_OK);
    CHECK(orientation == 1);
    CHECK_STATUS(upres_bitmap_copy_metadata(resampled, a), UPRES_OK);
    CHECK_STATUS(upres_bitmap_metadata(resampled, UPRES_METADATA_ICC, &data, &size), UPRES_OK);
    CHECK(size == sizeof icc);
    CHECK_STATUS(upres_bitmap_orientation(resampled, &orientation), UPRES_OK);
    CHECK(orientation == 6);

    upres_bitmap_destroy(resampled);
    upres_resampler_destroy(r);
    upres_bitmap_destroy(b);
    upres_bitmap_destroy(a);
}

/* Whether this build writes the format called name (upres_file_format_info). */
static int can_write(const char* name) {
    int32_t n = 0, i, flags = 0;
    const char* format = NULL;
    if (upres_file_format_count(&n) != UPRES_OK) return 0;
    for (i = 0; i < n; ++i)
        if (upres_file_format_info(i, &format, NULL, &flags, NULL) == UPRES_OK && strcmp(format, name) == 0)
            return (flags & UPRES_FORMAT_WRITE) != 0;
    return 0;
}

static void test_file_formats(void) {
    int32_t n = -1, i, flags = -1, seen_png = 0, seen_jpeg = 0;
    const char *name = NULL, *extensions = NULL, *codec = NULL;
    const char* untouched = "untouched";
    CHECK_STATUS(upres_file_format_count(NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_format_count(&n), UPRES_OK);
    CHECK(n >= 7); /* at least stb's: PNG, JPEG, BMP, TGA, GIF, PSD, HDR */
    for (i = 0; i < n; ++i) {
        CHECK_STATUS(upres_file_format_info(i, &name, &extensions, &flags, &codec), UPRES_OK);
        CHECK(name && extensions && codec && name[0] != '\0' && extensions[0] != '\0');
        CHECK((flags & ~(UPRES_FORMAT_READ | UPRES_FORMAT_WRITE)) == 0);
        if (flags) CHECK(codec && (strcmp(codec, "libvips") == 0 || strcmp(codec, "stb") == 0));
        if (name && strcmp(name, "png") == 0) {
            seen_png = 1;
            CHECK(flags == (UPRES_FORMAT_READ | UPRES_FORMAT_WRITE));
            CHECK(strstr(extensions, "png") != NULL);
        }
        if (name && strcmp(name, "jpeg") == 0) {
            seen_jpeg = 1;
            CHECK(flags == (UPRES_FORMAT_READ | UPRES_FORMAT_WRITE));
            CHECK(strstr(extensions, "jpg") != NULL && strstr(extensions, "jpeg") != NULL);
        }
    }
    CHECK(seen_png && seen_jpeg);
    CHECK_STATUS(upres_file_format_info(0, NULL, NULL, NULL, NULL), UPRES_OK); /* any out pointer may be NULL */
    name = untouched;
    CHECK_STATUS(upres_file_format_info(n, &name, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(strstr(upres_last_error(), "out of range") != NULL);
    CHECK_STATUS(upres_file_format_info(-1, &name, NULL, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(name == untouched);
}

static void test_check_output(void) {
    CHECK_STATUS(upres_file_check_output("out.png", 20000, 10, 4, NULL), UPRES_OK);
    CHECK_STATUS(upres_file_check_output("out.PNG", 64, 64, 2, NULL), UPRES_OK); /* extensions in any case */
    CHECK_STATUS(upres_file_check_output("out.jpg", 640, 480, 3, NULL), UPRES_OK);
    if (can_write("webp")) {
        CHECK_STATUS(upres_file_check_output("out.webp", 20000, 10, 3, NULL), UPRES_E_LIMIT);
        CHECK(strstr(upres_last_error(), "16383") != NULL);
        CHECK_STATUS(upres_file_check_output("out.webp", 16383, 10, 4, NULL), UPRES_OK);
    } else {
        /* a build without libvips does not write WebP at all */
        CHECK_STATUS(upres_file_check_output("out.webp", 20000, 10, 3, NULL), UPRES_E_UNSUPPORTED);
    }
    CHECK_STATUS(upres_file_check_output("out.jpg", 70000, 10, 3, NULL), UPRES_E_LIMIT);
    CHECK(strstr(upres_last_error(), "65535") != NULL);
    CHECK_STATUS(upres_file_check_output("out.jpg", 10, 10, 4, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(strstr(upres_last_error(), "alpha") != NULL);
    CHECK_STATUS(upres_file_check_output("out.jpeg", 10, 10, 2, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_check_output("out.xyz", 10, 10, 3, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(strstr(upres_last_error(), ".xyz") != NULL);
    CHECK_STATUS(upres_file_check_output("no_extension", 10, 10, 3, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_check_output("out.png", 0, 10, 3, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_check_output("out.png", 10, 10, 5, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_check_output(NULL, 10, 10, 3, NULL), UPRES_E_INVALID_ARGUMENT);
}

static int readable(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) return 0;
    fclose(f);
    return 1;
}

/* assets/sample.png: $UPRES_SAMPLE_IMAGE; else beside this source file when it was compiled by an
 * absolute path; else in a folder above the working directory (CTest runs this test in its build
 * folder, inside the checkout); else NULL. */
static const char* sample_path(char* buffer, size_t capacity) {
    const char* env = getenv("UPRES_SAMPLE_IMAGE");
    const char* file = __FILE__;
    const char* tail = strstr(file, "tests/capi/test_capi.c");
    int depth;
    if (env && env[0]) return env;
    if (file[0] == '/' && tail && (size_t)(tail - file) + sizeof "assets/sample.png" <= capacity) {
        memcpy(buffer, file, (size_t)(tail - file));
        strcpy(buffer + (tail - file), "assets/sample.png");
        if (readable(buffer)) return buffer;
    }
    for (depth = 0; depth <= 6 && (size_t)depth * 3 + sizeof "assets/sample.png" <= capacity; ++depth) {
        int k;
        buffer[0] = '\0';
        for (k = 0; k < depth; ++k) strcat(buffer, "../");
        strcat(buffer, "assets/sample.png");
        if (readable(buffer)) return buffer;
    }
    return NULL;
}

/* Pixel rows of two views are equal (same shape assumed checked). */
static int same_pixels(const upres_image* a, const upres_image* b) {
    uint64_t row = 0;
    int32_t y;
    if (a->width != b->width || a->height != b->height || a->channels != b->channels ||
        a->sample_type != b->sample_type)
        return 0;
    if (upres_image_required_bytes(a->width, 1, a->channels, a->sample_type, &row) != UPRES_OK) return 0;
    for (y = 0; y < a->height; ++y)
        if (memcmp((const char*)a->data + (size_t)y * (size_t)a->stride_bytes,
                   (const char*)b->data + (size_t)y * (size_t)b->stride_bytes, (size_t)row) != 0)
            return 0;
    return 1;
}

/* A bitmap loaded back (when the load gave one) has the pixels of `expected`; it is destroyed. */
static void check_loaded_back(upres_bitmap** back, const upres_image* expected) {
    upres_image view;
    if (!*back) return;
    CHECK_STATUS(upres_bitmap_view(*back, &view), UPRES_OK);
    CHECK(same_pixels(expected, &view));
    upres_bitmap_destroy(*back);
    *back = NULL;
}

static void test_files(void) {
    upres_bitmap* b = (upres_bitmap*)0x1;
    upres_bitmap *fresh = NULL, *back = NULL, *sample = NULL;
    upres_options* o = NULL;
    upres_image info, view;
    const void* data = NULL;
    size_t size = 99;
    char path[4096];
    const char* sample_file;
    uint16_t px[5 * 3 * 2];
    int k;
    FILE* f;
    static const char not_png[] = "this is not an image";
    CHECK_STATUS(upres_file_load(NULL, NULL, &b), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_load("/nonexistent/dir/x.png", NULL, &b), UPRES_E_IO);
    CHECK(strstr(upres_last_error(), "/nonexistent/dir/x.png") != NULL);
    CHECK_STATUS(upres_file_load("/nonexistent/dir/x.png", NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(b == (upres_bitmap*)0x1);
    CHECK_STATUS(upres_file_load_memory(not_png, sizeof not_png, NULL, &b), UPRES_E_FORMAT);
    CHECK_STATUS(upres_file_load_memory(not_png, 0, NULL, &b), UPRES_E_FORMAT);
    CHECK_STATUS(upres_file_load_memory(NULL, 10, NULL, &b), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_load_memory(not_png, sizeof not_png, NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_probe("/nonexistent.png", NULL, &info), UPRES_E_IO);
    CHECK_STATUS(upres_file_probe(NULL, NULL, &info), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_probe("/nonexistent.png", NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_save("/tmp/x.png", NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_save_image("/tmp/x.png", NULL, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(b == (upres_bitmap*)0x1);

    /* a 16-bit gray+alpha bitmap through upres_file_save (with its, empty, metadata) and back */
    for (k = 0; k < 5 * 3 * 2; ++k) px[k] = (uint16_t)(k * 2113u);
    CHECK_STATUS(upres_bitmap_create(5, 3, 2, UPRES_SAMPLE_U16, &fresh), UPRES_OK);
    CHECK_STATUS(upres_bitmap_metadata(fresh, UPRES_METADATA_ICC, &data, &size), UPRES_OK);
    CHECK(size == 0 && data == NULL);
    CHECK_STATUS(upres_bitmap_view(fresh, &view), UPRES_OK);
    memcpy(view.data, px, sizeof px);
    CHECK_STATUS(upres_file_save(NULL, fresh, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK_STATUS(upres_file_save("capi_round_trip.png", fresh, NULL), UPRES_OK);
    CHECK_STATUS(upres_file_probe("capi_round_trip.png", NULL, &info), UPRES_OK);
    CHECK(info.width == 5 && info.height == 3 && info.channels == 2 && info.sample_type == UPRES_SAMPLE_U16);
    CHECK(info.data == NULL);
    CHECK_STATUS(upres_file_load("capi_round_trip.png", NULL, &back), UPRES_OK);
    check_loaded_back(&back, &view);
    /* the same pixels alone, through upres_file_save_image */
    CHECK_STATUS(upres_file_save_image("capi_round_trip.png", &view, NULL), UPRES_OK);
    CHECK_STATUS(upres_file_load("capi_round_trip.png", NULL, &back), UPRES_OK);
    check_loaded_back(&back, &view);
    remove("capi_round_trip.png");
    /* refused saves leave no file */
    CHECK_STATUS(upres_file_save("capi_nothing.xyz", fresh, NULL), UPRES_E_INVALID_ARGUMENT);
    CHECK(fopen("capi_nothing.xyz", "rb") == NULL);
    CHECK_STATUS(upres_file_save("capi_nothing.jpg", fresh, NULL), UPRES_E_INVALID_ARGUMENT); /* alpha */
    CHECK(fopen("capi_nothing.jpg", "rb") == NULL);

    /* assets/sample.png: load (orientation 1 after auto_orient), save with upres_file_save, load back */
    sample_file = sample_path(path, sizeof path);
    if (!sample_file) {
        printf("test_files: assets/sample.png not found (set UPRES_SAMPLE_IMAGE): its round trip skipped\n");
    } else {
        int32_t orientation = 0;
        CHECK_STATUS(upres_options_create(&o), UPRES_OK);
        CHECK_STATUS(upres_options_set_int(o, "auto_orient", 0), UPRES_OK);
        CHECK_STATUS(upres_file_probe(sample_file, o, &info), UPRES_OK);
        CHECK(info.width == 200 && info.height == 200 && info.channels == 3 && info.sample_type == UPRES_SAMPLE_U8);
        CHECK_STATUS(upres_options_set_int(o, "max_pixels", 1000), UPRES_OK);
        CHECK_STATUS(upres_file_load(sample_file, o, &b), UPRES_E_LIMIT);
        CHECK(b == (upres_bitmap*)0x1);
        CHECK_STATUS(upres_file_load(sample_file, NULL, &sample), UPRES_OK);
        if (sample) {
            CHECK_STATUS(upres_bitmap_orientation(sample, &orientation), UPRES_OK);
            CHECK(orientation == 1);
            CHECK_STATUS(upres_bitmap_view(sample, &view), UPRES_OK);
            CHECK_STATUS(upres_file_save("capi_sample.png", sample, NULL), UPRES_OK);
            CHECK_STATUS(upres_file_load("capi_sample.png", NULL, &back), UPRES_OK);
            check_loaded_back(&back, &view);
            /* from memory: the same file gives the same pixels */
            f = fopen("capi_sample.png", "rb");
            if (f) {
                static unsigned char bytes[1 << 20];
                size_t n = fread(bytes, 1, sizeof bytes, f);
                fclose(f);
                CHECK_STATUS(upres_file_load_memory(bytes, n, NULL, &back), UPRES_OK);
                check_loaded_back(&back, &view);
            }
            remove("capi_sample.png");
            /* saving options reach the encoder: quality, chroma subsampling */
            upres_options_destroy(o);
            o = NULL;
            CHECK_STATUS(upres_options_create(&o), UPRES_OK);
            CHECK_STATUS(upres_options_set_int(o, "quality", 80), UPRES_OK);
            CHECK_STATUS(upres_options_set_string(o, "chroma_subsampling", "444"), UPRES_OK);
            CHECK_STATUS(upres_file_save("capi_sample.jpg", sample, o), UPRES_OK);
            CHECK_STATUS(upres_file_probe("capi_sample.jpg", NULL, &info), UPRES_OK);
            CHECK(info.width == 200 && info.height == 200 && info.channels == 3);
            remove("capi_sample.jpg");
            upres_bitmap_destroy(sample);
        }
        upres_options_destroy(o);
    }
    upres_bitmap_destroy(fresh);
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
    test_metadata();
    test_file_formats();
    test_check_output();
    test_files();
    test_metrics();
    test_models();
    printf("%d passed, %d failed\n", g_checks - g_failures, g_failures);
    return g_failures ? 1 : 0;
}
