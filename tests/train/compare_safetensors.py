"""Compares the tensors of two .safetensors files (names, dtypes, shapes and bytes), read with the
format's own definition (8-byte little-endian header length, JSON header, data), independent of
upres's reader. Prints the first difference; exit 0 when equal, 1 when not.
usage: compare_safetensors.py A B [METADATA_KEY=VALUE ...]  (checks B's metadata too)"""
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    data = blob[8 + n :]
    tensors = {k: (v["dtype"], v["shape"], data[v["data_offsets"][0] : v["data_offsets"][1]]) for k, v in header.items()}
    return tensors, meta


a, _ = read(sys.argv[1])
b, meta_b = read(sys.argv[2])
if sorted(a) != sorted(b):
    sys.exit(f"different tensor names: {sorted(a)} vs {sorted(b)}")
for name in sorted(a):
    if a[name] != b[name]:
        sys.exit(f"tensor {name} differs")
for pair in sys.argv[3:]:
    key, value = pair.split("=", 1)
    if meta_b.get(key) != value:
        sys.exit(f"metadata {key} is {meta_b.get(key)!r}, expected {value!r}")
print(f"{len(a)} tensors equal")
