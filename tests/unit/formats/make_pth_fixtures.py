"""Writes .pth fixtures with torch.save (zip and legacy formats) and, for each, the tensors the
reader must produce as a .safetensors file written here by hand, so test_pth.cpp compares against
PyTorch's own values. Also writes malicious checkpoints whose pickles call os.system & co.

usage: make_pth_fixtures.py OUTDIR MARKER_PATH
       make_pth_fixtures.py --expected CHECKPOINT KEY OUT.safetensors   (KEY "" = the top level)
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


ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write_expected(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        b = raw_bytes(tensors[name])
        header[name] = {"dtype": ST_DTYPES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


if sys.argv[1] == "--expected":
    checkpoint = torch.load(sys.argv[2], map_location="cpu")
    state = checkpoint[sys.argv[3]] if sys.argv[3] else checkpoint
    write_expected(sys.argv[4], {k: v for k, v in state.items() if isinstance(v, torch.Tensor)})
    sys.exit(0)

out, marker = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
torch.manual_seed(7)


def save_both(obj, stem):
    torch.save(obj, os.path.join(out, stem + ".zip.pth"))
    torch.save(obj, os.path.join(out, stem + ".legacy.pth"), _use_new_zipfile_serialization=False)


# Every dtype, a transposed view and an offset view sharing one storage, a Parameter.
base = torch.randn(6, 5)
sd = collections.OrderedDict()
sd["conv.weight"] = torch.randn(4, 3, 3, 3)
sd["conv.bias"] = torch.nn.Parameter(torch.randn(4))
sd["half"] = torch.randn(2, 7).half()
sd["bf16"] = torch.randn(3, 2).bfloat16()
sd["double"] = torch.randn(5).double()
sd["steps"] = torch.tensor([3, -9, 1 << 40], dtype=torch.int64)
sd["flag"] = torch.tensor([True, False, True])
sd["bytes"] = torch.tensor([0, 255, 7], dtype=torch.uint8)
sd["scalar"] = torch.tensor(2.5)
sd["empty"] = torch.zeros(0, 3)
sd["base"] = base
sd["transposed"] = base.t()               # non-contiguous, same storage
sd["offset_rows"] = base[2:4]             # storage offset 10
sd["strided"] = base[1:, ::2]             # offset and strides
expected = {k: v for k, v in sd.items()}
write_expected(os.path.join(out, "plain.expected.safetensors"), expected)
save_both(sd, "plain")

# A deflated copy of the zip file: some tools re-pack checkpoints with compression.
with zipfile.ZipFile(os.path.join(out, "plain.zip.pth")) as src, \
        zipfile.ZipFile(os.path.join(out, "plain.deflated.pth"), "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))

# ZIP64 records and extra fields on a small file: lower zipfile's 4 GiB threshold while writing.
zip64_limit = zipfile.ZIP64_LIMIT
zipfile.ZIP64_LIMIT = 16
with zipfile.ZipFile(os.path.join(out, "plain.zip.pth")) as src, \
        zipfile.ZipFile(os.path.join(out, "plain.zip64.pth"), "w") as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))
zipfile.ZIP64_LIMIT = zip64_limit
with open(os.path.join(out, "plain.zip64.pth"), "rb") as f:
    assert b"PK\x06\x06" in f.read(), "no zip64 end record written"
assert zipfile.ZipFile(os.path.join(out, "plain.zip64.pth")).testzip() is None

# Wrapped state dicts: params_ema wins over params; 'module.' prefixes go; non-tensors ignored.
small = collections.OrderedDict(a=torch.randn(2, 2), b=torch.randn(3))
decoy = collections.OrderedDict(a=torch.zeros(2, 2), b=torch.zeros(3))
save_both({"params": decoy, "params_ema": small, "iter": 5, "note": "trained"}, "ema")
save_both({"state_dict": collections.OrderedDict(("module." + k, v) for k, v in small.items()), "epoch": 3},
          "module")
save_both(collections.OrderedDict([("netG.module.a", small["a"]), ("b", small["b"]), ("lr", 0.5)]), "prefixes")
write_expected(os.path.join(out, "small.expected.safetensors"), dict(small))


# Tensors whose views lie about their storage: an expanded view of 2^80 elements, and a view that
# reaches past the end of its storage. torch.save writes the rebuild call as given.
class View:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


store = torch.randn(10).storage()
save_both({"huge": View(store, 0, (1 << 40, 1 << 40), (0, 0))}, "huge_view")
save_both({"past": View(store, 4, (3, 3), (3, 1))}, "past_end")

# TorchScript is a zip with code/ and constants.pkl: not a state dict.
torch.jit.save(torch.jit.script(torch.nn.Conv2d(1, 1, 1)), os.path.join(out, "scripted.pt"))

# Malicious checkpoints: pickles whose REDUCE would run a shell command.
class Evil:
    def __init__(self, fn):
        self.fn = fn

    def __reduce__(self):
        return (self.fn, ("touch " + marker,) if self.fn is os.system else ("open(%r, 'w')" % marker,))


def zip_with_pickle(path, data_pkl):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/version", "3\n")


def legacy_with_pickle(path, obj_pkl):
    with open(path, "wb") as f:
        f.write(pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2))
        f.write(pickle.dumps(1001, protocol=2))
        f.write(pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2))
        f.write(obj_pkl)
        f.write(pickle.dumps([], protocol=2))


# torch.save itself: os.system pickles as posix.system.
save_both({"w": torch.ones(1), "payload": Evil(os.system)}, "evil_posix_system")
for fn in (eval, exec):
    for proto in (2, 4):  # GLOBAL and STACK_GLOBAL
        stem = "evil_builtins_%s_p%d" % (fn.__name__, proto)
        data = pickle.dumps({"w": Evil(fn)}, protocol=proto)
        zip_with_pickle(os.path.join(out, stem + ".zip.pth"), data)
        legacy_with_pickle(os.path.join(out, stem + ".legacy.pth"), data)
# A hand-written GLOBAL 'os\nsystem' (Python itself would write posix).
cmd = ("touch " + marker).encode()
os_system = b"\x80\x02cos\nsystem\nq\x00X" + struct.pack("<I", len(cmd)) + cmd + b"\x85R."
zip_with_pickle(os.path.join(out, "evil_os_system.zip.pth"), os_system)
legacy_with_pickle(os.path.join(out, "evil_os_system.legacy.pth"), os_system)

# The payloads are live: Python's own unpickler runs the command (the marker is then removed).
pickle.loads(os_system)
assert os.path.exists(marker), "payload did not run under pickle.loads"
os.remove(marker)
print("fixtures written to", out)
