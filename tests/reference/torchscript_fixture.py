#!/usr/bin/python3
"""Writes a TorchScript program and the same weights as .safetensors, for test_nn.

usage: torchscript_fixture.py OUTDIR   ->  OUTDIR/compact.pt, OUTDIR/compact.safetensors
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nn_reference as R  # noqa: E402
import torch  # noqa: E402


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(99)
    m = R.SRVGGNetCompact(3, 3, 8, 2, 2).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn_like(p) * (0.15 if p.dim() > 1 else 0.02))
    R.save_safetensors(os.path.join(out, "compact.safetensors"), m.state_dict())
    torch.jit.trace(m, torch.rand(1, 3, 16, 16)).save(os.path.join(out, "compact.pt"))


if __name__ == "__main__":
    main(sys.argv[1])
