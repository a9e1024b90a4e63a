#!/usr/bin/python3
"""How far would a bf16 Winograd trunk drift from fp32? (issue 4's 4x-eager bf16 target)

On a CPU without AMX, bf16 dot products peak at 2x fp32 FMA, so direct bf16 convolution cannot
reach 4x PyTorch eager fp32 when eager already runs near the fp32 peak; only a fast algorithm that
needs fewer multiplications could. This script simulates the RRDB blocks' 3x3 convolutions as
Winograd F(2x2,3x3) and F(4x4,3x3) with the transformed inputs and weights rounded to bf16
(products summed in fp32, as vdpbf16ps does), beside direct bf16 convolution (inputs and weights
rounded), and prints the RGB PSNR of each output against the fp32 model. Everything outside the
blocks stays fp32 and outputs are compared as floats, so the absolute figures are higher than
upres's own bf16 output against fp32 in 8 bits; the differences between the columns are the point.
The issue's bar is 50 dB.

  /usr/bin/python3 benchmarks/winograd_bf16_error.py [images...]   (run from the repository root)
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, "tests/reference")
import nn_reference as R  # noqa: E402

torch.set_num_threads(1)

# Winograd F(m x m, 3 x 3) matrices (Lavin & Gray 2016), for m = 2 and m = 4.
WINOGRAD = {
    2: dict(
        BT=[[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        G=[[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
        AT=[[1, 1, 1, 0], [0, 1, -1, -1]],
    ),
    4: dict(
        BT=[[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
            [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
        G=[[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
           [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
        AT=[[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
    ),
}


def bf16(t):
    return t.to(torch.bfloat16).float()


def winograd_conv(x, w, b, m, round_bf16):
    """3x3 convolution, padding 1, of x [1,C,H,W] by Winograd F(m,3); U and V rounded to bf16."""
    mats = {k: torch.tensor(v, dtype=torch.float64) for k, v in WINOGRAD[m].items()}
    BT, G, AT = mats["BT"], mats["G"], mats["AT"]
    a = m + 2
    _, C, H, W = x.shape
    th, tw = -(-H // m), -(-W // m)
    xp = F.pad(x.double(), (1, tw * m - W + 1, 1, th * m - H + 1))
    d = F.unfold(xp, a, stride=m).view(C, a, a, th * tw)
    V = torch.einsum("ij,cjkt,lk->cilt", BT, d, BT).float()
    U = torch.einsum("ij,ocjk,lk->ocil", G, w.double(), G).float()
    if round_bf16:
        V, U = bf16(V), bf16(U)
    M = torch.einsum("ocil,cilt->oilt", U, V)  # fp32 sums of exact bf16 products
    Y = torch.einsum("ij,ojlt,kl->oikt", AT.float(), M, AT.float())
    Y = Y.reshape(-1, m * m, th * tw)
    out = F.fold(Y.reshape(1, -1, th * tw), (th * m, tw * m), m, stride=m)
    return out[:, :, :H, :W] + b.view(1, -1, 1, 1)


def run_model(sd, x, conv3x3):
    """RRDBNet (x4plus keys) with the trunk's convolutions done by conv3x3; fp32 elsewhere."""
    lr = lambda t: F.leaky_relu(t, 0.2)  # noqa: E731

    def c(name, t):
        return F.conv2d(t, sd[name + ".weight"], sd[name + ".bias"], padding=1)

    def rdb(x, p):
        feats = [x]
        for j in range(1, 5):
            feats.append(lr(conv3x3(torch.cat(feats, 1), p + ".conv%d" % j, True)))
        return conv3x3(torch.cat(feats, 1), p + ".conv5", False) * 0.2 + x

    feat = c("conv_first", x)
    body = feat
    blocks = len({k.split(".")[1] for k in sd if k.startswith("body.")})
    for i in range(blocks):
        y = body
        for r in range(1, 4):
            y = rdb(y, "body.%d.rdb%d" % (i, r))
        body = y * 0.2 + body
    f = feat + c("conv_body", body)
    g = lr(c("conv_up1", F.interpolate(f, scale_factor=2, mode="nearest")))
    g = lr(c("conv_up2", F.interpolate(g, scale_factor=2, mode="nearest")))
    return c("conv_last", lr(c("conv_hr", g))).clamp(0, 1)


def psnr(a, b):
    return 10 * np.log10(1 / torch.mean((a - b) ** 2).item())


def main():
    sd, _ = R.load_state_dict("models/realesrgan-x4plus.safetensors")
    sd = {k: v.float() for k, v in sd.items()}

    # The Winograd code itself is checked against direct convolution in fp32 first.
    torch.manual_seed(0)
    x = torch.randn(1, 48, 13, 22)
    w, b = torch.randn(32, 48, 3, 3), torch.randn(32)
    for m in (2, 4):
        err = (winograd_conv(x, w, b, m, False) - F.conv2d(x, w, b, padding=1)).abs().max().item()
        assert err < 1e-3, (m, err)

    def direct(t, name, act):
        out = F.conv2d(bf16(t), bf16(sd[name + ".weight"]), sd[name + ".bias"], padding=1)
        return bf16(out) if act else out  # conv1-4 store bf16, conv5 stays fp32 (as upres)

    def wino(m):
        def conv(t, name, act):
            out = winograd_conv(t, sd[name + ".weight"], sd[name + ".bias"], m, True)
            return bf16(out) if act else out
        return conv

    images = sys.argv[1:] or ["../shared/data/Set5/x4/lr/%s.png" % n
                              for n in ("baby", "bird", "butterfly", "head", "woman")]
    print("| image | bf16 direct | bf16 Winograd F(2,3) | bf16 Winograd F(4,3) |")
    print("|---|---:|---:|---:|")
    with torch.no_grad():
        for path in images:
            img = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255
            x = torch.from_numpy(img).permute(2, 0, 1)[None].contiguous()
            ref = run_model(sd, x, lambda t, n, a: F.conv2d(t, sd[n + ".weight"], sd[n + ".bias"], padding=1))
            row = [psnr(run_model(sd, x, fn), ref) for fn in (direct, wino(2), wino(4))]
            print("| %s | %.1f dB | %.1f dB | %.1f dB |" % ((path.split("/")[-1],) + tuple(row)), flush=True)


if __name__ == "__main__":
    main()
