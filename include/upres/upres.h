/*
 * upres — image upscaling library: the C ABI.
 *
 * This header is the one binary contract of upres. It compiles as C99 and as C++.
 * Stability rules (see docs/c-abi.md):
 *   - functions are only ever added, never changed or removed, within a major version;
 *   - status code values, sample type values and flag bits are fixed forever;
 *   - the only public struct, upres_image, starts with struct_size so it can grow at its end;
 *     everything else is an opaque handle configured through typed setters.
 *
 * Conventions:
 *   - every function that can fail returns an int32_t status (UPRES_OK == 0); the message of the
 *     last failure on the calling thread is upres_last_error();
 *   - on failure, output parameters are left untouched;
 *   - every *_destroy(NULL) is a no-op;
 *   - anything upres allocates is freed by an upres_ function; the caller owns the pixels it passes.
 */
#ifndef UPRES_H
#define UPRES_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(UPRES_BUILDING_LIBRARY)
#    define UPRES_API __declspec(dllexport)
#  elif defined(UPRES_STATIC)
#    define UPRES_API
#  else
#    define UPRES_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define UPRES_API __attribute__((visibility("default")))
#else
#  define UPRES_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- version */

#define UPRES_VERSION_MAJOR 0
#define UPRES_VERSION_MINOR 1
#define UPRES_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, as returned by upres_version(). */
#define UPRES_VERSION_NUMBER \
    (UPRES_VERSION_MAJOR * 10000 + UPRES_VERSION_MINOR * 100 + UPRES_VERSION_PATCH)

/* The version of the library actually linked (compare with UPRES_VERSION_NUMBER). */
UPRES_API uint32_t upres_version(void);
/* "MAJOR.MINOR.PATCH", static storage. */
UPRES_API const char* upres_version_string(void);

/* ----------------------------------------------------------------- status */

#define UPRES_OK                   0
#define UPRES_E_INVALID_ARGUMENT   1  /* NULL pointer, bad size, bad stride, unknown name, ... */
#define UPRES_E_UNSUPPORTED        2  /* valid request this build or resampler cannot do */
#define UPRES_E_IO                 3  /* a file could not be opened, read or written */
#define UPRES_E_FORMAT             4  /* an image file is malformed or of an unknown format */
#define UPRES_E_MODEL              5  /* a model file is malformed, unsafe or of an unknown architecture */
#define UPRES_E_OUT_OF_MEMORY      6
#define UPRES_E_CANCELLED          7  /* the run was cancelled through a token or the progress callback */
#define UPRES_E_LIMIT              8  /* a size exceeds a configured or built-in limit */
#define UPRES_E_NOT_FOUND          9  /* a named model or option does not exist */
#define UPRES_E_INTERNAL          99  /* a bug in upres: please report it with upres_last_error() */

/* The message of the last failure on the calling thread ("" if none). The pointer stays valid
 * until the next upres_ call on this thread. A successful call does not clear it. */
UPRES_API const char* upres_last_error(void);
/* A constant name for a status code ("UPRES_E_FORMAT"), "UPRES_E_UNKNOWN" for others. */
UPRES_API const char* upres_status_name(int32_t status);

/* ------------------------------------------------------------------ image */

/* Sample types (values fixed forever). */
#define UPRES_SAMPLE_U8   1
#define UPRES_SAMPLE_U16  2
#define UPRES_SAMPLE_F32  3   /* nominal range [0, 1] */

/* Image flags (bits fixed forever). */
#define UPRES_IMAGE_PREMULTIPLIED  0x1u  /* colour channels are already multiplied by alpha */
#define UPRES_IMAGE_SRGB           0x2u  /* samples are sRGB-encoded (enables linear-light resampling) */

/* A view of pixels the caller owns: rows of width * channels interleaved samples, row r at
 * (uint8_t*)data + r * stride_bytes. Channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
 * Set struct_size = sizeof(upres_image) (upres_image_init does it). */
typedef struct upres_image {
    uint32_t struct_size;
    int32_t  width;
    int32_t  height;
    int32_t  channels;
    int32_t  sample_type;   /* UPRES_SAMPLE_* */
    uint32_t flags;         /* UPRES_IMAGE_* */
    int64_t  stride_bytes;  /* >= width * channels * sample size */
    void*    data;
} upres_image;

/* Fills *image with a tightly packed descriptor (stride = width * channels * sample size). */
UPRES_API int32_t upres_image_init(upres_image* image, int32_t width, int32_t height,
                                   int32_t channels, int32_t sample_type, void* data);
/* Bytes needed for a tightly packed image of that shape (checked for overflow). */
UPRES_API int32_t upres_image_required_bytes(int32_t width, int32_t height, int32_t channels,
                                             int32_t sample_type, uint64_t* out_bytes);

/* An image whose pixels upres owns (decoded files, results of upres_resample_new). */
typedef struct upres_bitmap upres_bitmap;

/* Allocates a zeroed, tightly packed image; refused with UPRES_E_LIMIT above the max-pixels
 * limit (see upres_set_max_pixels) before any allocation. */
UPRES_API int32_t upres_bitmap_create(int32_t width, int32_t height, int32_t channels,
                                      int32_t sample_type, upres_bitmap** out);
/* A view of the bitmap's pixels (valid until the bitmap is destroyed). */
UPRES_API int32_t upres_bitmap_view(const upres_bitmap* bitmap, upres_image* out_view);
UPRES_API void    upres_bitmap_destroy(upres_bitmap* bitmap);

/* What a bitmap read from a file carries to the file it is saved as (upres_file_save): blocks of
 * bytes, each empty when absent. A new bitmap (upres_bitmap_create, upres_resample_new) has none;
 * upres_bitmap_copy_metadata gives a result its source's. */
#define UPRES_METADATA_ICC   1  /* ICC colour profile the pixels are encoded in */
#define UPRES_METADATA_EXIF  2  /* EXIF, from its TIFF header on (no "Exif\0\0" prefix) */
#define UPRES_METADATA_XMP   3  /* XMP packet */
#define UPRES_METADATA_IPTC  4  /* IPTC-IIM records */

/* *out_data points into the bitmap (valid until it changes or is destroyed), NULL with
 * *out_size 0 when the bitmap has no such block. */
UPRES_API int32_t upres_bitmap_metadata(const upres_bitmap* bitmap, int32_t kind, const void** out_data,
                                        size_t* out_size);
/* Copies size bytes in (at most 64 MiB); size 0 removes the block. */
UPRES_API int32_t upres_bitmap_set_metadata(upres_bitmap* bitmap, int32_t kind, const void* data, size_t size);
/* The EXIF orientation (1..8) the bitmap's pixels still need to be shown upright: 1 when the file
 * was loaded with "auto_orient" (the default), the file's value when loaded with auto_orient = 0.
 * upres_file_save writes it into the output's EXIF. */
UPRES_API int32_t upres_bitmap_orientation(const upres_bitmap* bitmap, int32_t* out_orientation);
UPRES_API int32_t upres_bitmap_set_orientation(upres_bitmap* bitmap, int32_t orientation);
/* Every block and the orientation of src into dst (a resampled copy keeps the original's). */
UPRES_API int32_t upres_bitmap_copy_metadata(upres_bitmap* dst, const upres_bitmap* src);

/* Process-wide default limit on width * height for every image upres allocates or accepts
 * (default 2^28 = 268 435 456 pixels). The option "max_pixels" overrides it per call. */
UPRES_API int32_t upres_set_max_pixels(uint64_t max_pixels);
UPRES_API uint64_t upres_get_max_pixels(void);

/* ---------------------------------------------------------------- options */

/* A bag of named, typed options (see docs/c-abi.md for the list). Unknown names and values of
 * the wrong type or out of bounds are refused with UPRES_E_INVALID_ARGUMENT.
 * Not thread-safe: build it on one thread; upres copies what it needs when it takes it. */
typedef struct upres_options upres_options;

#define UPRES_OPTION_INT     1
#define UPRES_OPTION_DOUBLE  2
#define UPRES_OPTION_STRING  3

UPRES_API int32_t upres_options_create(upres_options** out);
UPRES_API int32_t upres_options_clone(const upres_options* options, upres_options** out);
UPRES_API void    upres_options_destroy(upres_options* options);
UPRES_API int32_t upres_options_set_int(upres_options* options, const char* name, int64_t value);
UPRES_API int32_t upres_options_set_double(upres_options* options, const char* name, double value);
UPRES_API int32_t upres_options_set_string(upres_options* options, const char* name, const char* value);
/* Getters return the value set, or the option's default when it was not set. */
UPRES_API int32_t upres_options_get_int(const upres_options* options, const char* name, int64_t* out);
UPRES_API int32_t upres_options_get_double(const upres_options* options, const char* name, double* out);
/* Copies the value with a terminating NUL into buffer (truncated to capacity);
 * *out_length (may be NULL) receives the full length without the NUL. */
UPRES_API int32_t upres_options_get_string(const upres_options* options, const char* name,
                                           char* buffer, size_t capacity, size_t* out_length);

/* Describes option number index (0 .. count-1): its name, type (UPRES_OPTION_*), and bounds
 * (numeric options; both 0 for strings). Any out pointer may be NULL. */
UPRES_API int32_t upres_option_count(int32_t* out_count);
UPRES_API int32_t upres_option_describe(int32_t index, const char** out_name, int32_t* out_type,
                                        double* out_min, double* out_max, const char** out_help);

/* ------------------------------------------------------------- resamplers */

/* A configured resampler: a classical filter ("bicubic", "lanczos3", ...) or a neural model
 * ("srcnn", "esrgan", or "model" with the option "model" naming a file).
 * Immutable once created: one resampler may run on many threads at the same time. */
typedef struct upres_resampler upres_resampler;

/* Cancels runs from any thread. A token may be shared by several runs. */
typedef struct upres_cancel_token upres_cancel_token;

/* Progress: called from the thread that called upres_resample with done/total work units
 * (rows, tiles). Return 0 to go on, anything else to cancel the run. */
typedef int32_t (*upres_progress_fn)(uint64_t done, uint64_t total, void* user_data);

/* Method names known to this build (index 0 .. count-1): *out_name is a static string. */
UPRES_API int32_t upres_method_count(int32_t* out_count);
UPRES_API int32_t upres_method_name(int32_t index, const char** out_name);

/* options may be NULL (defaults). The options are copied; the caller keeps ownership. */
UPRES_API int32_t upres_resampler_create(const char* method, const upres_options* options,
                                         upres_resampler** out);
UPRES_API void    upres_resampler_destroy(upres_resampler* resampler);
/* The resampler's native integer scale (e.g. 4 for an x4 model), 0 when any size is native. */
UPRES_API int32_t upres_resampler_scale(const upres_resampler* resampler, int32_t* out_scale);

/* Resamples src into dst (dst's width/height/channels/sample_type/stride describe the output).
 * src and dst must have the same channels; sample types may differ. progress, user_data and
 * cancel may be NULL. On failure (including cancellation) dst's contents are unspecified but
 * nothing outside dst is written. */
UPRES_API int32_t upres_resample(const upres_resampler* resampler, const upres_image* src,
                                 const upres_image* dst, upres_progress_fn progress,
                                 void* user_data, upres_cancel_token* cancel);
/* Like upres_resample into a new bitmap of width x height with src's channels and sample type.
 * *out is set only on success. */
UPRES_API int32_t upres_resample_new(const upres_resampler* resampler, const upres_image* src,
                                     int32_t width, int32_t height, upres_progress_fn progress,
                                     void* user_data, upres_cancel_token* cancel,
                                     upres_bitmap** out);

UPRES_API int32_t upres_cancel_token_create(upres_cancel_token** out);
UPRES_API void    upres_cancel_token_destroy(upres_cancel_token* token);
/* Thread-safe; runs sharing the token stop at their next check and return UPRES_E_CANCELLED. */
UPRES_API int32_t upres_cancel_token_cancel(upres_cancel_token* token);
UPRES_API int32_t upres_cancel_token_reset(upres_cancel_token* token);
UPRES_API int32_t upres_cancel_token_is_cancelled(const upres_cancel_token* token, int32_t* out);

/* ----------------------------------------------------------------- models */
/* Model files are untrusted input: they are parsed by readers that never execute anything, and
 * every malformed file gives UPRES_E_MODEL with a message naming the file and the problem. */

/* A one-line description of a model file: format, architecture, scale, channels, parameters.
 * Works in builds without libtorch. Copies with a NUL into buffer (truncated to capacity);
 * *out_length (may be NULL) receives the full length. */
UPRES_API int32_t upres_model_describe(const char* path, char* buffer, size_t capacity, size_t* out_length);
/* A one-line description of a method (see upres_method_name): classical filters say what they
 * are; named models ("esrgan", ...) give scale, architecture, parameter count, file size and the
 * file found on the model search path (option "model_path", $UPRES_MODEL_PATH, the build's and the
 * installed models folders). A named model whose file is missing gives UPRES_E_NOT_FOUND with a
 * message saying where upres looked and how to get it. options may be NULL. Buffer as above. */
UPRES_API int32_t upres_method_describe(const char* method, const upres_options* options, char* buffer,
                                        size_t capacity, size_t* out_length);
/* The architecture families this build detects in model files, in detection precedence (the first
 * whose keys fit wins). *out_name: the name `upres convert` writes as metadata "arch" ("rrdbnet");
 * *out_title: for people ("RRDBNet (ESRGAN, Real-ESRGAN)"). Static strings; either pointer may be
 * NULL. Works in builds without libtorch (detection needs none). */
UPRES_API int32_t upres_architecture_count(int32_t* out_count);
UPRES_API int32_t upres_architecture_info(int32_t index, const char** out_name, const char** out_title);
/* How many CUDA devices models can run on (option "device": "cuda:0" .. "cuda:N-1"): 0 in builds
 * without libtorch, with a libtorch without CUDA, or when no device is visible. */
UPRES_API int32_t upres_cuda_device_count(int32_t* out_count);
/* Reads a model in any supported format, checks its architecture, and writes it as .safetensors
 * (weights in their stored precision, architecture facts as metadata). */
UPRES_API int32_t upres_model_convert(const char* src_path, const char* dst_path);

/* ---------------------------------------------------------------- quality */
/* Metrics as the super-resolution literature computes them, after cropping `border` pixels from
 * each side. Both images need the same width, height and channels; sample types may differ (all
 * are compared on the 0..255 scale). */

#define UPRES_METRIC_LUMA  1  /* BT.601 Y = 16 + (65.481 R + 128.553 G + 24.966 B), gray as R=G=B */
#define UPRES_METRIC_ALL   2  /* every channel */

/* Peak signal-to-noise ratio in dB (peak 255); +infinity for identical images. */
UPRES_API int32_t upres_psnr(const upres_image* a, const upres_image* b, int32_t border,
                             int32_t channels_mode, double* out_db);
/* Structural similarity: 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, mean over the
 * window positions inside the cropped image. */
UPRES_API int32_t upres_ssim(const upres_image* a, const upres_image* b, int32_t border,
                             int32_t channels_mode, double* out_ssim);

/* Degrades src into a new bitmap (same channels and sample type) by a pipeline of steps run in
 * order, separated by ';', each parameter a fixed value or a range "lo-hi" drawn per call:
 *   down:SCALE[,METHOD]   downscale (default method "matlab", the SR literature's protocol)
 *   blur:SIGMA            Gaussian blur        aniso:SIGMA_X,SIGMA_Y,DEGREES  anisotropic blur
 *   noise:SIGMA           Gaussian noise (0..255 scale; graynoise: same on every channel)
 *   poisson:SCALE         Poisson noise        jpeg:QUALITY   JPEG re-compression
 * e.g. "blur:0.2-3; down:4; noise:1-25; jpeg:30-95". The same seed gives the same result. */
UPRES_API int32_t upres_degrade(const upres_image* src, const char* pipeline, uint64_t seed,
                                upres_bitmap** out);

/* ------------------------------------------------------------ image files */
/* A layer beside the core (which never touches files), under its own prefix. Codecs come from
 * libvips where the build has it (libjpeg-turbo, libspng, libwebp, libtiff, libheif, libjxl, lcms2;
 * only those loaders are enabled), stb_image otherwise; upres_file_format_info says which.
 * Files are untrusted input: the header's size is checked against "max_pixels" before any pixel
 * is decoded, a truncated or malformed file is UPRES_E_FORMAT naming it (never a partial image).
 *
 * Loading options (options may be NULL):
 *   "max_pixels"   largest width * height decoded (0 = the process default)
 *   "auto_orient"  1 (default): EXIF orientation applied, all 8 values; 0: pixels as stored
 *   "to_srgb"      0 (default): pixels kept in the file's colour space, its ICC profile carried
 *                  along; 1: converted to sRGB through lcms2 (the profile becomes sRGB's).
 *                  CMYK files are always converted to RGB through their profile.
 * Samples: 8-bit formats give u8, 16-bit PNG / TIFF / JPEG XL give u16, float TIFF / JPEG XL and
 * HDR give f32; channels as stored (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA). */
UPRES_API int32_t upres_file_load(const char* path, const upres_options* options, upres_bitmap** out);
UPRES_API int32_t upres_file_load_memory(const void* data, size_t size, const upres_options* options,
                                         upres_bitmap** out);
/* Reads only the header: width, height (after orientation unless "auto_orient" is 0), channels and
 * sample type; data is set to NULL. options may be NULL. */
UPRES_API int32_t upres_file_probe(const char* path, const upres_options* options, upres_image* out_info);

/* Whether the format `path` names (by its extension) can hold an image of this size and these
 * channels: UPRES_E_LIMIT with the format's limit in the message when it cannot (WebP over 16383
 * pixels a side, JPEG over 65535, ...), UPRES_E_INVALID_ARGUMENT for alpha into JPEG or an unknown
 * extension. Call it before a long upscale; upres_file_save checks the same. */
UPRES_API int32_t upres_file_check_output(const char* path, int32_t width, int32_t height, int32_t channels,
                                          const upres_options* options);
/* Writes by extension: .png (8/16-bit), .jpg/.jpeg, .webp, .tif/.tiff (8/16-bit, float), .jxl,
 * .avif, .bmp, .tga, .hdr, as this build can (upres_file_format_info). Samples are converted when
 * the format needs it. The bitmap's ICC profile is embedded and its EXIF / XMP / IPTC copied where
 * the format holds them (EXIF with the new pixel size and the bitmap's orientation), unless "strip"
 * is 1 (the profile stays). Saving options:
 *   "quality" 1..100 (0 = the format's default: JPEG 90, WebP 90, AVIF 60, JPEG XL 90);
 *   "lossless" (WebP, JPEG XL, AVIF); "chroma_subsampling" auto|420|444 (JPEG, AVIF);
 *   "progressive" (JPEG progressive, PNG interlaced); "tiff_compression" none|lzw|deflate.
 * The file is written under a temporary name and renamed, so a failure never leaves a file. */
UPRES_API int32_t upres_file_save(const char* path, const upres_bitmap* bitmap, const upres_options* options);
/* The same for pixels alone (no metadata). */
UPRES_API int32_t upres_file_save_image(const char* path, const upres_image* image, const upres_options* options);

#define UPRES_FORMAT_READ   1
#define UPRES_FORMAT_WRITE  2
/* The file formats this build knows (index 0 .. count-1): *out_name ("webp"), *out_extensions
 * ("webp", or "jpg jpeg"), *out_flags (UPRES_FORMAT_* this build can do), *out_codec (the library
 * that does it, "libvips" or "stb"). Static strings; any out pointer may be NULL. */
UPRES_API int32_t upres_file_format_count(int32_t* out_count);
UPRES_API int32_t upres_file_format_info(int32_t index, const char** out_name, const char** out_extensions,
                                         int32_t* out_flags, const char** out_codec);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* UPRES_H */
