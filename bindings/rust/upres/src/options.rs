//! `Options`: a bag of named, typed settings (see docs/c-abi.md). Upres copies what it needs when
//! it takes them, so options may change or drop after a resampler is created.
use std::ffi::{c_char, CStr, CString};
use std::ptr::NonNull;

use upres_sys as sys;

use crate::error::{check, read_string, Error, Result};

pub struct Options {
    handle: NonNull<sys::upres_options>,
}

// The C ABI: not synchronised, but reads from several threads are fine once no thread writes.
// Setters take `&mut self` and getters `&self`, which is exactly that rule.
unsafe impl Send for Options {}
unsafe impl Sync for Options {}

pub(crate) fn c_string(what: &str, value: &str) -> Result<CString> {
    CString::new(value).map_err(|_| Error::invalid(format!("{what} contains a NUL byte: {value:?}")))
}

impl Options {
    pub fn new() -> Result<Options> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid out pointer.
        check(unsafe { sys::upres_options_create(&mut raw) })?;
        Ok(Options { handle: NonNull::new(raw).expect("upres_options_create succeeded") })
    }

    /// An independent copy.
    pub fn try_clone(&self) -> Result<Options> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: live handle, valid out pointer.
        check(unsafe { sys::upres_options_clone(self.handle.as_ptr(), &mut raw) })?;
        Ok(Options { handle: NonNull::new(raw).expect("upres_options_clone succeeded") })
    }

    pub fn set_int(&mut self, name: &str, value: i64) -> Result<&mut Self> {
        let name = c_string("option name", name)?;
        // SAFETY: live handle, NUL-terminated name.
        check(unsafe { sys::upres_options_set_int(self.handle.as_ptr(), name.as_ptr(), value) })?;
        Ok(self)
    }

    pub fn set_double(&mut self, name: &str, value: f64) -> Result<&mut Self> {
        let name = c_string("option name", name)?;
        // SAFETY: as set_int.
        check(unsafe { sys::upres_options_set_double(self.handle.as_ptr(), name.as_ptr(), value) })?;
        Ok(self)
    }

    pub fn set_string(&mut self, name: &str, value: &str) -> Result<&mut Self> {
        let (name, value) = (c_string("option name", name)?, c_string("option value", value)?);
        // SAFETY: as set_int.
        check(unsafe { sys::upres_options_set_string(self.handle.as_ptr(), name.as_ptr(), value.as_ptr()) })?;
        Ok(self)
    }

    /// The value set, or the option's default.
    pub fn get_int(&self, name: &str) -> Result<i64> {
        let name = c_string("option name", name)?;
        let mut value = 0;
        // SAFETY: live handle, valid pointers.
        check(unsafe { sys::upres_options_get_int(self.handle.as_ptr(), name.as_ptr(), &mut value) })?;
        Ok(value)
    }

    pub fn get_double(&self, name: &str) -> Result<f64> {
        let name = c_string("option name", name)?;
        let mut value = 0.0;
        // SAFETY: live handle, valid pointers.
        check(unsafe { sys::upres_options_get_double(self.handle.as_ptr(), name.as_ptr(), &mut value) })?;
        Ok(value)
    }

    pub fn get_string(&self, name: &str) -> Result<String> {
        let name = c_string("option name", name)?;
        // SAFETY: live handle; read_string passes a NULL buffer of capacity 0, then a buffer of the
        // capacity it gives.
        read_string(|buffer, capacity, length| unsafe {
            sys::upres_options_get_string(self.handle.as_ptr(), name.as_ptr(), buffer, capacity, length)
        })
    }

    pub fn as_ptr(&self) -> *const sys::upres_options {
        self.handle.as_ptr()
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { sys::upres_options_destroy(self.handle.as_ptr()) }
    }
}

/// The type of an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionType {
    Int,
    Double,
    String,
}

/// One entry of the library's option table.
#[derive(Debug, Clone)]
pub struct OptionInfo {
    pub name: String,
    pub kind: OptionType,
    pub min: f64,
    pub max: f64,
    pub help: String,
}

/// Every option the library knows, with its type and bounds.
pub fn option_table() -> Vec<OptionInfo> {
    let mut count = 0;
    // SAFETY: valid out pointer.
    if unsafe { sys::upres_option_count(&mut count) } != sys::UPRES_OK {
        return Vec::new();
    }
    let mut table = Vec::new();
    for index in 0..count {
        let (mut name, mut help) = (std::ptr::null(), std::ptr::null());
        let (mut kind, mut min, mut max) = (0, 0.0, 0.0);
        // SAFETY: valid out pointers; the strings are static.
        let status = unsafe { sys::upres_option_describe(index, &mut name, &mut kind, &mut min, &mut max, &mut help) };
        if status != sys::UPRES_OK || name.is_null() {
            continue;
        }
        let text = |p: *const c_char| {
            if p.is_null() {
                String::new()
            } else {
                // SAFETY: static NUL-terminated string from upres.
                unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
            }
        };
        let kind = match kind {
            sys::UPRES_OPTION_INT => OptionType::Int,
            sys::UPRES_OPTION_DOUBLE => OptionType::Double,
            _ => OptionType::String,
        };
        table.push(OptionInfo { name: text(name), kind, min, max, help: text(help) });
    }
    table
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Options({:p})", self.handle)
    }
}
