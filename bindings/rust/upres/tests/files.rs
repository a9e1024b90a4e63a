//! Image files and the metadata bitmaps carry: get / set / copy / remove, orientation, the format
//! table (against the C reference), output checks, and saving with metadata.
mod common;

use upres::{sys, Bitmap, ErrorKind, MetadataKind, Options, Resampler, SampleType};

#[test]
fn metadata_get_set_copy_remove() {
    let mut a = Bitmap::new(4, 3, 3, SampleType::U8).unwrap();
    for kind in MetadataKind::ALL {
        assert!(a.metadata(kind).unwrap().is_empty(), "a new bitmap has no {kind:?}");
    }
    assert_eq!(a.orientation().unwrap(), 1);
    a.set_metadata(MetadataKind::Icc, b"profile\0bytes").unwrap();
    a.set_metadata(MetadataKind::Xmp, b"<x:xmpmeta/>").unwrap();
    a.set_orientation(6).unwrap();
    assert_eq!(a.metadata(MetadataKind::Icc).unwrap(), b"profile\0bytes");
    assert_eq!(a.metadata(MetadataKind::Xmp).unwrap(), b"<x:xmpmeta/>");
    assert!(a.metadata(MetadataKind::Exif).unwrap().is_empty());

    let mut b = Bitmap::new(2, 2, 1, SampleType::U16).unwrap();
    b.copy_metadata_from(&a).unwrap();
    assert_eq!(b.metadata(MetadataKind::Icc).unwrap(), a.metadata(MetadataKind::Icc).unwrap());
    assert_eq!(b.metadata(MetadataKind::Xmp).unwrap(), b"<x:xmpmeta/>");
    assert_eq!(b.orientation().unwrap(), 6);
    b.set_metadata(MetadataKind::Icc, &[]).unwrap(); // empty removes
    assert!(b.metadata(MetadataKind::Icc).unwrap().is_empty());
    assert_eq!(a.metadata(MetadataKind::Icc).unwrap(), b"profile\0bytes", "the copy is independent");

    for bad in [0, 9] {
        assert_eq!(a.set_orientation(bad).unwrap_err().kind(), ErrorKind::InvalidArgument, "orientation {bad}");
    }
    assert_eq!(a.orientation().unwrap(), 6);

    // Kinds outside UPRES_METADATA_* cannot be written in safe Rust; C refuses them.
    let (mut data, mut size) = (std::ptr::null(), 0usize);
    // SAFETY: live bitmap, valid out pointers.
    let status = unsafe { sys::upres_bitmap_metadata(a.as_ptr(), 5, &mut data, &mut size) };
    assert_eq!(status, sys::UPRES_E_INVALID_ARGUMENT);
}

#[test]
fn loaded_bitmaps_and_saving_with_metadata() {
    let sample = upres::load_file(common::sample_path(), None).unwrap();
    assert_eq!(sample.orientation().unwrap(), 1);
    let mut options = Options::new().unwrap();
    options.set_int("auto_orient", 0).unwrap();
    let info = upres::probe_file(common::sample_path(), Some(&options)).unwrap();
    assert_eq!((info.width, info.height, info.channels), (200, 200, 3));
    options.set_int("max_pixels", 100).unwrap();
    assert_eq!(upres::load_file(common::sample_path(), Some(&options)).unwrap_err().kind(), ErrorKind::Limit);

    // load -> resample -> copy metadata -> save, then back.
    let mut big = Resampler::new("bilinear", None).unwrap().resample(&sample, 300, 300).unwrap();
    big.copy_metadata_from(&sample).unwrap();
    let path = common::scratch_dir().join("with_metadata.png");
    upres::save_file(&path, &big, None).unwrap();
    assert_eq!(upres::load_file(&path, None).unwrap().to_packed_bytes(), big.to_packed_bytes());

    let jpeg = common::scratch_dir().join("quality.jpg");
    let mut options = Options::new().unwrap();
    options.set_int("quality", 80).unwrap().set_string("chroma_subsampling", "444").unwrap();
    upres::save_file(&jpeg, &sample, Some(&options)).unwrap();
    assert_eq!(upres::probe_file(&jpeg, None).unwrap().width, 200);
    assert_eq!(options.set_int("jpeg_quality", 80).map(|_| ()).unwrap_err().kind(), ErrorKind::InvalidArgument);

    let bad = common::scratch_dir().join("nowhere.xyz");
    assert_eq!(upres::save_file(&bad, &sample, None).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(!bad.exists(), "nothing written on failure");
}

#[test]
fn check_output_names_the_format_limits() {
    let formats = upres::file_formats().unwrap();
    let webp_writable = formats.iter().any(|f| f.name == "webp" && f.write);
    upres::check_output("out.png", 20000, 10, 4, None).unwrap();
    let error = upres::check_output("out.webp", 20000, 10, 3, None).unwrap_err();
    if webp_writable {
        assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
        assert!(error.message.contains("16383"), "{}", error.message);
    } else {
        assert_eq!(error.kind(), ErrorKind::Unsupported, "{error}");
    }
    let error = upres::check_output("out.jpg", 70000, 10, 3, None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    assert!(error.message.contains("65535"), "{}", error.message);
    assert_eq!(upres::check_output("out.jpg", 10, 10, 4, None).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(upres::check_output("out.xyz", 10, 10, 3, None).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn file_formats_match_c() {
    let formats = upres::file_formats().unwrap();
    let png = formats.iter().find(|f| f.name == "png").expect("png is known");
    assert!(png.read && png.write && png.extensions.iter().any(|e| e == "png"), "{png:?}");
    let jpeg = formats.iter().find(|f| f.name == "jpeg").expect("jpeg is known");
    assert!(jpeg.extensions.iter().any(|e| e == "jpg"), "{jpeg:?}");
    assert!(formats.iter().all(|f| f.codec == "libvips" || f.codec == "stb"), "{formats:?}");

    let Some(dir) = common::reference_dir() else { return };
    let c = common::read_pairs(dir.join("formats.txt"));
    assert_eq!(c["format.count"], formats.len().to_string());
    for f in &formats {
        let line = c.get(&format!("format.{}", f.name)).unwrap_or_else(|| panic!("formats.txt lacks {}", f.name));
        let mut parts = line.splitn(3, ' ');
        let flags: i32 = parts.next().unwrap().parse().unwrap();
        let expected_flags =
            (if f.read { sys::UPRES_FORMAT_READ } else { 0 }) | (if f.write { sys::UPRES_FORMAT_WRITE } else { 0 });
        assert_eq!(flags, expected_flags, "{}", f.name);
        assert_eq!(parts.next().unwrap(), f.codec, "{}", f.name);
        assert_eq!(parts.next().unwrap().split_whitespace().collect::<Vec<_>>(), f.extensions, "{}", f.name);
    }
}
