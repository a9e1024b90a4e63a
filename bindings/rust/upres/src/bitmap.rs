//! `Bitmap`: pixels that upres allocated and owns (decoded files, new results); freed on drop.
//! A bitmap also carries the metadata a file had (ICC profile, EXIF, XMP, IPTC, orientation) to the
//! file it is saved as ([`crate::save_file`]).
use std::ptr::NonNull;

use upres_sys as sys;

use crate::error::{check, Error, Result};
use crate::image::{sealed_image, to_i32, AsImage, ImageRef, Sample, SampleType};

/// The kinds of metadata block a bitmap carries (values of the C ABI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum MetadataKind {
    /// The ICC colour profile the pixels are encoded in.
    Icc = sys::UPRES_METADATA_ICC,
    /// EXIF, from its TIFF header on (no "Exif\0\0" prefix).
    Exif = sys::UPRES_METADATA_EXIF,
    /// The XMP packet.
    Xmp = sys::UPRES_METADATA_XMP,
    /// IPTC-IIM records.
    Iptc = sys::UPRES_METADATA_IPTC,
}

impl MetadataKind {
    pub const ALL: [MetadataKind; 4] = [MetadataKind::Icc, MetadataKind::Exif, MetadataKind::Xmp, MetadataKind::Iptc];
}

pub struct Bitmap {
    handle: NonNull<sys::upres_bitmap>,
    view: sys::upres_image, // valid until the bitmap is destroyed (C ABI)
}

// The C ABI: a bitmap is like a buffer — readers may share it, a writer needs exclusive access.
// `&Bitmap` only reads and `&mut Bitmap` writes, so both are sound.
unsafe impl Send for Bitmap {}
unsafe impl Sync for Bitmap {}

impl Bitmap {
    /// A zeroed, tightly packed image (refused with `ErrorKind::Limit` above the max-pixels limit).
    pub fn new(width: u32, height: u32, channels: u32, sample_type: SampleType) -> Result<Bitmap> {
        let (w, h, c) = (to_i32(width)?, to_i32(height)?, to_i32(channels)?);
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid out pointer; ownership of *raw passes to us on success.
        check(unsafe { sys::upres_bitmap_create(w, h, c, sample_type as i32, &mut raw) })?;
        // SAFETY: upres returned a live bitmap.
        unsafe { Bitmap::from_raw(raw) }
    }

    /// Takes ownership of a bitmap returned by the C ABI.
    ///
    /// # Safety
    /// `raw` must be a live `upres_bitmap` that nothing else will destroy.
    pub unsafe fn from_raw(raw: *mut sys::upres_bitmap) -> Result<Bitmap> {
        let handle = NonNull::new(raw).ok_or_else(|| Error::invalid("null bitmap"))?;
        let mut view: sys::upres_image = std::mem::zeroed(); // null data is a valid value
        view.struct_size = std::mem::size_of::<sys::upres_image>() as u32;
        let status = sys::upres_bitmap_view(handle.as_ptr(), &mut view);
        if status != sys::UPRES_OK {
            let error = Error::last(status);
            sys::upres_bitmap_destroy(handle.as_ptr());
            return Err(error);
        }
        Ok(Bitmap { handle, view })
    }

    pub fn width(&self) -> u32 {
        self.view.width as u32
    }
    pub fn height(&self) -> u32 {
        self.view.height as u32
    }
    pub fn channels(&self) -> u32 {
        self.view.channels as u32
    }
    pub fn sample_type(&self) -> SampleType {
        SampleType::from_raw(self.view.sample_type).expect("upres returned a known sample type")
    }
    pub fn stride_bytes(&self) -> usize {
        self.view.stride_bytes as usize
    }

    fn byte_len(&self) -> usize {
        let row = self.width() as usize * self.channels() as usize * self.sample_type().size();
        (self.height() as usize - 1) * self.stride_bytes() + row
    }

    /// Every byte of the pixel rows (rows `stride_bytes()` apart).
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the view covers byte_len() bytes owned by the bitmap for as long as &self lives.
        unsafe { std::slice::from_raw_parts(self.view.data as *const u8, self.byte_len()) }
    }

    /// The samples as `T`, which must be the bitmap's sample type.
    pub fn samples<T: Sample>(&self) -> Result<&[T]> {
        self.check_type::<T>()?;
        // SAFETY: type, size and alignment checked; memory owned by the bitmap.
        Ok(unsafe {
            std::slice::from_raw_parts(self.view.data as *const T, self.byte_len() / std::mem::size_of::<T>())
        })
    }

    pub fn samples_mut<T: Sample>(&mut self) -> Result<&mut [T]> {
        self.check_type::<T>()?;
        // SAFETY: as samples(), and &mut self gives exclusive access.
        Ok(unsafe {
            std::slice::from_raw_parts_mut(self.view.data as *mut T, self.byte_len() / std::mem::size_of::<T>())
        })
    }

    /// A borrowed view as `ImageRef<T>`.
    pub fn as_image<T: Sample>(&self) -> Result<ImageRef<'_, T>> {
        let stride = self.stride_bytes() / std::mem::size_of::<T>();
        Ok(ImageRef::with_stride(self.samples::<T>()?, self.width(), self.height(), self.channels(), stride)?
            .with_flags(self.view.flags))
    }

    /// The pixels without row padding, as bytes in native order.
    pub fn to_packed_bytes(&self) -> Vec<u8> {
        let row = self.width() as usize * self.channels() as usize * self.sample_type().size();
        let bytes = self.as_bytes();
        let mut out = Vec::with_capacity(row * self.height() as usize);
        for y in 0..self.height() as usize {
            out.extend_from_slice(&bytes[y * self.stride_bytes()..y * self.stride_bytes() + row]);
        }
        out
    }

    fn check_type<T: Sample>(&self) -> Result<()> {
        if T::TYPE != self.sample_type() {
            return Err(Error::invalid(format!("bitmap holds {:?} samples, not {:?}", self.sample_type(), T::TYPE)));
        }
        if (self.view.data as usize) % std::mem::align_of::<T>() != 0
            || self.stride_bytes() % std::mem::size_of::<T>() != 0
        {
            return Err(Error::invalid("bitmap samples are not aligned for their type"));
        }
        Ok(())
    }

    /// The metadata block of one kind, empty when the bitmap has none (a new bitmap has none; one
    /// loaded from a file has what the file had).
    pub fn metadata(&self, kind: MetadataKind) -> Result<&[u8]> {
        let (mut data, mut size) = (std::ptr::null(), 0usize);
        // SAFETY: live handle, valid out pointers.
        check(unsafe { sys::upres_bitmap_metadata(self.handle.as_ptr(), kind as i32, &mut data, &mut size) })?;
        if size == 0 || data.is_null() {
            return Ok(&[]);
        }
        // SAFETY: size bytes inside the bitmap, unchanged while &self borrows it (changes need &mut).
        Ok(unsafe { std::slice::from_raw_parts(data as *const u8, size) })
    }

    /// Replaces the block of one kind with a copy of `data` (at most 64 MiB); an empty slice
    /// removes it.
    pub fn set_metadata(&mut self, kind: MetadataKind, data: &[u8]) -> Result<()> {
        let ptr = if data.is_empty() { std::ptr::null() } else { data.as_ptr().cast() };
        // SAFETY: live handle we may write (&mut self); data.len() bytes readable for the call.
        check(unsafe { sys::upres_bitmap_set_metadata(self.handle.as_ptr(), kind as i32, ptr, data.len()) })
    }

    /// The EXIF orientation (1..8) the pixels still need to be shown upright: 1 unless the file was
    /// loaded with "auto_orient" = 0. Saving writes it into the output's EXIF.
    pub fn orientation(&self) -> Result<u32> {
        let mut value = 1;
        // SAFETY: live handle, valid out pointer.
        check(unsafe { sys::upres_bitmap_orientation(self.handle.as_ptr(), &mut value) })?;
        Ok(value as u32)
    }

    /// Sets the EXIF orientation (1..8; anything else is `ErrorKind::InvalidArgument`).
    pub fn set_orientation(&mut self, orientation: u32) -> Result<()> {
        let value = i32::try_from(orientation).unwrap_or(i32::MAX);
        // SAFETY: live handle we may write.
        check(unsafe { sys::upres_bitmap_set_orientation(self.handle.as_ptr(), value) })
    }

    /// Gives this bitmap every metadata block and the orientation of `source` (a resampled copy
    /// keeps the original's).
    pub fn copy_metadata_from(&mut self, source: &Bitmap) -> Result<()> {
        // SAFETY: two live handles; &mut self and &Bitmap cannot be the same bitmap.
        check(unsafe { sys::upres_bitmap_copy_metadata(self.handle.as_ptr(), source.as_ptr()) })
    }

    pub fn as_ptr(&self) -> *const sys::upres_bitmap {
        self.handle.as_ptr()
    }
}

impl Drop for Bitmap {
    fn drop(&mut self) {
        // SAFETY: we own the handle; views borrowed from it ended with their borrows.
        unsafe { sys::upres_bitmap_destroy(self.handle.as_ptr()) }
    }
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bitmap({}x{}x{} {:?})", self.width(), self.height(), self.channels(), self.sample_type())
    }
}

impl sealed_image::SealedImage for Bitmap {}
impl AsImage for Bitmap {
    fn descriptor(&self) -> sys::upres_image {
        self.view
    }
}
