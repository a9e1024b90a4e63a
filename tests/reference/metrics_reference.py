#!/usr/bin/env python3
"""Independent PSNR/SSIM oracle for the library's metrics (scikit-image + numpy).

usage: metrics_reference.py A.png B.png BORDER MODE(luma|all)  -> prints "psnr ssim"
"""
import sys

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def planes(path, border, mode):
    im = np.asarray(Image.open(path)).astype(np.float64)
    if im.ndim == 2:
        im = im[:, :, None]
    if border:
        im = im[border:-border, border:-border]
    if mode == "luma":
        rgb = im[:, :, :3] if im.shape[2] >= 3 else np.repeat(im[:, :, :1], 3, axis=2)
        y = 16.0 + (65.481 * rgb[:, :, 0] + 128.553 * rgb[:, :, 1] + 24.966 * rgb[:, :, 2]) / 255.0
        return [y]
    return [im[:, :, c] for c in range(im.shape[2])]


def main():
    a, b, border, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    pa, pb = planes(a, border, mode), planes(b, border, mode)
    psnr = peak_signal_noise_ratio(np.stack(pa), np.stack(pb), data_range=255)
    ssim = np.mean([structural_similarity(x, y, data_range=255, gaussian_weights=True, sigma=1.5,
                                          use_sample_covariance=False) for x, y in zip(pa, pb)])
    print(f"{psnr:.10f} {ssim:.10f}")


if __name__ == "__main__":
    main()
