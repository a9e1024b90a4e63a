//! The upres C ABI, declared by hand from `include/upres/upres.h` (no bindgen: the header is small
//! and stable). Every function here is `unsafe`; the `upres` crate is the safe API.
//! The struct layout and constant values are checked against the C compiler's by the test suite.
#![no_std]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_void};

pub const UPRES_VERSION_MAJOR: u32 = 0;
pub const UPRES_VERSION_MINOR: u32 = 1;
pub const UPRES_VERSION_PATCH: u32 = 0;
pub const UPRES_VERSION_NUMBER: u32 = UPRES_VERSION_MAJOR * 10000 + UPRES_VERSION_MINOR * 100 + UPRES_VERSION_PATCH;

pub const UPRES_OK: i32 = 0;
pub const UPRES_E_INVALID_ARGUMENT: i32 = 1;
pub const UPRES_E_UNSUPPORTED: i32 = 2;
pub const UPRES_E_IO: i32 = 3;
pub const UPRES_E_FORMAT: i32 = 4;
pub const UPRES_E_MODEL: i32 = 5;
pub const UPRES_E_OUT_OF_MEMORY: i32 = 6;
pub const UPRES_E_CANCELLED: i32 = 7;
pub const UPRES_E_LIMIT: i32 = 8;
pub const UPRES_E_NOT_FOUND: i32 = 9;
pub const UPRES_E_INTERNAL: i32 = 99;

pub const UPRES_SAMPLE_U8: i32 = 1;
pub const UPRES_SAMPLE_U16: i32 = 2;
pub const UPRES_SAMPLE_F32: i32 = 3;

pub const UPRES_IMAGE_PREMULTIPLIED: u32 = 0x1;
pub const UPRES_IMAGE_SRGB: u32 = 0x2;

pub const UPRES_OPTION_INT: i32 = 1;
pub const UPRES_OPTION_DOUBLE: i32 = 2;
pub const UPRES_OPTION_STRING: i32 = 3;

pub const UPRES_METRIC_LUMA: i32 = 1;
pub const UPRES_METRIC_ALL: i32 = 2;

pub const UPRES_METADATA_ICC: i32 = 1;
pub const UPRES_METADATA_EXIF: i32 = 2;
pub const UPRES_METADATA_XMP: i32 = 3;
pub const UPRES_METADATA_IPTC: i32 = 4;

pub const UPRES_FORMAT_READ: i32 = 1;
pub const UPRES_FORMAT_WRITE: i32 = 2;

/// A view of caller-owned pixels. `struct_size` must be `size_of::<upres_image>()`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct upres_image {
    pub struct_size: u32,
    pub width: i32,
    pub height: i32,
    pub channels: i32,
    pub sample_type: i32,
    pub flags: u32,
    pub stride_bytes: i64,
    pub data: *mut c_void,
}

/// Opaque handles (never constructed in Rust; only pointers to them exist).
macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
            _not_send_sync: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
        }
    )*};
}
opaque!(upres_bitmap, upres_options, upres_resampler, upres_cancel_token);

pub type upres_progress_fn = Option<unsafe extern "C" fn(done: u64, total: u64, user_data: *mut c_void) -> i32>;

extern "C" {
    pub fn upres_version() -> u32;
    pub fn upres_version_string() -> *const c_char;

    pub fn upres_last_error() -> *const c_char;
    pub fn upres_status_name(status: i32) -> *const c_char;

    pub fn upres_image_init(
        image: *mut upres_image,
        width: i32,
        height: i32,
        channels: i32,
        sample_type: i32,
        data: *mut c_void,
    ) -> i32;
    pub fn upres_image_required_bytes(
        width: i32,
        height: i32,
        channels: i32,
        sample_type: i32,
        out_bytes: *mut u64,
    ) -> i32;

    pub fn upres_bitmap_create(
        width: i32,
        height: i32,
        channels: i32,
        sample_type: i32,
        out: *mut *mut upres_bitmap,
    ) -> i32;
    pub fn upres_bitmap_view(bitmap: *const upres_bitmap, out_view: *mut upres_image) -> i32;
    pub fn upres_bitmap_destroy(bitmap: *mut upres_bitmap);
    pub fn upres_bitmap_metadata(
        bitmap: *const upres_bitmap,
        kind: i32,
        out_data: *mut *const c_void,
        out_size: *mut usize,
    ) -> i32;
    pub fn upres_bitmap_set_metadata(bitmap: *mut upres_bitmap, kind: i32, data: *const c_void, size: usize) -> i32;
    pub fn upres_bitmap_orientation(bitmap: *const upres_bitmap, out_orientation: *mut i32) -> i32;
    pub fn upres_bitmap_set_orientation(bitmap: *mut upres_bitmap, orientation: i32) -> i32;
    pub fn upres_bitmap_copy_metadata(dst: *mut upres_bitmap, src: *const upres_bitmap) -> i32;

    pub fn upres_set_max_pixels(max_pixels: u64) -> i32;
    pub fn upres_get_max_pixels() -> u64;

    pub fn upres_options_create(out: *mut *mut upres_options) -> i32;
    pub fn upres_options_clone(options: *const upres_options, out: *mut *mut upres_options) -> i32;
    pub fn upres_options_destroy(options: *mut upres_options);
    pub fn upres_options_set_int(options: *mut upres_options, name: *const c_char, value: i64) -> i32;
    pub fn upres_options_set_double(options: *mut upres_options, name: *const c_char, value: f64) -> i32;
    pub fn upres_options_set_string(options: *mut upres_options, name: *const c_char, value: *const c_char) -> i32;
    pub fn upres_options_get_int(options: *const upres_options, name: *const c_char, out: *mut i64) -> i32;
    pub fn upres_options_get_double(options: *const upres_options, name: *const c_char, out: *mut f64) -> i32;
    pub fn upres_options_get_string(
        options: *const upres_options,
        name: *const c_char,
        buffer: *mut c_char,
        capacity: usize,
        out_length: *mut usize,
    ) -> i32;
    pub fn upres_option_count(out_count: *mut i32) -> i32;
    pub fn upres_option_describe(
        index: i32,
        out_name: *mut *const c_char,
        out_type: *mut i32,
        out_min: *mut f64,
        out_max: *mut f64,
        out_help: *mut *const c_char,
    ) -> i32;

    pub fn upres_method_count(out_count: *mut i32) -> i32;
    pub fn upres_method_name(index: i32, out_name: *mut *const c_char) -> i32;
    pub fn upres_resampler_create(
        method: *const c_char,
        options: *const upres_options,
        out: *mut *mut upres_resampler,
    ) -> i32;
    pub fn upres_resampler_destroy(resampler: *mut upres_resampler);
    pub fn upres_resampler_scale(resampler: *const upres_resampler, out_scale: *mut i32) -> i32;
    pub fn upres_cuda_device_count(out_count: *mut i32) -> i32;
    pub fn upres_architecture_count(out_count: *mut i32) -> i32;
    pub fn upres_architecture_info(index: i32, out_name: *mut *const c_char, out_title: *mut *const c_char) -> i32;
    pub fn upres_resample(
        resampler: *const upres_resampler,
        src: *const upres_image,
        dst: *const upres_image,
        progress: upres_progress_fn,
        user_data: *mut c_void,
        cancel: *mut upres_cancel_token,
    ) -> i32;
    pub fn upres_resample_new(
        resampler: *const upres_resampler,
        src: *const upres_image,
        width: i32,
        height: i32,
        progress: upres_progress_fn,
        user_data: *mut c_void,
        cancel: *mut upres_cancel_token,
        out: *mut *mut upres_bitmap,
    ) -> i32;

    pub fn upres_cancel_token_create(out: *mut *mut upres_cancel_token) -> i32;
    pub fn upres_cancel_token_destroy(token: *mut upres_cancel_token);
    pub fn upres_cancel_token_cancel(token: *mut upres_cancel_token) -> i32;
    pub fn upres_cancel_token_reset(token: *mut upres_cancel_token) -> i32;
    pub fn upres_cancel_token_is_cancelled(token: *const upres_cancel_token, out: *mut i32) -> i32;

    pub fn upres_model_describe(
        path: *const c_char,
        buffer: *mut c_char,
        capacity: usize,
        out_length: *mut usize,
    ) -> i32;
    pub fn upres_method_describe(
        method: *const c_char,
        options: *const upres_options,
        buffer: *mut c_char,
        capacity: usize,
        out_length: *mut usize,
    ) -> i32;
    pub fn upres_model_convert(src_path: *const c_char, dst_path: *const c_char) -> i32;

    pub fn upres_psnr(
        a: *const upres_image,
        b: *const upres_image,
        border: i32,
        channels_mode: i32,
        out_db: *mut f64,
    ) -> i32;
    pub fn upres_ssim(
        a: *const upres_image,
        b: *const upres_image,
        border: i32,
        channels_mode: i32,
        out_ssim: *mut f64,
    ) -> i32;
    pub fn upres_degrade(
        src: *const upres_image,
        pipeline: *const c_char,
        seed: u64,
        out: *mut *mut upres_bitmap,
    ) -> i32;

    pub fn upres_file_load(path: *const c_char, options: *const upres_options, out: *mut *mut upres_bitmap) -> i32;
    pub fn upres_file_load_memory(
        data: *const c_void,
        size: usize,
        options: *const upres_options,
        out: *mut *mut upres_bitmap,
    ) -> i32;
    pub fn upres_file_probe(path: *const c_char, options: *const upres_options, out_info: *mut upres_image) -> i32;
    pub fn upres_file_check_output(
        path: *const c_char,
        width: i32,
        height: i32,
        channels: i32,
        options: *const upres_options,
    ) -> i32;
    pub fn upres_file_save(path: *const c_char, bitmap: *const upres_bitmap, options: *const upres_options) -> i32;
    pub fn upres_file_save_image(path: *const c_char, image: *const upres_image, options: *const upres_options) -> i32;
    pub fn upres_file_format_count(out_count: *mut i32) -> i32;
    pub fn upres_file_format_info(
        index: i32,
        out_name: *mut *const c_char,
        out_extensions: *mut *const c_char,
        out_flags: *mut i32,
        out_codec: *mut *const c_char,
    ) -> i32;
}
