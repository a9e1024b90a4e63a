#!/usr/bin/env python3
"""Peer resizers as oracles for the classical tests.

usage: peer_resize.py pillow FILTER IN.png W H OUT.png      (Pillow, antialiased as Pillow does)
       peer_resize.py opencv-cubic IN.png W H OUT.png       (cv2.resize INTER_CUBIC, a = -0.75)
       peer_resize.py astronaut OUT.png                      (skimage's CC0 astronaut as a PNG)
"""
import sys

import numpy as np
from PIL import Image


def main():
    kind = sys.argv[1]
    if kind == "astronaut":
        from skimage import data
        Image.fromarray(data.astronaut()).save(sys.argv[2])
    elif kind == "pillow":
        flt = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos3": Image.LANCZOS,
               "box": Image.BOX, "nearest": Image.NEAREST}[sys.argv[2]]
        im = Image.open(sys.argv[3])
        im.resize((int(sys.argv[4]), int(sys.argv[5])), flt).save(sys.argv[6])
    elif kind == "opencv-cubic":
        import cv2
        im = np.asarray(Image.open(sys.argv[2]))
        out = cv2.resize(im, (int(sys.argv[3]), int(sys.argv[4])), interpolation=cv2.INTER_CUBIC)
        Image.fromarray(out).save(sys.argv[5])
    else:
        raise SystemExit("unknown kind " + kind)


if __name__ == "__main__":
    main()
