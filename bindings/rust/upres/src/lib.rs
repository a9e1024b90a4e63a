//! Safe Rust API over the upres C ABI (`upres-sys`).
//!
//! - Handles own their C object and free it on drop: [`Bitmap`], [`Options`], [`Resampler`],
//!   [`CancelToken`].
//! - Every failure is an [`Error`] with the C status and the library's message.
//! - Thread safety follows docs/c-abi.md: a `Resampler` is immutable and may run on many threads
//!   at once; `CancelToken::cancel` works from any thread; `Options` and `Bitmap` are written only
//!   through `&mut`.
//! - Caller-owned pixels are borrowed slices ([`ImageRef`], [`ImageMut`]) checked to cover every
//!   row before upres sees them.
//! - Progress callbacks are closures; a panic inside one cancels the run and resumes after the C
//!   call has returned, so it never unwinds through C.
mod bitmap;
mod error;
mod files;
mod image;
mod options;
mod quality;
mod resampler;

use std::ffi::CStr;

pub use bitmap::{Bitmap, MetadataKind};
pub use error::{status_name, Error, ErrorKind, Result};
pub use files::{
    check_output, file_formats, load_file, load_file_memory, method_describe, model_convert, model_describe,
    probe_file, save_file, save_file_image, FileFormat, ImageInfo,
};
pub use image::{flags, required_bytes, AsImage, ImageMut, ImageRef, Sample, SampleType};
pub use options::{option_table, OptionInfo, OptionType, Options};
pub use quality::{degrade, psnr, ssim, Metric};
pub use resampler::{CancelToken, Progress, Resampler};
pub use upres_sys as sys;

/// The version of the library linked, "MAJOR.MINOR.PATCH".
pub fn version() -> &'static str {
    // SAFETY: static NUL-terminated string.
    unsafe { CStr::from_ptr(sys::upres_version_string()) }.to_str().unwrap_or("")
}

/// How many CUDA devices models can run on (option "device": "cuda:0" .. "cuda:N-1"); 0 without CUDA.
pub fn cuda_device_count() -> Result<u32> {
    let mut n = 0;
    // SAFETY: valid out pointer.
    error::check(unsafe { sys::upres_cuda_device_count(&mut n) })?;
    Ok(n as u32)
}

/// MAJOR * 10000 + MINOR * 100 + PATCH of the library linked (compare with `sys::UPRES_VERSION_NUMBER`).
pub fn version_number() -> u32 {
    // SAFETY: plain call.
    unsafe { sys::upres_version() }
}

/// The method names this build knows.
pub fn methods() -> Vec<String> {
    let mut count = 0;
    // SAFETY: valid out pointer.
    if unsafe { sys::upres_method_count(&mut count) } != sys::UPRES_OK {
        return Vec::new();
    }
    (0..count)
        .filter_map(|i| {
            let mut name = std::ptr::null();
            // SAFETY: valid out pointer; on success the name is a static NUL-terminated string.
            let status = unsafe { sys::upres_method_name(i, &mut name) };
            (status == sys::UPRES_OK && !name.is_null())
                .then(|| unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned())
        })
        .collect()
}

/// Process-wide limit on width * height of every image upres allocates or accepts.
pub fn set_max_pixels(max_pixels: u64) -> Result<()> {
    // SAFETY: plain call.
    error::check(unsafe { sys::upres_set_max_pixels(max_pixels) })
}

pub fn max_pixels() -> u64 {
    // SAFETY: plain call.
    unsafe { sys::upres_get_max_pixels() }
}
