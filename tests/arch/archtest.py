"""Shared harness of the architecture tests (tests/arch/test_<family>.py), run by Debian's python3.

Each test file writes its own PyTorch reference module (independently of upres), fills it with
random weights, saves them in every format upres reads, and compares upres (through the Python
binding, in this process) with the module. This file holds only what every family's test does the
same way: random weights with non-trivial statistics, the three file formats, running upres,
comparisons, bad-file checks, and the skip protocol (exit 77 when the reference cannot run).

    import archtest
    torch, nn, F = archtest.torch, archtest.nn, archtest.F
    ...
    archtest.main(globals())   # runs every function named test_*; each gets a Workspace
"""
import collections
import json
import os
import struct
import sys
import tempfile
import traceback

SKIP = 77


def _skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - depends on the machine
    _skip("this python has no torch/numpy (%s); the PyTorch references cannot run" % e)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
try:
    import upres
except ImportError as e:  # pragma: no cover
    _skip("cannot load libupres (%s)" % e)

torch.set_num_threads(2)

# ------------------------------------------------------------------------------------ weights
def randomize(module, seed, scale=1.0):
    """Random weights everywhere: convolution / linear weights scaled by 1/sqrt(fan-in) (so deep
    stacks neither vanish nor explode), biases, norm affine parameters and running statistics away
    from their identity values, so every parameter matters to the output."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) * scale / fan_in ** 0.5)
            elif name.endswith("weight"):  # norm / PReLU / scale vectors
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
        for name, b in module.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.1 * torch.randn(b.shape, generator=g))
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=g))
    return module.eval()


# ------------------------------------------------------------------------------------ formats
ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}


def save_safetensors(path, sd, metadata=None):
    """safetensors written from the format's description (no safetensors package in Debian)."""
    header, blobs, off = {}, [], 0
    for k, v in sd.items():
        v = v.detach().contiguous().cpu()
        b = v.reshape(-1).view(torch.uint8).numpy().tobytes() if v.numel() else b""  # reshape: 0-d num_batches_tracked
        header[k] = {"dtype": ST_DTYPES[v.dtype], "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def state_dict(module, drop=()):
    """The module's state dict as a plain OrderedDict (buffers such as num_batches_tracked or
    attention masks that the family does not read can be dropped by name suffix)."""
    return collections.OrderedDict((k, v) for k, v in module.state_dict().items()
                                   if not any(k.endswith(d) for d in drop))


def save_all(ws, stem, sd, metadata=None, wrap="params_ema"):
    """The same weights as .safetensors, a zip .pth wrapped as trainers publish them
    ({wrap: sd}; None for a bare state dict) and a legacy (pre-1.6) .pth with DataParallel's
    'module.' prefix. Returns the three paths."""
    base = os.path.join(ws.dir, stem)
    paths = [base + ".safetensors", base + ".zip.pth", base + ".legacy.pth"]
    save_safetensors(paths[0], sd, metadata)
    torch.save({wrap: sd} if wrap else sd, paths[1])
    torch.save(collections.OrderedDict(("module." + k, v) for k, v in sd.items()), paths[2],
               _use_new_zipfile_serialization=False)
    return paths


# ------------------------------------------------------------------------------------ running
def image(h, w, c=3, seed=0):
    """A test image (H, W, C) float32 on 0..1: smooth gradients plus noise and an edge."""
    g = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(x[..., None] * 0.37 + y[..., None] * 0.23 + np.arange(c) * 1.3)
    base[:, : w // 2] *= 0.7
    return np.clip(base + 0.15 * g.standard_normal((h, w, c)).astype(np.float32), 0, 1).astype(np.float32)


def reference(module, x, scale, clamp=True):
    """The module on an (H, W, C) image, as (H*s, W*s, C) numpy; clamped to 0..1 as upres outputs are."""
    with torch.no_grad():
        t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
        y = module(t)[0].permute(1, 2, 0).numpy()
    assert y.shape[:2] == (x.shape[0] * scale, x.shape[1] * scale), "reference output %s" % (y.shape,)
    return np.clip(y, 0, 1) if clamp else y


def run(path, x, scale, **options):
    """upres on an (H, W, C) float32 image with the model file at `path` (fp32 unless told)."""
    options.setdefault("precision", "fp32")
    r = upres.Resampler("model", model=path, **options)
    return r.resample(np.ascontiguousarray(x), x.shape[1] * scale, x.shape[0] * scale)


def describe(path):
    return upres.model_describe(path)


# ---------------------------------------------------------------------------------- checking
class Failure(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def max_diff(a, b):
    check(a.shape == b.shape, "shapes differ: %s vs %s" % (a.shape, b.shape))
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max())


def check_close(what, ours, expected, tol=1e-4):
    d = max_diff(ours, expected)
    print("  %-60s max |diff| %.3g (limit %.3g)" % (what, d, tol))
    check(d <= tol, "%s: max abs difference %.3g > %.3g" % (what, d, tol))
    return d


def psnr(a, b):
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def expect_model_error(path, *fragments, status="UPRES_E_MODEL"):
    """Opening `path` must fail with `status` and a message containing every fragment."""
    try:
        upres.Resampler("model", model=path)
    except upres.UpresError as e:
        print("  refused as expected: %s" % e.message)
        check(e.status_name == status, "expected %s, got %s: %s" % (status, e.status_name, e.message))
        for f in fragments:
            check(f in e.message, "the message %r does not mention %r" % (e.message, f))
        return e.message
    raise Failure("%s was accepted" % path)


def expect_unsupported_bf16(path, x, scale):
    """precision=bf16 on a CPU without AVX512-BF16: refused with UPRES_E_UNSUPPORTED, naming bf16."""
    try:
        run(path, x, scale, precision="bf16")
    except upres.UpresError as e:
        check(e.status_name == "UPRES_E_UNSUPPORTED" and "bf16" in e.message, "bf16 refused oddly: %s" % e)
        return
    raise Failure("%s: bf16 accepted on a CPU without AVX512-BF16" % path)


def check_detected(path, *fragments):
    text = describe(path)
    print("  detected: " + text)
    for f in fragments:
        check(f in text, "the description %r does not mention %r" % (text, f))
    return text


def check_formats(module, ws, stem, scale, sizes, summary=None, metadata=None, tol=1e-4, drop=(), channels=3,
                  wrap="params_ema", **options):
    """The standard parity check: the module's weights in all three formats, upres's output equal
    to the module's within `tol` on every input size (h, w), and (when given) the detected summary.
    Returns the paths."""
    sd = state_dict(module, drop)
    paths = save_all(ws, stem, sd, metadata, wrap)
    expected = {}
    for path in paths:
        if summary:
            check_detected(path, summary)
        for i, (h, w) in enumerate(sizes):
            x = image(h, w, channels, seed=i)
            if (h, w) not in expected:
                expected[(h, w)] = reference(module, x, scale)
            check_close("%s %dx%d" % (os.path.basename(path), w, h), run(path, x, scale, **options), expected[(h, w)], tol)
    return paths


def check_tiled(path, x, scale, tile, limit=1.0 / 255, **options):
    """Tiled (tile side `tile`, default overlap) against one whole-image run: within `limit`."""
    whole = run(path, x, scale, tile=max(x.shape[0], x.shape[1]), **options)
    tiled = run(path, x, scale, tile=tile, **options)
    return check_close("tiled %d vs untiled on %dx%d" % (tile, x.shape[1], x.shape[0]), tiled, whole, limit)


def built_with_onednn():
    """Whether the library under test was built with oneDNN (its CMake cache says; None when there
    is none beside it): only then must onednn=1 and onednn=0 differ."""
    lib = os.environ.get("UPRES_LIBRARY", "")
    try:
        with open(os.path.join(os.path.dirname(lib), "CMakeCache.txt")) as f:
            return "UPRES_WITH_DNNL:BOOL=ON" in f.read()
    except OSError:
        return None


def cpu_flags():
    """The CPU's feature flags (/proc/cpuinfo), an empty set where there is none."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _onednn_cap():
    return os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "ALL")).upper()


def cpu_has_bf16():
    """Whether the library runs bf16 on this CPU (AVX512-BF16, not capped by ONEDNN_MAX_CPU_ISA:
    src/nn/cpu_features.cpp); elsewhere it refuses precision=bf16."""
    cap = _onednn_cap()
    return "avx512_bf16" in cpu_flags() and (cap in ("ALL", "AVX512_CORE_BF16", "AVX512_CORE_AMX") or cap.startswith("AVX10"))


def onednn_blocked_kernels():
    """Whether oneDNN has its AVX-512 kernels here (not capped by ONEDNN_MAX_CPU_ISA): only then
    does the library run its oneDNN chains (src/nn/onednn_chain.hpp); elsewhere they are ATen's."""
    cap = _onednn_cap()
    return "avx512f" in cpu_flags() and (cap == "ALL" or cap.startswith("AVX512_CORE") or cap.startswith("AVX10"))


def check_onednn_switch(path, module, x, scale, what):
    """onednn=1 (the oneDNN chain) and onednn=0 (plain ATen) both within 1e-4 of the reference, and
    different from each other where the build has oneDNN: the option really switches the arithmetic."""
    expected = reference(module, x, scale)
    fast = run(path, x, scale, onednn=1)
    plain = run(path, x, scale, onednn=0)
    check_close(what + ", onednn=1", fast, expected)
    check_close(what + ", onednn=0", plain, expected)
    d = max_diff(fast, plain)
    print("  %-60s %.3g" % (what + ": onednn=1 vs onednn=0", d))
    with_dnnl = built_with_onednn()
    if with_dnnl is True and not onednn_blocked_kernels():
        print("  (oneDNN has no AVX-512 kernels on this CPU: both runs are ATen's)")
        check(d == 0, what + ": without AVX-512 onednn=1 must fall back to ATen")
    elif with_dnnl is True:
        check(d > 0, what + ": onednn=1 and onednn=0 gave identical results (the switch does nothing)")
    elif with_dnnl is False:
        check(d == 0, what + ": a build without oneDNN gave different results for onednn=1 and onednn=0")


class Workspace:
    def __init__(self, d):
        self.dir = d


def main(namespace):
    """Runs every test_* function of the calling module with a fresh Workspace; exit 0 when all
    pass, 1 when one fails (each failure printed), 77 when a test raised archtest.Skip first."""
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="upres-arch-") as d:
        for name, fn in tests:
            print("== " + name)
            sub = os.path.join(d, name)
            os.makedirs(sub)
            try:
                fn(Workspace(sub))
            except Skip as s:
                _skip(str(s))
            except Exception:  # report and go on: one file, every failure
                traceback.print_exc()
                failed += 1
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)


class Skip(Exception):
    pass
