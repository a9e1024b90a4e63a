//! Image files (through libvips where the build has it, stb_image otherwise; metadata travels in
//! the `Bitmap`) and model files.
use std::ffi::{c_char, CStr, CString};
use std::path::Path;

use upres_sys as sys;

use crate::bitmap::Bitmap;
use crate::error::{check, read_string, Error, Result};
use crate::image::{to_i32, AsImage, SampleType};
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

/// Decodes an image file into a bitmap with the file's metadata (ICC profile, EXIF, XMP, IPTC):
/// PNG, JPEG, WebP, TIFF, JPEG XL, AVIF, HEIC, GIF, BMP, TGA, PSD, HDR as this build reads them
/// ([`file_formats`]). 8-bit formats give u8, 16-bit PNG / TIFF / JPEG XL u16, float TIFF and HDR
/// f32; channels as stored. `options` may set "max_pixels", "auto_orient" (default 1: the EXIF
/// orientation applied) and "to_srgb" (1: converted to sRGB through the file's profile).
pub fn load_file(path: impl AsRef<Path>, options: Option<&Options>) -> Result<Bitmap> {
    let path = c_path(path.as_ref())?;
    let mut raw = std::ptr::null_mut();
    // SAFETY: NUL-terminated path, live or null options, valid out pointer.
    check(unsafe { sys::upres_file_load(path.as_ptr(), options_ptr(options), &mut raw) })?;
    // SAFETY: a new bitmap we now own.
    unsafe { Bitmap::from_raw(raw) }
}

/// Decodes an image file held in memory (options as [`load_file`]).
pub fn load_file_memory(data: &[u8], options: Option<&Options>) -> Result<Bitmap> {
    let mut raw = std::ptr::null_mut();
    // SAFETY: data.len() bytes readable for the call.
    check(unsafe { sys::upres_file_load_memory(data.as_ptr().cast(), data.len(), options_ptr(options), &mut raw) })?;
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

/// Reads only the header of an image file: width and height (after the EXIF orientation unless
/// `options` set "auto_orient" to 0), channels, sample type.
pub fn probe_file(path: impl AsRef<Path>, options: Option<&Options>) -> Result<ImageInfo> {
    let path = c_path(path.as_ref())?;
    // SAFETY: all-zero is a valid upres_image (null data).
    let mut info: sys::upres_image = unsafe { std::mem::zeroed() };
    info.struct_size = std::mem::size_of::<sys::upres_image>() as u32;
    // SAFETY: valid pointers.
    check(unsafe { sys::upres_file_probe(path.as_ptr(), options_ptr(options), &mut info) })?;
    Ok(ImageInfo {
        width: info.width as u32,
        height: info.height as u32,
        channels: info.channels as u32,
        sample_type: SampleType::from_raw(info.sample_type).ok_or_else(|| Error::invalid("unknown sample type"))?,
    })
}

/// Whether the format `path` names (by its extension) can hold an image of this size and these
/// channels: `ErrorKind::Limit` with the format's limit in the message when it cannot (WebP over
/// 16383 pixels a side, JPEG over 65535, ...), `ErrorKind::InvalidArgument` for alpha into JPEG or
/// an unknown extension. Call it before a long upscale; saving checks the same.
pub fn check_output(
    path: impl AsRef<Path>,
    width: u32,
    height: u32,
    channels: u32,
    options: Option<&Options>,
) -> Result<()> {
    let path = c_path(path.as_ref())?;
    let (w, h, c) = (to_i32(width)?, to_i32(height)?, to_i32(channels)?);
    // SAFETY: NUL-terminated path, live or null options.
    check(unsafe { sys::upres_file_check_output(path.as_ptr(), w, h, c, options_ptr(options)) })
}

/// Writes a bitmap by extension (.png, .jpg, .webp, .tif, .jxl, .avif, .bmp, .tga, .hdr as this
/// build can: [`file_formats`]) with its metadata: the ICC profile embedded, EXIF (with the new size
/// and the bitmap's orientation), XMP and IPTC copied where the format holds them, unless "strip"
/// is 1. Saving options: "quality", "lossless", "chroma_subsampling", "progressive",
/// "tiff_compression". Never leaves a partial file.
pub fn save_file(path: impl AsRef<Path>, bitmap: &Bitmap, options: Option<&Options>) -> Result<()> {
    let path = c_path(path.as_ref())?;
    // SAFETY: live bitmap borrowed for the call, live or null options.
    check(unsafe { sys::upres_file_save(path.as_ptr(), bitmap.as_ptr(), options_ptr(options)) })
}

/// Writes pixels alone (no metadata) by extension, as [`save_file`].
pub fn save_file_image(path: impl AsRef<Path>, image: &impl AsImage, options: Option<&Options>) -> Result<()> {
    let path = c_path(path.as_ref())?;
    let view = image.descriptor();
    // SAFETY: the view describes memory borrowed for the call.
    check(unsafe { sys::upres_file_save_image(path.as_ptr(), &view, options_ptr(options)) })
}

/// A file format this build knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFormat {
    /// "png", "jpeg", "webp", ...
    pub name: String,
    /// The file extensions that name it, without dots ("jpg", "jpeg", ...).
    pub extensions: Vec<String>,
    /// The library that reads it (else writes it): "libvips" or "stb".
    pub codec: String,
    pub read: bool,
    pub write: bool,
}

/// The file formats this build knows, with what it can do with each.
pub fn file_formats() -> Result<Vec<FileFormat>> {
    let text = |p: *const c_char| {
        if p.is_null() {
            String::new()
        } else {
            // SAFETY: static NUL-terminated string from upres.
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    };
    let mut count = 0;
    // SAFETY: valid out pointer.
    check(unsafe { sys::upres_file_format_count(&mut count) })?;
    let mut formats = Vec::with_capacity(count.max(0) as usize);
    for index in 0..count {
        let (mut name, mut extensions, mut codec, mut flags) =
            (std::ptr::null(), std::ptr::null(), std::ptr::null(), 0);
        // SAFETY: valid out pointers; the strings are static.
        check(unsafe { sys::upres_file_format_info(index, &mut name, &mut extensions, &mut flags, &mut codec) })?;
        formats.push(FileFormat {
            name: text(name),
            extensions: text(extensions).split_whitespace().map(str::to_owned).collect(),
            codec: text(codec),
            read: flags & sys::UPRES_FORMAT_READ != 0,
            write: flags & sys::UPRES_FORMAT_WRITE != 0,
        });
    }
    Ok(formats)
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
