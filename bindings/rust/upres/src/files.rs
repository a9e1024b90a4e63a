//! Image files (PNG, JPEG, BMP, TGA, GIF, PSD, HDR through stb) and model files.
use std::ffi::CString;
use std::path::Path;

use upres_sys as sys;

use crate::bitmap::Bitmap;
use crate::error::{check, read_string, Error, Result};
use crate::image::{AsImage, SampleType};
use crate::options::Options;

pub(crate) fn c_path(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes =
        path.to_str().ok_or_else(|| Error::invalid(format!("path is not UTF-8: {path:?}")))?.as_bytes().to_vec();
    CString::new(bytes).map_err(|_| Error::invalid(format!("path contains a NUL byte: {path:?}")))
}

fn options_ptr(options: Option<&Options>) -> *const sys::upres_options {
    options.map_or(std::ptr::null(), Options::as_ptr)
}

/// Decodes an image file (16-bit PNG gives u16, HDR f32, others u8; channels as stored).
/// `options` may set "max_pixels".
pub fn load_image(path: impl AsRef<Path>, options: Option<&Options>) -> Result<Bitmap> {
    let path = c_path(path.as_ref())?;
    let mut raw = std::ptr::null_mut();
    // SAFETY: NUL-terminated path, live or null options, valid out pointer.
    check(unsafe { sys::upres_image_load(path.as_ptr(), options_ptr(options), &mut raw) })?;
    // SAFETY: a new bitmap we now own.
    unsafe { Bitmap::from_raw(raw) }
}

/// Decodes an image held in memory.
pub fn load_image_memory(data: &[u8], options: Option<&Options>) -> Result<Bitmap> {
    let mut raw = std::ptr::null_mut();
    // SAFETY: data.len() bytes readable for the call.
    check(unsafe { sys::upres_image_load_memory(data.as_ptr().cast(), data.len(), options_ptr(options), &mut raw) })?;
    // SAFETY: a new bitmap we now own.
    unsafe { Bitmap::from_raw(raw) }
}

/// What a file's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    pub sample_type: SampleType,
}

/// Reads only the header of an image file.
pub fn probe_image(path: impl AsRef<Path>) -> Result<ImageInfo> {
    let path = c_path(path.as_ref())?;
    // SAFETY: all-zero is a valid upres_image (null data).
    let mut info: sys::upres_image = unsafe { std::mem::zeroed() };
    info.struct_size = std::mem::size_of::<sys::upres_image>() as u32;
    // SAFETY: valid pointers.
    check(unsafe { sys::upres_image_probe(path.as_ptr(), &mut info) })?;
    Ok(ImageInfo {
        width: info.width as u32,
        height: info.height as u32,
        channels: info.channels as u32,
        sample_type: SampleType::from_raw(info.sample_type).ok_or_else(|| Error::invalid("unknown sample type"))?,
    })
}

/// Writes by extension (.png, .jpg, .bmp, .tga, .hdr); never leaves a partial file.
pub fn save_image(path: impl AsRef<Path>, image: &impl AsImage, options: Option<&Options>) -> Result<()> {
    let path = c_path(path.as_ref())?;
    let view = image.descriptor();
    // SAFETY: the view describes memory borrowed for the call.
    check(unsafe { sys::upres_image_save(path.as_ptr(), &view, options_ptr(options)) })
}

/// A one-line description of a model file (works without libtorch).
pub fn model_describe(path: impl AsRef<Path>) -> Result<String> {
    let path = c_path(path.as_ref())?;
    // SAFETY: read_string passes a NULL buffer of capacity 0, then a buffer of the capacity it gives.
    read_string(|buffer, capacity, length| unsafe {
        sys::upres_model_describe(path.as_ptr(), buffer, capacity, length)
    })
}

/// A one-line description of a method (see [`crate::methods`]): what a classical filter is; for a
/// named model its scale, architecture and the file the model search path found (`options` may set
/// "model_path"). A named model whose file is missing is an `ErrorKind::NotFound` error saying
/// where upres looked.
pub fn method_describe(method: &str, options: Option<&Options>) -> Result<String> {
    let method = crate::options::c_string("method", method)?;
    let options = options_ptr(options);
    // SAFETY: NUL-terminated name, live or null options; read_string passes a NULL buffer of
    // capacity 0, then a buffer of the capacity it gives.
    read_string(|buffer, capacity, length| unsafe {
        sys::upres_method_describe(method.as_ptr(), options, buffer, capacity, length)
    })
}

/// Reads a model in any supported format and writes it as .safetensors.
pub fn model_convert(src: impl AsRef<Path>, dst: impl AsRef<Path>) -> Result<()> {
    let (src, dst) = (c_path(src.as_ref())?, c_path(dst.as_ref())?);
    // SAFETY: NUL-terminated paths.
    check(unsafe { sys::upres_model_convert(src.as_ptr(), dst.as_ptr()) })
}
