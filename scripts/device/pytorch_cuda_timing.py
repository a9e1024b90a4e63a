#!/usr/bin/env python3
"""The PyTorch side of cuda-check.sh's model timing: the same weights (the reference modules of
tests/reference/nn_reference.py) on the same images, on CUDA, in the settings a PyTorch user
would pick there (what Real-ESRGAN's inference script does: fp32, or the whole model in fp16).

usage: pytorch_cuda_timing.py MODEL REPEATS IMAGE...
Prints one line per image and setting: best seconds of REPEATS runs after one warm-up, including
the copies to and from the GPU (as upres's times do).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import nn_reference as R  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402


def main():
    model, repeats, images = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    device = os.environ.get("UPRES_TIMING_DEVICE", "cuda")  # "cpu" tries the script without a GPU
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    torch.backends.cudnn.allow_tf32 = False  # fp32 means fp32, as in upres
    torch.backends.cudnn.benchmark = True
    sd, meta = R.load_state_dict(model)
    settings = {"fp32": lambda m: m}
    settings.update({} if device == "cpu" else {
        "fp16": lambda m: m.half(),
        "fp16_channels_last": lambda m: m.half().to(memory_format=torch.channels_last),
        "bf16": lambda m: m.bfloat16(),
    })
    for path in images:
        rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
        x = torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).contiguous()
        for name, prepare in settings.items():
            m = prepare(R.build_from_state_dict(sd, meta).to(device).eval())
            dtype = next(m.parameters()).dtype
            best = float("inf")
            for r in range(repeats + 1):
                sync()
                t0 = time.perf_counter()
                with torch.inference_mode():
                    xi = x.to(device).to(dtype)
                    if "channels_last" in name:
                        xi = xi.contiguous(memory_format=torch.channels_last)
                    out = m(xi).float().clamp(0, 1).mul(255).round().byte().cpu()
                sync()
                if r > 0:
                    best = min(best, time.perf_counter() - t0)
            print("%s %dx%d pytorch %s: %.4f s" % (path, x.shape[3], x.shape[2], name, best), flush=True)


if __name__ == "__main__":
    main()
