//! `Resampler` (immutable, shareable between threads), `CancelToken`, and progress callbacks that
//! never unwind across the C boundary.
use std::any::Any;
use std::ffi::c_void;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use upres_sys as sys;

use crate::bitmap::Bitmap;
use crate::error::{check, Result};
use crate::image::{to_i32, AsImage, ImageMut, Sample};
use crate::options::{c_string, Options};

/// Progress: called with (done, total) work units on the thread that runs; return false to cancel.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64) -> bool;

pub struct Resampler {
    handle: NonNull<sys::upres_resampler>,
}

// The C ABI: immutable after creation; any number of threads may run one resampler at once.
unsafe impl Send for Resampler {}
unsafe impl Sync for Resampler {}

impl Resampler {
    /// A classical filter ("lanczos3", "bicubic", ...) or a model ("srcnn", "esrgan", or "model"
    /// with the option "model" naming a file). `options` are copied.
    pub fn new(method: &str, options: Option<&Options>) -> Result<Resampler> {
        let method = c_string("method", method)?;
        let options = options.map_or(std::ptr::null(), Options::as_ptr);
        let mut raw = std::ptr::null_mut();
        // SAFETY: NUL-terminated name, live or null options, valid out pointer.
        check(unsafe { sys::upres_resampler_create(method.as_ptr(), options, &mut raw) })?;
        Ok(Resampler { handle: NonNull::new(raw).expect("upres_resampler_create succeeded") })
    }

    /// The native integer scale (4 for an x4 model), 0 when any size is native.
    pub fn native_scale(&self) -> Result<u32> {
        let mut scale = 0;
        // SAFETY: live handle, valid out pointer.
        check(unsafe { sys::upres_resampler_scale(self.handle.as_ptr(), &mut scale) })?;
        Ok(scale as u32)
    }

    /// Resamples `src` into caller-owned `dst` (same channels; sample types may differ).
    pub fn run<T: Sample>(&self, src: &impl AsImage, dst: &mut ImageMut<'_, T>) -> Result<()> {
        self.run_with(src, dst, None, None)
    }

    /// `run` with an optional progress callback and cancel token.
    pub fn run_with<T: Sample>(
        &self,
        src: &impl AsImage,
        dst: &mut ImageMut<'_, T>,
        progress: Option<Progress<'_>>,
        cancel: Option<&CancelToken>,
    ) -> Result<()> {
        let (src, dst) = (src.descriptor(), dst.descriptor_mut());
        with_progress(progress, |callback, user| {
            // SAFETY: src and dst describe memory borrowed for this call (checked lengths); dst is
            // borrowed exclusively; the callback state outlives the call.
            unsafe { sys::upres_resample(self.handle.as_ptr(), &src, &dst, callback, user, cancel_ptr(cancel)) }
        })
    }

    /// Resamples `src` into a new bitmap of `width` x `height` with src's channels and sample type.
    pub fn resample(&self, src: &impl AsImage, width: u32, height: u32) -> Result<Bitmap> {
        self.resample_with(src, width, height, None, None)
    }

    pub fn resample_with(
        &self,
        src: &impl AsImage,
        width: u32,
        height: u32,
        progress: Option<Progress<'_>>,
        cancel: Option<&CancelToken>,
    ) -> Result<Bitmap> {
        let (w, h) = (to_i32(width)?, to_i32(height)?);
        let src = src.descriptor();
        let mut raw = std::ptr::null_mut();
        with_progress(progress, |callback, user| {
            // SAFETY: as run_with; *raw is set only on success.
            unsafe {
                sys::upres_resample_new(self.handle.as_ptr(), &src, w, h, callback, user, cancel_ptr(cancel), &mut raw)
            }
        })?;
        // SAFETY: a new bitmap we now own.
        unsafe { Bitmap::from_raw(raw) }
    }

    pub fn as_ptr(&self) -> *const sys::upres_resampler {
        self.handle.as_ptr()
    }
}

impl Drop for Resampler {
    fn drop(&mut self) {
        // SAFETY: we own the handle; no run can be in flight (runs borrow &self).
        unsafe { sys::upres_resampler_destroy(self.handle.as_ptr()) }
    }
}

/// Cancels runs from any thread; may be shared by several runs.
pub struct CancelToken {
    handle: NonNull<sys::upres_cancel_token>,
}

// The C ABI: cancel may be called from any thread at any time.
unsafe impl Send for CancelToken {}
unsafe impl Sync for CancelToken {}

impl CancelToken {
    pub fn new() -> Result<CancelToken> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid out pointer.
        check(unsafe { sys::upres_cancel_token_create(&mut raw) })?;
        Ok(CancelToken { handle: NonNull::new(raw).expect("upres_cancel_token_create succeeded") })
    }

    /// Runs sharing the token stop at their next check with `ErrorKind::Cancelled`.
    pub fn cancel(&self) -> Result<()> {
        // SAFETY: thread-safe in the C ABI.
        check(unsafe { sys::upres_cancel_token_cancel(self.handle.as_ptr()) })
    }

    pub fn reset(&self) -> Result<()> {
        // SAFETY: thread-safe in the C ABI.
        check(unsafe { sys::upres_cancel_token_reset(self.handle.as_ptr()) })
    }

    pub fn is_cancelled(&self) -> Result<bool> {
        let mut value = 0;
        // SAFETY: live handle, valid out pointer.
        check(unsafe { sys::upres_cancel_token_is_cancelled(self.handle.as_ptr(), &mut value) })?;
        Ok(value != 0)
    }
}

impl Drop for CancelToken {
    fn drop(&mut self) {
        // SAFETY: we own the handle; runs using it borrow &self, so none is in flight.
        unsafe { sys::upres_cancel_token_destroy(self.handle.as_ptr()) }
    }
}

fn cancel_ptr(cancel: Option<&CancelToken>) -> *mut sys::upres_cancel_token {
    cancel.map_or(std::ptr::null_mut(), |t| t.handle.as_ptr())
}

/// What the C callback reaches through user_data: the closure, and a panic it raised.
struct ProgressState<'a, 'b> {
    progress: &'a mut Progress<'b>,
    panic: Option<Box<dyn Any + Send>>,
}

unsafe extern "C" fn progress_trampoline(done: u64, total: u64, user: *mut c_void) -> i32 {
    // SAFETY: user_data is the &mut ProgressState passed by with_progress for this call only.
    let state = unsafe { &mut *(user as *mut ProgressState<'_, '_>) };
    if state.panic.is_some() {
        return 1;
    }
    // A panic must not unwind into C: catch it, cancel the run, and resume it once C returned.
    match catch_unwind(AssertUnwindSafe(|| (state.progress)(done, total))) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(payload) => {
            state.panic = Some(payload);
            1
        }
    }
}

fn with_progress(
    mut progress: Option<Progress<'_>>,
    call: impl FnOnce(sys::upres_progress_fn, *mut c_void) -> i32,
) -> Result<()> {
    let status = match progress.as_mut() {
        None => call(None, std::ptr::null_mut()),
        Some(progress) => {
            let mut state = ProgressState { progress, panic: None };
            let status = call(Some(progress_trampoline), &mut state as *mut ProgressState<'_, '_> as *mut c_void);
            if let Some(payload) = state.panic {
                resume_unwind(payload);
            }
            status
        }
    };
    check(status)
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Resampler({:p})", self.handle)
    }
}

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CancelToken({:p})", self.handle)
    }
}
