#!/usr/bin/python3
"""RealPLKSR x4 at its published size (64 features, 28 blocks, kernel 17, GroupNorm): upres against
the PyTorch reference of tests/arch/test_plksr.py (eager fp32, same weights) on a 256x256 input,
both on 2 threads; the minimum of a few runs (the machine is shared). Not part of the suite.

    UPRES_LIBRARY=build/libupres.so python3 benchmarks/arch_speed_plksr.py [runs] [blocks]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "arch"))
import archtest  # noqa: E402
import test_plksr  # noqa: E402
from archtest import np, torch, upres  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
blocks = int(sys.argv[2]) if len(sys.argv) > 2 else 28
torch.set_num_threads(2)
m = archtest.randomize(test_plksr.Net(64, blocks, 4, 17), seed=1)
path = "/tmp/arch_speed_plksr.safetensors"
archtest.save_safetensors(path, test_plksr.sd(m))
x = archtest.image(256, 256)
t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
r = upres.Resampler("model", model=path, precision="fp32", threads=2, tile=256)


def best(fn):
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


with torch.no_grad():
    tp = best(lambda: m(t))
tu = best(lambda: r.resample(x, 1024, 1024))
# multiply-adds per input pixel, as the descriptor counts them
D, S, K, s2 = 64, 16, 17, 16
mpp = 9 * 3 * D + blocks * (2 * D * D * 18 + D * D + S * S * K * K + 9 * D * D) + 9 * D * 3 * s2
flop = 2.0 * mpp * 256 * 256
print("RealPLKSR x4, %d blocks, 256x256, 2 threads, min of %d" % (blocks, runs))
print("  PyTorch eager fp32: %.2f s  (%.1f GFLOP/s)" % (tp, flop / tp / 1e9))
print("  upres fp32:         %.2f s  (%.1f GFLOP/s)" % (tu, flop / tu / 1e9))
print("  upres / PyTorch speed: %.2fx" % (tp / tu))
