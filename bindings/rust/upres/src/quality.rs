//! Evaluation as the super-resolution literature does it: PSNR, SSIM and seeded degradations.
use upres_sys as sys;

use crate::bitmap::Bitmap;
use crate::error::{check, Result};
use crate::image::AsImage;
use crate::options::c_string;

/// Which channels a metric compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Metric {
    /// BT.601 Y (gray as R=G=B).
    Luma = sys::UPRES_METRIC_LUMA,
    /// Every channel.
    All = sys::UPRES_METRIC_ALL,
}

fn border_i32(border: u32) -> Result<i32> {
    crate::image::to_i32(border)
}

/// PSNR in dB (peak 255) after cropping `border` pixels from each side; +inf when identical.
pub fn psnr(a: &impl AsImage, b: &impl AsImage, border: u32, metric: Metric) -> Result<f64> {
    let (a, b, mut out) = (a.descriptor(), b.descriptor(), 0.0);
    // SAFETY: both views describe memory borrowed for the call.
    check(unsafe { sys::upres_psnr(&a, &b, border_i32(border)?, metric as i32, &mut out) })?;
    Ok(out)
}

/// SSIM (11x11 Gaussian window, sigma 1.5) after cropping `border` pixels from each side.
pub fn ssim(a: &impl AsImage, b: &impl AsImage, border: u32, metric: Metric) -> Result<f64> {
    let (a, b, mut out) = (a.descriptor(), b.descriptor(), 0.0);
    // SAFETY: as psnr.
    check(unsafe { sys::upres_ssim(&a, &b, border_i32(border)?, metric as i32, &mut out) })?;
    Ok(out)
}

/// Degrades `src` by a pipeline such as "blur:0.2-3; down:4; noise:1-25; jpeg:30-95"; the same
/// seed gives the same result.
pub fn degrade(src: &impl AsImage, pipeline: &str, seed: u64) -> Result<Bitmap> {
    let pipeline = c_string("pipeline", pipeline)?;
    let src = src.descriptor();
    let mut raw = std::ptr::null_mut();
    // SAFETY: src borrowed for the call, NUL-terminated pipeline, valid out pointer.
    check(unsafe { sys::upres_degrade(&src, pipeline.as_ptr(), seed, &mut raw) })?;
    // SAFETY: a new bitmap we now own.
    unsafe { Bitmap::from_raw(raw) }
}
