//! Real runs through the safe API: byte-identical to the C reference, errors, cancellation,
//! progress, panics in callbacks, and one resampler shared by threads.
mod common;

use upres::{CancelToken, ErrorKind, ImageMut, ImageRef, Metric, Options, Resampler};

fn sample() -> upres::Bitmap {
    upres::load_file(common::sample_path(), None).expect("sample image loads")
}

fn f32_bytes(samples: &[f32]) -> Vec<u8> {
    samples.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

#[test]
fn lanczos3_x4_is_byte_identical_to_c() {
    let Some(dir) = common::reference_dir() else { return };
    let src = sample();
    let up = Resampler::new("lanczos3", None).unwrap().resample(&src, src.width() * 4, src.height() * 4).unwrap();
    assert_eq!((up.width(), up.height(), up.channels()), (800, 800, 3));
    let expected = std::fs::read(dir.join("lanczos3_x4.raw")).unwrap();
    assert!(up.to_packed_bytes() == expected, "lanczos3 x4 differs from the C API's output");
}

#[test]
fn options_and_f32_destination_are_byte_identical_to_c() {
    let Some(dir) = common::reference_dir() else { return };
    let src = sample();
    let mut options = Options::new().unwrap();
    options.set_string("edge", "reflect").unwrap().set_double("cubic_a", -0.75).unwrap().set_int("threads", 2).unwrap();
    assert_eq!(options.get_string("edge").unwrap(), "reflect");
    assert_eq!(options.get_double("cubic_a").unwrap(), -0.75);
    let bicubic = Resampler::new("bicubic", Some(&options)).unwrap();
    drop(options); // the resampler keeps its own copy
    let mut pixels = vec![0f32; 150 * 130 * 3];
    bicubic.run(&src, &mut ImageMut::new(&mut pixels, 150, 130, 3).unwrap()).unwrap();
    assert_eq!(f32_bytes(&pixels), std::fs::read(dir.join("bicubic_f32.raw")).unwrap());

    // The same through a padded stride: only the row contents change place.
    let stride = 150 * 3 + 7;
    let mut padded = vec![-1f32; stride * 130];
    bicubic.run(&src, &mut ImageMut::with_stride(&mut padded, 150, 130, 3, stride).unwrap()).unwrap();
    for y in 0..130 {
        assert_eq!(&padded[y * stride..y * stride + 450], &pixels[y * 450..y * 450 + 450]);
        assert!(padded[y * stride + 450..(y + 1) * stride].iter().all(|&v| v == -1.0), "padding written");
    }
}

#[test]
fn evaluation_matches_c() {
    let Some(dir) = common::reference_dir() else { return };
    let metrics = common::read_pairs(dir.join("metrics.txt"));
    let src = sample();
    let seed: u64 = metrics["degrade.seed"].parse().unwrap();
    let degraded = upres::degrade(&src, &metrics["degrade.pipeline"], seed).unwrap();
    assert_eq!(degraded.to_packed_bytes(), std::fs::read(dir.join("degrade.raw")).unwrap());
    let mut options = Options::new().unwrap();
    options.set_string("edge", "reflect").unwrap().set_double("cubic_a", -0.75).unwrap().set_int("threads", 2).unwrap();
    let back =
        Resampler::new("bicubic", Some(&options)).unwrap().resample(&degraded, src.width(), src.height()).unwrap();
    let psnr = upres::psnr(&src, &back, 4, Metric::Luma).unwrap();
    let ssim = upres::ssim(&src, &back, 4, Metric::Luma).unwrap();
    assert_eq!(psnr, metrics["psnr"].parse::<f64>().unwrap());
    assert_eq!(ssim, metrics["ssim"].parse::<f64>().unwrap());
    assert_eq!(upres::psnr(&src, &src, 0, Metric::All).unwrap(), f64::INFINITY);
}

#[test]
fn borrowed_slices_and_files_round_trip() {
    let pixels: Vec<u16> = (0..6 * 5 * 4).map(|i| (i * 541 % 65536) as u16).collect();
    let image = ImageRef::new(&pixels, 6, 5, 4).unwrap();
    let path = common::scratch_dir().join("round_trip.png");
    upres::save_file_image(&path, &image, None).unwrap();
    let info = upres::probe_file(&path, None).unwrap();
    assert_eq!((info.width, info.height, info.channels, info.sample_type), (6, 5, 4, upres::SampleType::U16));
    let back = upres::load_file(&path, None).unwrap();
    assert_eq!(back.samples::<u16>().unwrap(), &pixels[..]);
    assert_eq!(back.samples::<u8>().unwrap_err().kind(), ErrorKind::InvalidArgument);
    let from_memory = upres::load_file_memory(&std::fs::read(&path).unwrap(), None).unwrap();
    assert_eq!(from_memory.to_packed_bytes(), back.to_packed_bytes());

    // A bitmap saved with upres_file_save (its metadata with it) comes back with the same pixels.
    let again = common::scratch_dir().join("round_trip_bitmap.png");
    upres::save_file(&again, &back, None).unwrap();
    assert_eq!(upres::load_file(&again, None).unwrap().to_packed_bytes(), back.to_packed_bytes());
}

#[test]
fn errors_carry_status_and_message() {
    let missing = common::scratch_dir().join("no-such-image.png");
    let error = upres::load_file(&missing, None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io);
    assert_eq!(error.status_name(), "UPRES_E_IO");
    assert!(error.message.contains("no-such-image.png"), "{}", error.message);

    let error = upres::load_file_memory(b"definitely not an image", None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Format, "{error}");

    let error = Resampler::new("no-such-method", None).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::InvalidArgument | ErrorKind::NotFound), "{error}");
    assert!(error.message.contains("no-such-method"), "{}", error.message);

    let mut options = Options::new().unwrap();
    let error = options.set_int("threads", -3).map(|_| ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(error.message.contains("threads"), "{}", error.message);
    assert_eq!(options.set_string("edge", "nul\0byte").map(|_| ()).unwrap_err().kind(), ErrorKind::InvalidArgument);

    // Checked in Rust before C sees it: the slice is one sample short.
    let short = vec![0u8; 4 * 4 * 3 - 1];
    assert_eq!(ImageRef::new(&short, 4, 4, 3).unwrap_err().kind(), ErrorKind::InvalidArgument);

    // Channels must match between source and destination.
    let src = sample();
    let mut gray = vec![0u8; 10 * 10];
    let error = Resampler::new("bilinear", None)
        .unwrap()
        .run(&src, &mut ImageMut::new(&mut gray, 10, 10, 1).unwrap())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
}

#[test]
fn cancellation_by_token_by_callback_and_by_panic() {
    let src = sample();
    let lanczos = Resampler::new("lanczos3", None).unwrap();
    let (w, h) = (src.width() * 4, src.height() * 4);

    let token = CancelToken::new().unwrap();
    token.cancel().unwrap();
    assert!(token.is_cancelled().unwrap());
    let error = lanczos.resample_with(&src, w, h, None, Some(&token)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Cancelled);
    token.reset().unwrap();
    assert!(lanczos.resample_with(&src, w, h, None, Some(&token)).is_ok());

    let mut calls = 0u32;
    let mut last = (0, 0);
    let mut counting = |done: u64, total: u64| {
        calls += 1;
        last = (done, total);
        true
    };
    lanczos.resample_with(&src, w, h, Some(&mut counting), None).unwrap();
    assert!(calls > 0 && last.0 == last.1 && last.1 > 0, "calls {calls}, last {last:?}");

    let mut stop = |_: u64, _: u64| false;
    assert_eq!(lanczos.resample_with(&src, w, h, Some(&mut stop), None).unwrap_err().kind(), ErrorKind::Cancelled);

    // A panic in the callback cancels the run and comes back out of resample_with, not through C.
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut boom = |_: u64, _: u64| -> bool { panic!("progress callback panicked") };
        let _ = lanczos.resample_with(&src, w, h, Some(&mut boom), None);
    }));
    let payload = caught.expect_err("the panic is resumed");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"progress callback panicked"));
}

#[test]
fn one_resampler_many_threads_and_a_cancel_from_another_thread() {
    let src = sample();
    let bicubic = Resampler::new("bicubic", None).unwrap();
    let expected = bicubic.resample(&src, 333, 277).unwrap().to_packed_bytes();
    std::thread::scope(|scope| {
        let runs: Vec<_> =
            (0..4).map(|_| scope.spawn(|| bicubic.resample(&src, 333, 277).unwrap().to_packed_bytes())).collect();
        for run in runs {
            assert!(run.join().unwrap() == expected);
        }
    });

    // A token cancelled from another thread stops a run at its next check: the callback waits
    // for the other thread, so the cancel lands while the run is in flight.
    let token = CancelToken::new().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let shared = &token;
        let canceller = scope.spawn(move || {
            rx.recv().unwrap();
            shared.cancel().unwrap();
        });
        let mut first = true;
        let mut wait_for_cancel = |_: u64, _: u64| {
            if first {
                first = false;
                tx.send(()).unwrap();
                while !token.is_cancelled().unwrap() {
                    std::thread::yield_now();
                }
            }
            true
        };
        let result = bicubic.resample_with(&src, 800, 800, Some(&mut wait_for_cancel), Some(&token));
        canceller.join().unwrap();
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Cancelled);
    });
}

#[test]
fn options_table_and_methods() {
    let methods = upres::methods();
    assert!(methods.iter().any(|m| m == "lanczos3"), "{methods:?}");
    let table = upres::option_table();
    let threads = table.iter().find(|o| o.name == "threads").expect("threads option");
    assert_eq!(threads.kind, upres::OptionType::Int);
    let quality = table.iter().find(|o| o.name == "quality").expect("quality option");
    assert_eq!((quality.kind, quality.min, quality.max), (upres::OptionType::Int, 0.0, 100.0));
    assert!(!table.iter().any(|o| o.name == "jpeg_quality"), "jpeg_quality was renamed quality");
    assert!(table.iter().any(|o| o.name == "tiff_compression" && o.kind == upres::OptionType::String));
    let options = Options::new().unwrap();
    assert_eq!(options.get_string("edge").unwrap(), "clamp"); // the default
    let copy = options.try_clone().unwrap();
    assert_eq!(copy.get_int("threads").unwrap(), options.get_int("threads").unwrap());
}

#[test]
fn method_descriptions_match_c() {
    let lanczos = upres::method_describe("lanczos3", None).unwrap();
    assert!(!lanczos.is_empty());

    let error = upres::method_describe("no-such-method", None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert!(error.message.contains("no-such-method"), "{}", error.message);
    let error = upres::method_describe("nul\0byte", None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");

    // The options reach C: "model" describes the file the option names, here a missing one.
    let mut options = Options::new().unwrap();
    options.set_string("model", "/nonexistent/missing-model.pth").unwrap();
    let error = upres::method_describe("model", Some(&options)).unwrap_err();
    assert!(error.message.contains("missing-model.pth"), "{}", error.message);

    let Some(dir) = common::reference_dir() else { return };
    let c = common::read_pairs(dir.join("describe.txt"));
    let status = c.get("unknown.status").expect("describe.txt has unknown.status");
    assert_eq!(status, &upres::method_describe("no-such-method", None).unwrap_err().status.to_string());
    let described: Vec<_> = c.iter().filter(|(name, _)| name.as_str() != "unknown.status").collect();
    assert!(described.iter().any(|(name, _)| name.as_str() == "lanczos3"), "{c:?}");
    for (name, text) in described {
        assert_eq!(&upres::method_describe(name, None).unwrap(), text, "{name}");
    }
}
