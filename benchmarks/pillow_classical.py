#!/usr/bin/python3
"""Times Pillow (single-threaded) on bench_classical's RGB and RGBA u8 cases (RGBA with the same
non-opaque alpha, which Pillow resamples premultiplied); prints JSON for ratios.py. Pillow has no
3-channel float mode, so there is no f32 row.

usage: pillow_classical.py SAMPLE.png > pillow.json
"""
import json
import sys
import time

from PIL import Image

CASES = {"U_1024x768_to_4096x3072": ((1024, 768), (4096, 3072)),
         "D_2560x1600_to_640x400": ((2560, 1600), (640, 400)),
         "D_2560x1600_to_1000x625": ((2560, 1600), (1000, 625))}
FILTERS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos3": Image.LANCZOS}


def best_of(fn, repeats=5):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000.0


def main():
    photo = Image.open(sys.argv[1]).convert("RGB")
    # bench_classical's alpha: 200 + x % 56 on the photo, before it is brought to the input size.
    alpha = Image.new("L", photo.size)
    alpha.putdata([200 + x % 56 for _ in range(photo.size[1]) for x in range(photo.size[0])])
    rgba = photo.copy()
    rgba.putalpha(alpha)
    out = {}
    for case, (src_size, dst_size) in CASES.items():
        for fmt, image in (("rgb8", photo), ("rgba8", rgba)):
            src = image.resize(src_size, Image.LANCZOS)
            for name, flt in FILTERS.items():
                out[f"{case}/{name}/{fmt}/t1"] = best_of(lambda: src.resize(dst_size, flt))
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
