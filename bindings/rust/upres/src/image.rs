//! Images that borrow caller-owned samples: `ImageRef` (read) and `ImageMut` (written by upres).
//! The C ABI cannot know a slice's length, so every view is checked here, before any C call, to
//! cover all of its rows.
use upres_sys as sys;

use crate::error::{Error, Result};

/// The sample types of the C ABI (values fixed forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum SampleType {
    U8 = sys::UPRES_SAMPLE_U8,
    U16 = sys::UPRES_SAMPLE_U16,
    /// Nominal range [0, 1].
    F32 = sys::UPRES_SAMPLE_F32,
}

impl SampleType {
    pub fn size(self) -> usize {
        match self {
            SampleType::U8 => 1,
            SampleType::U16 => 2,
            SampleType::F32 => 4,
        }
    }

    pub(crate) fn from_raw(value: i32) -> Option<SampleType> {
        match value {
            sys::UPRES_SAMPLE_U8 => Some(SampleType::U8),
            sys::UPRES_SAMPLE_U16 => Some(SampleType::U16),
            sys::UPRES_SAMPLE_F32 => Some(SampleType::F32),
            _ => None,
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u16 {}
    impl Sealed for f32 {}
}

/// A Rust type with a C sample type: u8, u16 or f32.
pub trait Sample: Copy + Default + sealed::Sealed + 'static {
    const TYPE: SampleType;
}
impl Sample for u8 {
    const TYPE: SampleType = SampleType::U8;
}
impl Sample for u16 {
    const TYPE: SampleType = SampleType::U16;
}
impl Sample for f32 {
    const TYPE: SampleType = SampleType::F32;
}

/// Image flags (bits of the C ABI).
pub mod flags {
    /// Colour channels are already multiplied by alpha.
    pub const PREMULTIPLIED: u32 = upres_sys::UPRES_IMAGE_PREMULTIPLIED;
    /// Samples are sRGB-encoded (enables linear-light resampling).
    pub const SRGB: u32 = upres_sys::UPRES_IMAGE_SRGB;
}

/// Anything upres can read pixels from: `ImageRef`, `ImageMut`, `Bitmap`. Sealed: the descriptor
/// it returns must describe memory that stays valid and unchanged while the borrow lasts.
pub trait AsImage: sealed_image::SealedImage {
    #[doc(hidden)]
    fn descriptor(&self) -> sys::upres_image;
}

pub(crate) mod sealed_image {
    pub trait SealedImage {}
}

/// Shape of an image: checks the C ABI's rules on sizes and that `len` samples hold every row.
#[derive(Debug, Clone, Copy)]
struct Layout {
    width: i32,
    height: i32,
    channels: i32,
    stride: usize, // in samples
}

impl Layout {
    fn new(len: usize, sample_size: usize, width: u32, height: u32, channels: u32, stride: usize) -> Result<Layout> {
        let bad = |why: &str| Err(Error::invalid(format!("image {width}x{height}x{channels}: {why}")));
        if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
            return bad("width and height must be positive 32-bit sizes");
        }
        if !(1..=4).contains(&channels) {
            return bad("channels must be 1 to 4");
        }
        let row = match (width as usize).checked_mul(channels as usize) {
            Some(row) => row,
            None => return bad("row size overflows"),
        };
        if stride < row {
            return bad("stride is shorter than a row");
        }
        if stride.checked_mul(sample_size).map_or(true, |bytes| bytes > i64::MAX as usize) {
            return bad("stride overflows");
        }
        let needed = (height as usize - 1).checked_mul(stride).and_then(|n| n.checked_add(row));
        match needed {
            Some(needed) if needed <= len => {}
            Some(needed) => return bad(&format!("needs {needed} samples, the slice has {len}")),
            None => return bad("size overflows"),
        }
        Ok(Layout { width: width as i32, height: height as i32, channels: channels as i32, stride })
    }

    fn descriptor<T: Sample>(&self, data: *const T, flags: u32) -> sys::upres_image {
        sys::upres_image {
            struct_size: std::mem::size_of::<sys::upres_image>() as u32,
            width: self.width,
            height: self.height,
            channels: self.channels,
            sample_type: T::TYPE as i32,
            flags,
            stride_bytes: (self.stride * std::mem::size_of::<T>()) as i64,
            data: data as *mut std::ffi::c_void,
        }
    }
}

/// Pixels borrowed for reading: rows of `width * channels` interleaved samples, `stride` samples
/// apart.
#[derive(Debug, Clone, Copy)]
pub struct ImageRef<'a, T: Sample> {
    data: &'a [T],
    layout: Layout,
    flags: u32,
}

impl<'a, T: Sample> ImageRef<'a, T> {
    /// Tightly packed rows.
    pub fn new(data: &'a [T], width: u32, height: u32, channels: u32) -> Result<Self> {
        Self::with_stride(data, width, height, channels, width as usize * channels as usize)
    }

    /// Rows `stride` samples apart (`stride >= width * channels`).
    pub fn with_stride(data: &'a [T], width: u32, height: u32, channels: u32, stride: usize) -> Result<Self> {
        Ok(ImageRef {
            data,
            layout: Layout::new(data.len(), std::mem::size_of::<T>(), width, height, channels, stride)?,
            flags: 0,
        })
    }

    /// Sets the `flags::*` bits.
    pub fn with_flags(mut self, flags: u32) -> Self {
        self.flags = flags;
        self
    }

    pub fn width(&self) -> u32 {
        self.layout.width as u32
    }
    pub fn height(&self) -> u32 {
        self.layout.height as u32
    }
    pub fn channels(&self) -> u32 {
        self.layout.channels as u32
    }
    pub fn data(&self) -> &'a [T] {
        self.data
    }
}

impl<T: Sample> sealed_image::SealedImage for ImageRef<'_, T> {}
impl<T: Sample> AsImage for ImageRef<'_, T> {
    fn descriptor(&self) -> sys::upres_image {
        self.layout.descriptor(self.data.as_ptr(), self.flags)
    }
}

/// Pixels borrowed for writing: the destination of `Resampler::run`.
#[derive(Debug)]
pub struct ImageMut<'a, T: Sample> {
    data: &'a mut [T],
    layout: Layout,
    flags: u32,
}

impl<'a, T: Sample> ImageMut<'a, T> {
    pub fn new(data: &'a mut [T], width: u32, height: u32, channels: u32) -> Result<Self> {
        Self::with_stride(data, width, height, channels, width as usize * channels as usize)
    }

    pub fn with_stride(data: &'a mut [T], width: u32, height: u32, channels: u32, stride: usize) -> Result<Self> {
        let layout = Layout::new(data.len(), std::mem::size_of::<T>(), width, height, channels, stride)?;
        Ok(ImageMut { data, layout, flags: 0 })
    }

    pub fn with_flags(mut self, flags: u32) -> Self {
        self.flags = flags;
        self
    }

    pub fn width(&self) -> u32 {
        self.layout.width as u32
    }
    pub fn height(&self) -> u32 {
        self.layout.height as u32
    }
    pub fn channels(&self) -> u32 {
        self.layout.channels as u32
    }
    pub fn data(&self) -> &[T] {
        self.data
    }

    /// A descriptor through which upres may write (needs the exclusive borrow).
    pub(crate) fn descriptor_mut(&mut self) -> sys::upres_image {
        self.layout.descriptor(self.data.as_mut_ptr(), self.flags)
    }
}

impl<T: Sample> sealed_image::SealedImage for ImageMut<'_, T> {}
impl<T: Sample> AsImage for ImageMut<'_, T> {
    fn descriptor(&self) -> sys::upres_image {
        self.layout.descriptor(self.data.as_ptr(), self.flags)
    }
}

/// Bytes for a tightly packed image of that shape (overflow-checked by upres).
pub fn required_bytes(width: u32, height: u32, channels: u32, sample_type: SampleType) -> Result<u64> {
    let mut bytes = 0u64;
    let (w, h, c) = (to_i32(width)?, to_i32(height)?, to_i32(channels)?);
    // SAFETY: plain values and a valid out pointer.
    crate::error::check(unsafe { sys::upres_image_required_bytes(w, h, c, sample_type as i32, &mut bytes) })?;
    Ok(bytes)
}

pub(crate) fn to_i32(value: u32) -> Result<i32> {
    i32::try_from(value).map_err(|_| Error::invalid(format!("{value} does not fit a 32-bit size")))
}
