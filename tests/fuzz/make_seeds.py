"""Writes small seed corpora for the fuzz targets, made by Python and PyTorch (never by upres):
torch.save checkpoints in both formats, their pickles, zip variants and safetensors files.

usage: make_seeds.py OUTDIR      (creates OUTDIR/<target>/ for each target)
A future fuzz_ncnn target gets its seeds from a make_ncnn_seeds() added here.
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch

out = sys.argv[1]
torch.manual_seed(1)


def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def saved(obj, zip_format=True):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=zip_format)
    return buf.getvalue()


def repack(data, compression):
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", compression) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    return buf.getvalue()


base = torch.randn(3, 2)
checkpoints = {
    "plain": collections.OrderedDict(w=torch.randn(2, 1, 1, 1), b=torch.tensor([1.5, -2.0])),
    "dtypes": {"h": torch.ones(2).half(), "bf": torch.ones(2).bfloat16(), "d": torch.ones(1).double(),
               "i": torch.tensor([7]), "t": base.t(), "v": base[1:]},
    "wrapped": {"params_ema": {"module.x": torch.zeros(1)}, "params": {"x": torch.ones(1)}, "iter": 3},
}
for name, obj in checkpoints.items():
    z = saved(obj)
    legacy = saved(obj, zip_format=False)
    put("fuzz_pth", name + ".zip.pth", z)
    put("fuzz_pth", name + ".legacy.pth", legacy)
    put("fuzz_zip", name + ".zip", z)
    with zipfile.ZipFile(io.BytesIO(z)) as zf:
        pkl = [n for n in zf.namelist() if n.endswith("data.pkl")][0]
        put("fuzz_pickle", name + ".data.pkl", zf.read(pkl))
put("fuzz_zip", "deflated.zip", repack(saved(checkpoints["plain"]), zipfile.ZIP_DEFLATED))
put("fuzz_pth", "deflated.pth", repack(saved(checkpoints["plain"]), zipfile.ZIP_DEFLATED))
for proto in (2, 3, 4, 5):
    put("fuzz_pickle", "mixed.p%d.pkl" % proto, pickle.dumps(
        {"a": [1, -2, 1 << 70, 2.5, None, True], "b": ("x", b"y", (1, 2, 3)), "c": collections.OrderedDict(k=1)},
        protocol=proto))
put("fuzz_pickle", "evil.pkl", pickle.dumps({"x": (os.system, ("true",))}, protocol=2))


def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


put("fuzz_safetensors", "two.safetensors", safetensors(
    {"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)), "n": ("I64", [], struct.pack("<q", 5))},
    {"arch": "srcnn", "scale": "2"}))
put("fuzz_safetensors", "half.safetensors", safetensors({"h": ("F16", [3], b"\x00\x3c\x00\x40\x00\xc0")}))
put("fuzz_pth", "st.safetensors", safetensors({"module.w": ("BF16", [1], b"\x80\x3f")}))
print("seeds written to", out)
