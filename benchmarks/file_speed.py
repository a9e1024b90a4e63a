#!/usr/bin/python3
"""Image files at photo size: decoding and encoding a 24-megapixel (6000 x 4000) photo-like image as
JPEG, PNG and WebP, in one run, each the best of --repeat runs:
- upres's library in-process (the Python binding: upres.load_file + upres.save_file), beside Pillow
  in-process (open, load, save);
- upres's command (`upres upscale --method nearest --scale 1`: start, decode, copy, encode: what a
  user's command does around the upscaling), beside libvips' own command (`vips copy`).
Same settings everywhere: JPEG quality 90 with 4:2:0, PNG zlib level 6, WebP quality 90 at effort 4.
usage: benchmarks/file_speed.py UPRES_BINARY [--repeat N] [--size WxH]
(UPRES_LIBRARY, default the libupres.so beside the binary's folder, is what the binding loads.)"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image


def photo(w, h):
    """Smooth shading, edges and sensor-like noise: compresses as a photograph does (a flat or
    random image would flatter or punish the codecs)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 100 * np.sin(x / 301 + y / 517), 128 + 90 * np.cos(x / 173 - y / 229),
                    128 + 80 * np.sin((x + y) / 97)], -1)
    img[(x.astype(int) // 400 + y.astype(int) // 400) % 2 == 0] *= 0.8
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("upres")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size", default="6000x4000")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    tmp = tempfile.mkdtemp(prefix="upres-file-speed-")
    src = photo(w, h)
    settings = {
        "jpg": ({"quality": 90, "subsampling": 2}, ["--quality", "90", "--set", "chroma_subsampling=420"], "[Q=90,subsample_mode=on]"),
        "png": ({"compress_level": 6}, [], "[compression=6]"),
        "webp": ({"quality": 90, "method": 4}, ["--quality", "90"], "[Q=90,effort=4]"),
    }
    vips = shutil.which("vips")
    os.environ.setdefault("UPRES_LIBRARY", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(a.upres))), "libupres.so"))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python"))
    import upres
    binding_kw = {"jpg": {"quality": 90, "chroma_subsampling": "420"}, "png": {}, "webp": {"quality": 90}}
    print("%d x %d (%.0f Mpx), best of %d; seconds for decode + encode of one file" % (w, h, w * h / 1e6, a.repeat))
    print("%-6s | %12s %12s %8s | %12s %12s %8s" % ("format", "upres lib", "Pillow", "ratio", "upres CLI", "vips CLI", "ratio"))
    for ext, (pil_kw, upres_args, vips_args) in settings.items():
        inp = os.path.join(tmp, "in." + ext)
        src.save(inp, **pil_kw)
        out = os.path.join(tmp, "out." + ext)

        def run_upres():
            subprocess.run([a.upres, "upscale", inp, "-o", out, "--method", "nearest", "--scale", "1"] + upres_args,
                           check=True, capture_output=True)

        def run_vips():
            subprocess.run([vips, "copy", inp, out + vips_args], check=True, capture_output=True)

        def run_pillow():
            im = Image.open(inp)
            im.load()
            im.save(out, **pil_kw)

        def run_library():
            upres.save_file(out, upres.load_file(inp), **binding_kw[ext])

        t_lib = best(run_library, a.repeat)
        t_pil = best(run_pillow, a.repeat)
        t_upres = best(run_upres, a.repeat)
        t_vips = best(run_vips, a.repeat) if vips else float("nan")
        print("%-6s | %12.2f %12.2f %8.2f | %12.2f %12.2f %8.2f" % (ext, t_lib, t_pil, t_lib / t_pil, t_upres, t_vips, t_upres / t_vips))
        sys.stdout.flush()
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
