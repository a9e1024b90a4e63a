//! Errors: the status code of the failing C call and the library's message for it.
use std::ffi::{c_char, CStr};
use std::fmt;

use upres_sys as sys;

/// What kind of failure a status code names (values fixed by the C ABI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidArgument,
    Unsupported,
    Io,
    Format,
    Model,
    OutOfMemory,
    Cancelled,
    Limit,
    NotFound,
    Internal,
    /// A status this crate does not know (a newer library).
    Unknown(i32),
}

/// A failed upres call: `status` is the C status code, `message` what `upres_last_error()` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: i32,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The error of the C call that just returned `status` on this thread (the message is
    /// per-thread in the C ABI, so it must be read before any other upres call).
    pub(crate) fn last(status: i32) -> Error {
        // SAFETY: upres_last_error returns a NUL-terminated string valid until the next call here.
        let message = unsafe { CStr::from_ptr(sys::upres_last_error()) }.to_string_lossy().into_owned();
        Error { status, message }
    }

    /// An error found by the binding before calling C (e.g. a slice too short for an image).
    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error { status: sys::UPRES_E_INVALID_ARGUMENT, message: message.into() }
    }

    pub fn kind(&self) -> ErrorKind {
        match self.status {
            sys::UPRES_E_INVALID_ARGUMENT => ErrorKind::InvalidArgument,
            sys::UPRES_E_UNSUPPORTED => ErrorKind::Unsupported,
            sys::UPRES_E_IO => ErrorKind::Io,
            sys::UPRES_E_FORMAT => ErrorKind::Format,
            sys::UPRES_E_MODEL => ErrorKind::Model,
            sys::UPRES_E_OUT_OF_MEMORY => ErrorKind::OutOfMemory,
            sys::UPRES_E_CANCELLED => ErrorKind::Cancelled,
            sys::UPRES_E_LIMIT => ErrorKind::Limit,
            sys::UPRES_E_NOT_FOUND => ErrorKind::NotFound,
            sys::UPRES_E_INTERNAL => ErrorKind::Internal,
            other => ErrorKind::Unknown(other),
        }
    }

    /// The constant's name, e.g. "UPRES_E_FORMAT".
    pub fn status_name(&self) -> &'static str {
        status_name(self.status)
    }
}

/// The C name of a status code ("UPRES_E_UNKNOWN" for values it does not know).
pub fn status_name(status: i32) -> &'static str {
    // SAFETY: upres_status_name returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(sys::upres_status_name(status)) }.to_str().unwrap_or("UPRES_E_UNKNOWN")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status_name())
    }
}

impl std::error::Error for Error {}

/// Turns a C status into a Result, reading the message on failure.
pub(crate) fn check(status: i32) -> Result<()> {
    if status == sys::UPRES_OK {
        Ok(())
    } else {
        Err(Error::last(status))
    }
}

/// Reads a string through the C ABI's two-call buffer convention: `call(buffer, capacity, &mut
/// length)` first with a NULL buffer of capacity 0 (length only), then with a buffer that fits.
pub(crate) fn read_string(mut call: impl FnMut(*mut c_char, usize, &mut usize) -> i32) -> Result<String> {
    let mut length = 0usize;
    check(call(std::ptr::null_mut(), 0, &mut length))?;
    let mut buffer = vec![0u8; length + 1];
    check(call(buffer.as_mut_ptr() as *mut c_char, buffer.len(), &mut length))?;
    buffer.truncate(length.min(buffer.len() - 1));
    Ok(String::from_utf8_lossy(&buffer).into_owned())
}
