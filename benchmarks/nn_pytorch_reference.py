#!/usr/bin/python3
"""PyTorch side of bench_nn: the same RRDBNet weights (a .safetensors written by bench_nn or by
tests/reference/nn_reference.py random-rrdb) run in Debian's python3-torch, in the settings a
PyTorch user would pick on a CPU.

usage: nn_pytorch_reference.py WEIGHTS INPUT.f32 OUTDIR [threads] [repeats] [modes]
  modes: comma-separated subset of eager,channels_last,bf16_autocast,bf16_weights (default: the
  first three). Prints one line per mode: "mode seconds" (best of `repeats`), and writes each
  mode's output as OUTDIR/<mode>.f32 (raw HWC float32 with an int32 h, w, c header).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import nn_reference as R  # noqa: E402
import torch  # noqa: E402


def main():
    weights, inp, outdir = sys.argv[1:4]
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    modes = (sys.argv[6] if len(sys.argv) > 6 else "eager,channels_last,bf16_autocast").split(",")
    torch.set_num_threads(threads)
    os.makedirs(outdir, exist_ok=True)
    sd, meta = R.load_state_dict(weights)
    x = R.read_raw(inp)
    for mode in modes:
        m = R.build_from_state_dict(sd, meta)
        xi = x
        if mode in ("channels_last", "bf16_autocast", "bf16_weights"):
            m = m.to(memory_format=torch.channels_last)
            xi = x.contiguous(memory_format=torch.channels_last)
        if mode == "bf16_weights":
            m = m.bfloat16()
            xi = xi.bfloat16()
        best = float("inf")
        out = None
        for _ in range(repeats):
            t0 = time.perf_counter()
            with torch.inference_mode():
                if mode == "bf16_autocast":
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        out = m(xi)
                else:
                    out = m(xi)
            best = min(best, time.perf_counter() - t0)
        R.write_raw(os.path.join(outdir, mode + ".f32"), out.float().clamp(0, 1))
        print("%s %.4f" % (mode, best), flush=True)


if __name__ == "__main__":
    main()
