#!/usr/bin/env python3
"""Oracle for the Gaussian blur degradation: scipy.ndimage with edge replication.

usage: blur_reference.py IN.hdr SIGMA OUT.raw   (writes float32 H*W*C, colour channels blurred)
"""
import sys

import numpy as np
from PIL import Image  # noqa: F401  (keeps the dependency list the same as other oracles)
from scipy import ndimage


def read_raw(path, w, h, c):
    return np.fromfile(path, dtype=np.float32).reshape(h, w, c)


def main():
    src, w, h, c, sigma, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    im = read_raw(src, w, h, c).astype(np.float64)
    res = np.empty_like(im)
    for k in range(c):
        res[:, :, k] = ndimage.gaussian_filter(im[:, :, k], sigma, mode="nearest", truncate=3.0)
    res.astype(np.float32).tofile(out)


if __name__ == "__main__":
    main()
