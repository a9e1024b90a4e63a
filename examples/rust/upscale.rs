//! The example every language repeats: load an image, upscale it x4 with lanczos3 and, when
//! $UPRES_EXAMPLE_MODEL names a model file, with that model; write PNGs.
//! Usage: upscale INPUT OUTPUT_PREFIX  (writes OUTPUT_PREFIX-lanczos3-x4.png, OUTPUT_PREFIX-model-x4.png)
//! The input's metadata (colour profile, EXIF, XMP, IPTC) goes into the outputs.
use upres::{ErrorKind, Options, Resampler};

fn upscale(resampler: &Resampler, input: &upres::Bitmap, output: &str) -> upres::Result<()> {
    upres::check_output(
        output,
        input.width() * 4,
        input.height() * 4,
        input.channels(),
        None,
    )?;
    let mut big = resampler.resample(input, input.width() * 4, input.height() * 4)?;
    big.copy_metadata_from(input)?;
    upres::save_file(output, &big, None)?;
    println!("wrote {output} ({}x{})", big.width(), big.height());
    Ok(())
}

fn run(input: &str, prefix: &str) -> upres::Result<()> {
    let image = upres::load_file(input, None)?;
    upscale(
        &Resampler::new("lanczos3", None)?,
        &image,
        &format!("{prefix}-lanczos3-x4.png"),
    )?;

    let Some(model) = std::env::var_os("UPRES_EXAMPLE_MODEL") else {
        println!("model: skipped (set UPRES_EXAMPLE_MODEL to a model file)");
        return Ok(());
    };
    let mut options = Options::new()?;
    options.set_string("model", &model.to_string_lossy())?;
    match Resampler::new("model", Some(&options)) {
        Ok(resampler) => upscale(&resampler, &image, &format!("{prefix}-model-x4.png")),
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            println!("model: skipped ({})", e.message);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: upscale INPUT OUTPUT_PREFIX");
        std::process::exit(2);
    }
    if let Err(e) = run(&args[1], &args[2]) {
        eprintln!("upscale: {e}");
        std::process::exit(1);
    }
}
