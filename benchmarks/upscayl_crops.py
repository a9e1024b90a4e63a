#!/usr/bin/python3
"""Zoomed crops of upscayl-bin's and upres's x4plus outputs side by side, on the darkest region
of the image (where fp16 rounding shows), plus the PSNR between the outputs.

usage: upscayl_crops.py DIR   (reads DIR/upscayl.png, DIR/upres-fp32.png, DIR/upres-bf16.png)
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

d = sys.argv[1]
names = [("upscayl-bin (ncnn fp16, llvmpipe)", "upscayl.png"), ("upres fp32", "upres-fp32.png"), ("upres bf16", "upres-bf16.png")]
imgs = [np.asarray(Image.open(os.path.join(d, f)).convert("RGB")).astype(np.float64) for _, f in names]


def psnr(a, b):
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


print("PSNR upscayl vs upres fp32: %.2f dB; upres bf16 vs fp32: %.2f dB" % (psnr(imgs[0], imgs[1]), psnr(imgs[2], imgs[1])))
# The darkest 64x64 window of the fp32 output (by mean luminance).
c, z = 64, 4
lum = imgs[1].mean(axis=2)
best, pos = None, (0, 0)
for y in range(0, lum.shape[0] - c, 16):
    for x in range(0, lum.shape[1] - c, 16):
        m = lum[y:y + c, x:x + c].mean()
        if best is None or m < best:
            best, pos = m, (y, x)
y, x = pos
font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
font = ImageFont.truetype(font_path, 14) if os.path.exists(font_path) else ImageFont.load_default()
tiles = []
for (label, _), im in zip(names, imgs):
    crop = Image.fromarray(im[y:y + c, x:x + c].astype(np.uint8)).resize((c * z, c * z), Image.NEAREST)
    # Brighten so dark-region artefacts are visible; the same gain for every tile.
    crop = Image.eval(crop, lambda v: min(255, v * 3))
    canvas = Image.new("RGB", (c * z, c * z + 22), "white")
    canvas.paste(crop, (0, 22))
    ImageDraw.Draw(canvas).text((4, 3), label, fill="black", font=font)
    tiles.append(canvas)
sheet = Image.new("RGB", (sum(t.width for t in tiles) + 8 * (len(tiles) - 1), tiles[0].height), "white")
for i, t in enumerate(tiles):
    sheet.paste(t, (i * (t.width + 8), 0))
sheet.save(os.path.join(d, "x4plus-dark-crop.png"))
print("crop at x=%d y=%d (%dx%d, zoom %dx, brightness x3) -> %s" % (x, y, c, c, z, os.path.join(d, "x4plus-dark-crop.png")))
