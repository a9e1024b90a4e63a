#!/usr/bin/python3
"""SPAN x4 at its published size (48 features): upres against the PyTorch reference of
tests/arch/test_span.py (eager fp32, same weights) on a 256x256 input, both on 2 threads; the
minimum of a few runs (the machine is shared). The reference composes each Conv3XC's kernel in
every forward, as the official code's eval mode does; "PyTorch, kernels cached" times it with the
composed kernels computed once (the convolutions alone). Not part of the suite.

    UPRES_LIBRARY=build/libupres.so python3 benchmarks/arch_speed_span.py [runs] [size]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "arch"))
import archtest  # noqa: E402
import test_span  # noqa: E402
from archtest import np, torch, upres  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
size = int(sys.argv[2]) if len(sys.argv) > 2 else 256
torch.set_num_threads(2)
m = test_span.make(48, 4, True, seed=1)
path = "/tmp/arch_speed_span.safetensors"
archtest.save_safetensors(path, archtest.state_dict(m))
x = archtest.image(size, size)
t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
r = upres.Resampler("model", model=path, precision="fp32", threads=2, tile=size)


cached = {}
for mod in m.modules():
    if isinstance(mod, test_span.Conv3XC):
        with torch.no_grad():
            cached[mod] = mod.fused()


def cached_kernels(on):
    for mod, (w, b) in cached.items():
        if on:
            mod.forward = (lambda w, b: lambda x: torch.nn.functional.conv2d(x, w, b, padding=1))(w, b)
        else:
            mod.__dict__.pop("forward", None)


def eager():
    cached_kernels(False)
    m(t)


def eager_cached():
    cached_kernels(True)
    m(t)


# Alternating runs, so that the shared machine's load falls on all three alike.
fns = [eager, eager_cached, lambda: r.resample(x, 4 * size, 4 * size)]
times = [[] for _ in fns]
with torch.no_grad():
    for fn in fns:
        fn()  # warm-up
    for _ in range(runs):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
tp, tc, tu = (min(ts) for ts in times)
D, out, s2 = 48, 3, 16
mpp = 9 * 3 * D + 19 * 9 * D * D + 4 * D * D + 9 * D * out * s2
flop = 2.0 * mpp * size * size
print("SPAN x4, 48 features, %dx%d, 2 threads, min of %d" % (size, size, runs))
print("  PyTorch eager fp32:                 %.3f s  (%.1f GFLOP/s)" % (tp, flop / tp / 1e9))
print("  PyTorch eager fp32, kernels cached: %.3f s  (%.1f GFLOP/s)" % (tc, flop / tc / 1e9))
print("  upres fp32:                         %.3f s  (%.1f GFLOP/s)" % (tu, flop / tu / 1e9))
print("  upres / PyTorch speed: %.2fx (%.2fx against cached kernels)" % (tp / tu, tc / tu))
