#!/usr/bin/env python3
"""The example every language repeats: load an image, upscale it x4 with lanczos3 and, when
$UPRES_EXAMPLE_MODEL names a model file, with that model; write PNGs.
Usage: upscale.py INPUT OUTPUT_PREFIX  (writes OUTPUT_PREFIX-lanczos3-x4.png, OUTPUT_PREFIX-model-x4.png)
The input's metadata (colour profile, EXIF, XMP, IPTC) goes into the outputs.
Needs bindings/python on PYTHONPATH (or the package installed).
"""
import os
import sys

import upres


def upscale(resampler, image, output):
    upres.check_output(output, image.shape[1] * 4, image.shape[0] * 4, image.shape[2])
    big = resampler.upscale(image, 4)
    upres.save_file(output, big, metadata=image)  # the result keeps the input's metadata
    print(f"wrote {output} ({big.shape[1]}x{big.shape[0]})")


def main(argv):
    if len(argv) != 3:
        print("usage: upscale.py INPUT OUTPUT_PREFIX", file=sys.stderr)
        return 2
    _, path, prefix = argv
    try:
        image = upres.load_file(path)
        upscale(upres.Resampler("lanczos3"), image, f"{prefix}-lanczos3-x4.png")
        model = os.environ.get("UPRES_EXAMPLE_MODEL")
        if not model:
            print("model: skipped (set UPRES_EXAMPLE_MODEL to a model file)")
            return 0
        try:
            resampler = upres.Resampler("model", model=model)
        except upres.UpresError as e:
            if e.status != upres._native.E_UNSUPPORTED:
                raise
            print(f"model: skipped ({e.message})")
            return 0
        upscale(resampler, image, f"{prefix}-model-x4.png")
    except upres.UpresError as e:
        print(f"upscale: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
