//! upres-sys agrees with the C compiler on the struct layout and the constant values.
mod common;

use std::mem::{align_of, offset_of, size_of};

use upres::sys::{self, upres_image};

#[test]
fn struct_layout_matches_c() {
    let Some(dir) = common::reference_dir() else { return };
    let c = common::read_pairs(dir.join("layout.txt"));
    let rust: Vec<(&str, usize)> = vec![
        ("sizeof.upres_image", size_of::<upres_image>()),
        ("alignof.upres_image", align_of::<upres_image>()),
        ("offsetof.upres_image.struct_size", offset_of!(upres_image, struct_size)),
        ("offsetof.upres_image.width", offset_of!(upres_image, width)),
        ("offsetof.upres_image.height", offset_of!(upres_image, height)),
        ("offsetof.upres_image.channels", offset_of!(upres_image, channels)),
        ("offsetof.upres_image.sample_type", offset_of!(upres_image, sample_type)),
        ("offsetof.upres_image.flags", offset_of!(upres_image, flags)),
        ("offsetof.upres_image.stride_bytes", offset_of!(upres_image, stride_bytes)),
        ("offsetof.upres_image.data", offset_of!(upres_image, data)),
    ];
    for (key, value) in rust {
        assert_eq!(c.get(key).map(String::as_str), Some(value.to_string().as_str()), "{key}");
    }
    // Every layout line from C is one we checked: a new field must be added here too.
    assert_eq!(c.keys().filter(|k| !k.starts_with("const.")).count(), 10);
}

#[test]
fn constants_match_c() {
    let Some(dir) = common::reference_dir() else { return };
    let c = common::read_pairs(dir.join("layout.txt"));
    let rust: Vec<(&str, i64)> = vec![
        ("UPRES_OK", sys::UPRES_OK as i64),
        ("UPRES_E_INVALID_ARGUMENT", sys::UPRES_E_INVALID_ARGUMENT as i64),
        ("UPRES_E_UNSUPPORTED", sys::UPRES_E_UNSUPPORTED as i64),
        ("UPRES_E_IO", sys::UPRES_E_IO as i64),
        ("UPRES_E_FORMAT", sys::UPRES_E_FORMAT as i64),
        ("UPRES_E_MODEL", sys::UPRES_E_MODEL as i64),
        ("UPRES_E_OUT_OF_MEMORY", sys::UPRES_E_OUT_OF_MEMORY as i64),
        ("UPRES_E_CANCELLED", sys::UPRES_E_CANCELLED as i64),
        ("UPRES_E_LIMIT", sys::UPRES_E_LIMIT as i64),
        ("UPRES_E_NOT_FOUND", sys::UPRES_E_NOT_FOUND as i64),
        ("UPRES_E_INTERNAL", sys::UPRES_E_INTERNAL as i64),
        ("UPRES_SAMPLE_U8", sys::UPRES_SAMPLE_U8 as i64),
        ("UPRES_SAMPLE_U16", sys::UPRES_SAMPLE_U16 as i64),
        ("UPRES_SAMPLE_F32", sys::UPRES_SAMPLE_F32 as i64),
        ("UPRES_IMAGE_PREMULTIPLIED", sys::UPRES_IMAGE_PREMULTIPLIED as i64),
        ("UPRES_IMAGE_SRGB", sys::UPRES_IMAGE_SRGB as i64),
        ("UPRES_OPTION_INT", sys::UPRES_OPTION_INT as i64),
        ("UPRES_OPTION_DOUBLE", sys::UPRES_OPTION_DOUBLE as i64),
        ("UPRES_OPTION_STRING", sys::UPRES_OPTION_STRING as i64),
        ("UPRES_METRIC_LUMA", sys::UPRES_METRIC_LUMA as i64),
        ("UPRES_METRIC_ALL", sys::UPRES_METRIC_ALL as i64),
        ("UPRES_METADATA_ICC", sys::UPRES_METADATA_ICC as i64),
        ("UPRES_METADATA_EXIF", sys::UPRES_METADATA_EXIF as i64),
        ("UPRES_METADATA_XMP", sys::UPRES_METADATA_XMP as i64),
        ("UPRES_METADATA_IPTC", sys::UPRES_METADATA_IPTC as i64),
        ("UPRES_FORMAT_READ", sys::UPRES_FORMAT_READ as i64),
        ("UPRES_FORMAT_WRITE", sys::UPRES_FORMAT_WRITE as i64),
    ];
    for (name, value) in &rust {
        assert_eq!(c.get(&format!("const.{name}")), Some(&value.to_string()), "{name}");
    }
    assert_eq!(c.keys().filter(|k| k.starts_with("const.")).count(), rust.len());
}

#[test]
fn metadata_kinds_are_the_c_values() {
    use upres::MetadataKind;
    let kinds: Vec<i32> = MetadataKind::ALL.iter().map(|&k| k as i32).collect();
    assert_eq!(
        kinds,
        [sys::UPRES_METADATA_ICC, sys::UPRES_METADATA_EXIF, sys::UPRES_METADATA_XMP, sys::UPRES_METADATA_IPTC]
    );
}

#[test]
fn linked_version_is_the_declared_one() {
    assert_eq!(upres::version_number(), sys::UPRES_VERSION_NUMBER);
    assert_eq!(
        upres::version(),
        format!("{}.{}.{}", sys::UPRES_VERSION_MAJOR, sys::UPRES_VERSION_MINOR, sys::UPRES_VERSION_PATCH)
    );
    let mut raw = -1;
    // SAFETY: valid out pointer.
    assert_eq!(unsafe { sys::upres_cuda_device_count(&mut raw) }, 0);
    assert!(raw >= 0);
    assert_eq!(upres::cuda_device_count().unwrap(), raw as u32);
}

#[test]
fn handles_follow_the_c_threading_rules() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<upres::Resampler>();
    send_sync::<upres::CancelToken>();
    send_sync::<upres::Options>();
    send_sync::<upres::Bitmap>();
}
