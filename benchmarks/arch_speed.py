#!/usr/bin/python3
"""upres against PyTorch eager fp32 on the same weights, for every architecture family whose test
(tests/arch/test_<family>.py) offers `bench_models()`: a list of (label, module, scale) at the
published sizes, with random weights the family accepts (the speed does not depend on them), one input of SIZE x SIZE,
THREADS threads for both; each side is warmed up once, then timed REPEAT times alternately and
the minimum kept (the machine is noisy). GFLOP/s are counted from the PyTorch module's
convolutions and linear layers (2 flops per multiply-add), not from upres.

With --rss N, each model also runs once through the command-line program on an N x N PNG (as users
call it: `upres upscale in.png -o out.png --model FILE --precision fp32`, default tile), in a child
process whose peak resident memory (getrusage's ru_maxrss) is reported: the whole process, the
weights, libtorch and the tiles' activations together.

  benchmarks/arch_speed.py [--size 256] [--threads 2] [--repeat 3] [--only span,plksr] [--rss 512]
Needs a build (UPRES_LIBRARY or build/libupres.so; the CLI beside it in bin/ for --rss) and
Debian's python3-torch.
"""
import argparse
import glob
import importlib
import os
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "arch"))
os.environ.setdefault("UPRES_LIBRARY", os.path.join(here, "..", "build", "libupres.so"))

import archtest  # noqa: E402  (exits 77 without torch or the library)
from archtest import np, nn, torch, upres  # noqa: E402


def count_macs(module, x):
    total = [0]

    def hook(m, inputs, output):
        if isinstance(m, nn.Conv2d):
            total[0] += output.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.ConvTranspose2d):
            total[0] += inputs[0].numel() * (m.out_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total[0] += output.numel() * m.in_features
    handles = [m.register_forward_hook(hook) for m in module.modules()]
    with torch.no_grad():
        module(x)
    for h in handles:
        h.remove()
    return total[0]


def peak_rss_mb(cli, model, size, threads, d):
    """Peak RSS (MB) of one `upres upscale` of a size x size PNG with `model`, in a child process."""
    from PIL import Image
    src, dst = os.path.join(d, "rss-in.png"), os.path.join(d, "rss-out.png")
    Image.fromarray((archtest.image(size, size) * 255).round().astype(np.uint8)).save(src)
    code = ("import resource, subprocess, sys\n"
            "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
            "sys.stderr.write(r.stderr.decode()) if r.returncode else None\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.exit(r.returncode)")
    out = subprocess.run([sys.executable, "-c", code, cli, "upscale", src, "-o", dst, "--model", model,
                          "--precision", "fp32", "--threads", str(threads)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError("upres upscale failed: " + out.stderr.strip())
    return int(out.stdout.split()[-1]) / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--rss", type=int, default=0, help="also report the CLI's peak RSS on an N x N input")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    only = set(filter(None, a.only.split(",")))
    rows = []
    cli = os.path.join(os.path.dirname(os.environ["UPRES_LIBRARY"]), "bin", "upres")
    with tempfile.TemporaryDirectory() as d:
        for path in sorted(glob.glob(os.path.join(here, "..", "tests", "arch", "test_*.py"))):
            family = os.path.basename(path)[5:-3]
            if only and family not in only:
                continue
            mod = importlib.import_module("test_" + family)
            if not hasattr(mod, "bench_models"):
                continue
            for label, module, scale in mod.bench_models():
                file = os.path.join(d, label + ".safetensors")
                archtest.save_safetensors(file, archtest.state_dict(module))
                img = archtest.image(a.size, a.size)
                x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
                macs = count_macs(module, x)
                r = upres.Resampler("model", model=file, precision="fp32", threads=a.threads)
                w = h = a.size * scale

                def run_torch():
                    with torch.no_grad():
                        module(x)

                def run_upres():
                    r.resample(img, w, h)
                best = {"torch": 1e9, "upres": 1e9}
                run_torch(), run_upres()
                for _ in range(a.repeat):
                    for name, fn in (("torch", run_torch), ("upres", run_upres)):
                        t0 = time.perf_counter()
                        fn()
                        best[name] = min(best[name], time.perf_counter() - t0)
                rss = peak_rss_mb(cli, file, a.rss, a.threads, d) if a.rss else None
                rows.append((label, best["torch"], best["upres"], macs, rss))
                print("%-28s torch %8.1f ms  upres %8.1f ms  %5.2fx  upres %6.1f GFLOP/s (%.1f GFLOP)%s" % (
                    label, best["torch"] * 1e3, best["upres"] * 1e3, best["torch"] / best["upres"],
                    2 * macs / best["upres"] / 1e9, 2 * macs / 1e9,
                    "  peak RSS %.0f MB at %dx%d" % (rss, a.rss, a.rss) if rss else ""), flush=True)
    rss_head = " | peak RSS %dx%d (MB)" % (a.rss, a.rss) if a.rss else ""
    print("\n| model | PyTorch eager fp32 (ms) | upres fp32 (ms) | speed-up | upres GFLOP/s%s |\n|---|---:|---:|---:|---:%s|" % (
        rss_head, "|---:" if a.rss else ""))
    for label, t, u, macs, rss in rows:
        print("| %s | %.0f | %.0f | %.2fx | %.0f%s |" % (label, t * 1e3, u * 1e3, t / u, 2 * macs / u / 1e9,
                                                       " | %.0f" % rss if rss else ""))


if __name__ == "__main__":
    main()
