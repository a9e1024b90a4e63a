#!/usr/bin/python3
"""Real-CUGAN (UpCunet2x / 3x / 4x at their only size): upres against the PyTorch reference of
tests/arch/test_realcugan.py (eager fp32, same random weights) on a 256x256 input, both on 2
threads; the minimum of a few alternating runs (the machine is shared). upres runs at its default
tile (512: the 256x256 image plus its padding is one tile). Not part of the suite.

    UPRES_LIBRARY=build/libupres.so python3 benchmarks/arch_speed_realcugan.py [runs] [size] [scales]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "arch"))
import archtest  # noqa: E402
import test_realcugan  # noqa: E402
from archtest import np, torch, upres  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
size = int(sys.argv[2]) if len(sys.argv) > 2 else 256
scales = [int(s) for s in (sys.argv[3] if len(sys.argv) > 3 else "2,3,4").split(",")]
torch.set_num_threads(2)
x = archtest.image(size, size)
t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
for scale in scales:
    m = archtest.randomize(test_realcugan.UpCunet(scale), seed=scale)
    path = "/tmp/arch_speed_realcugan_x%d.safetensors" % scale
    archtest.save_safetensors(path, archtest.state_dict(m))
    r = upres.Resampler("model", model=path, precision="fp32", threads=2)
    fns = [lambda: m(t), lambda: r.resample(x, scale * size, scale * size)]
    times = [[] for _ in fns]
    with torch.no_grad():
        for fn in fns:
            fn()  # warm-up
        for _ in range(runs):
            for i, fn in enumerate(fns):
                t0 = time.perf_counter()
                fn()
                times[i].append(time.perf_counter() - t0)
    te, tu = min(times[0]), min(times[1])
    print("x%d %dx%d: PyTorch eager %.3f s, upres %.3f s, upres %.2fx faster" % (scale, size, size, te, tu, te / tu))
