#!/usr/bin/python3
"""Plain-PyTorch reference for upres's neural resamplers (run with Debian's /usr/bin/python3).

The three architectures are written here from their published definitions (BasicSR / Real-ESRGAN),
independently of upres, so the C++ tests compare against an outside oracle:

  SRCNN            conv1 -> ReLU -> conv2 -> ReLU -> conv3, "same" padding (zero or edge-replicate)
  RRDBNet          ESRGAN / Real-ESRGAN, incl. the pixel-unshuffle x2 / x1 variants
  SRVGGNetCompact  Real-ESRGAN compact: convs + PReLU, pixel shuffle, + nearest-upsampled input

Commands (all paths are files or folders the caller owns):
  fixtures OUT      write tiny RRDBNet / compact / SRCNN weight files in every key scheme and both
                    torch.save formats (+ .safetensors), a fixed input image and each model's
                    output on it; OUT/manifest.txt lists "weights input output scale" per line
  run MODEL IN OUT  run a model file (.pth any format / .safetensors) on a raw image IN and write OUT
  random-rrdb OUT   RRDBNet 23 blocks / 64 features with random weights as .safetensors (benchmarks)
  dump MODEL OUT    a .pth's state dict (unwrapped from params/params_ema, dtypes kept) as
                    .safetensors, loaded with weights_only=True: an independent reader for tests

Raw images ("*.f32"): int32 height, width, channels, then float32 samples, row-major HWC, 0..1.
"""
import collections
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------------- architectures
class SRCNN(nn.Module):
    def __init__(self, channels=1, kernels=(9, 5, 5), feats=(64, 32), padding="zero"):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, feats[0], kernels[0])
        self.conv2 = nn.Conv2d(feats[0], feats[1], kernels[1])
        self.conv3 = nn.Conv2d(feats[1], channels, kernels[2])
        self.mode = "replicate" if padding == "replicate" else "constant"

    def _c(self, conv, x):
        p = conv.kernel_size[0] // 2
        return conv(F.pad(x, (p, p, p, p), mode=self.mode))

    def forward(self, x):
        x = F.relu(self._c(self.conv1, x))
        x = F.relu(self._c(self.conv2, x))
        return self._c(self.conv3, x)


class ResidualDenseBlock(nn.Module):
    def __init__(self, num_feat=64, num_grow_ch=32):
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_grow_ch, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat + num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv3 = nn.Conv2d(num_feat + 2 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv4 = nn.Conv2d(num_feat + 3 * num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv5 = nn.Conv2d(num_feat + 4 * num_grow_ch, num_feat, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x):
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5 * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, num_feat, num_grow_ch=32):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x):
        out = self.rdb3(self.rdb2(self.rdb1(x)))
        return out * 0.2 + x


class RRDBNet(nn.Module):
    """scale 1/2 use pixel-unshuffle (Real-ESRGAN x1 / x2plus); scale 8 has a third upsampling."""

    def __init__(self, num_in_ch=3, num_out_ch=3, scale=4, num_feat=64, num_block=23, num_grow_ch=32):
        super().__init__()
        self.scale = scale
        self.unshuffle = {1: 4, 2: 2}.get(scale, 1)
        self.conv_first = nn.Conv2d(num_in_ch * self.unshuffle ** 2, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(num_feat, num_grow_ch) for _ in range(num_block)])
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.ups = 3 if scale == 8 else 2
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        if self.ups == 3:
            self.conv_up3 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x):
        feat = F.pixel_unshuffle(x, self.unshuffle) if self.unshuffle > 1 else x
        feat = self.conv_first(feat)
        feat = feat + self.conv_body(self.body(feat))
        for i in range(1, self.ups + 1):
            up = getattr(self, "conv_up%d" % i)
            feat = self.lrelu(up(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))


class SRVGGNetCompact(nn.Module):
    def __init__(self, num_in_ch=3, num_out_ch=3, num_feat=64, num_conv=16, upscale=4):
        super().__init__()
        self.upscale = upscale
        body = [nn.Conv2d(num_in_ch, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
        for _ in range(num_conv):
            body += [nn.Conv2d(num_feat, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
        body.append(nn.Conv2d(num_feat, num_out_ch * upscale * upscale, 3, 1, 1))
        self.body = nn.ModuleList(body)
        self.upsampler = nn.PixelShuffle(upscale)

    def forward(self, x):
        out = x
        for layer in self.body:
            out = layer(out)
        out = self.upsampler(out)
        return out + F.interpolate(x, scale_factor=self.upscale, mode="nearest")


# ------------------------------------------------------------------------------ key schemes
def rrdb_to_intermediate(sd):
    """New (Real-ESRGAN) names -> the ESRGAN repository's RRDBNet_arch names."""
    out = collections.OrderedDict()
    ren = {"conv_body": "trunk_conv", "conv_up1": "upconv1", "conv_up2": "upconv2", "conv_up3": "upconv3",
           "conv_hr": "HRconv"}
    for k, v in sd.items():
        p = k.split(".")
        if p[0] == "body":
            k = "RRDB_trunk.%s.RDB%s.%s.%s" % (p[1], p[2][3:], p[3], p[4])
        elif p[0] in ren:
            k = ren[p[0]] + "." + p[1]
        out[k] = v
    return out


def rrdb_to_old(sd, num_block, ups):
    """New names -> the original ESRGAN 'model.N' Sequential names."""
    out = collections.OrderedDict()
    # model.0 conv_first, model.1 shortcut(sub.0..N-1 RRDBs, sub.N trunk conv), then per upsampling
    # [Upsample, conv, LeakyReLU], then HR conv, LeakyReLU, last conv.
    names = {"conv_first": "model.0", "conv_body": "model.1.sub.%d" % num_block}
    idx = 2
    for i in range(1, ups + 1):
        names["conv_up%d" % i] = "model.%d" % (idx + 1)
        idx += 3
    names["conv_hr"] = "model.%d" % idx
    names["conv_last"] = "model.%d" % (idx + 2)
    for k, v in sd.items():
        p = k.split(".")
        if p[0] == "body":
            k = "model.1.sub.%s.RDB%s.%s.0.%s" % (p[1], p[2][3:], p[3], p[4])
        else:
            k = names[p[0]] + "." + p[1]
        out[k] = v
    return out


# ------------------------------------------------------------------------------- file formats
ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64"}
ST_TORCH = {v: k for k, v in ST_DTYPES.items()}


def save_safetensors(path, sd, metadata=None):
    header, blobs, off = {}, [], 0
    for k, v in sd.items():
        v = v.detach().contiguous().cpu()
        b = v.view(torch.uint8).numpy().tobytes() if v.numel() else b""
        header[k] = {"dtype": ST_DTYPES[v.dtype], "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    sd = collections.OrderedDict()
    for k, info in header.items():
        a, b = info["data_offsets"]
        raw = bytearray(data[8 + n + a:8 + n + b])
        t = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
        sd[k] = t.view(ST_TORCH[info["dtype"]]).reshape(info["shape"])
    return sd, meta


def load_state_dict(path):
    """Any .pth/.safetensors -> (state dict with canonical new names, metadata)."""
    if path.endswith(".safetensors"):
        sd, meta = load_safetensors(path)
    else:
        sd, meta = torch.load(path, map_location="cpu"), {}
        for key in ("params_ema", "params", "state_dict", "model", "net"):
            if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
                sd = sd[key]
                break
    sd = collections.OrderedDict((k[7:] if k.startswith("module.") else k, v.float()) for k, v in sd.items())
    return canonical(sd), meta


def canonical(sd):
    """Any RRDBNet scheme -> new names (independent of upres's C++ renaming)."""
    if "model.0.weight" in sd:
        convs = sorted({int(k.split(".")[1]) for k in sd if k.count(".") == 2 and k.startswith("model.")})
        convs = [c for c in convs if c >= 2]
        names = ["conv_up%d" % (i + 1) for i in range(len(convs) - 2)] + ["conv_hr", "conv_last"]
        top = dict(zip(convs, names))
        nb = max(int(k.split(".")[3]) for k in sd if k.startswith("model.1.sub.") and ".RDB" in k) + 1
        out = collections.OrderedDict()
        for k, v in sd.items():
            p = k.split(".")
            if k.startswith("model.0."):
                k = "conv_first." + p[2]
            elif k.startswith("model.1.sub.") and ".RDB" in k:
                k = "body.%s.rdb%s.%s.%s" % (p[3], p[4][3:], p[5], p[7])
            elif k.startswith("model.1.sub."):
                assert int(p[3]) == nb
                k = "conv_body." + p[4]
            else:
                k = top[int(p[1])] + "." + p[2]
            out[k] = v
        return out
    if "conv_first.weight" in sd and any(k.startswith("RRDB_trunk.") for k in sd):
        ren = {"trunk_conv": "conv_body", "upconv1": "conv_up1", "upconv2": "conv_up2", "upconv3": "conv_up3",
               "HRconv": "conv_hr"}
        out = collections.OrderedDict()
        for k, v in sd.items():
            p = k.split(".")
            if p[0] == "RRDB_trunk":
                k = "body.%s.rdb%s.%s.%s" % (p[1], p[2][3:], p[3], p[4])
            elif p[0] in ren:
                k = ren[p[0]] + "." + p[1]
            out[k] = v
        return out
    return sd


def build_from_state_dict(sd, meta):
    if "conv1.weight" in sd:
        w1, w2, w3 = sd["conv1.weight"], sd["conv2.weight"], sd["conv3.weight"]
        m = SRCNN(w1.shape[1], (w1.shape[2], w2.shape[2], w3.shape[2]), (w1.shape[0], w2.shape[0]),
                  meta.get("padding", "zero"))
    elif "conv_first.weight" in sd:
        nf, cin = sd["conv_first.weight"].shape[:2]
        cout = sd["conv_last.weight"].shape[0]
        un = {16: 4, 4: 2}.get(cin // cout, 1)
        ups = 3 if "conv_up3.weight" in sd else 2
        scale = {4: 1, 2: 2}.get(un, 8 if ups == 3 else 4)
        nb = max(int(k.split(".")[1]) for k in sd if k.startswith("body.")) + 1
        m = RRDBNet(cin // un ** 2, cout, scale, nf, nb, sd["body.0.rdb1.conv1.weight"].shape[0])
    else:
        convs = sorted(int(k.split(".")[1]) for k in sd if k.startswith("body.") and sd[k].dim() == 4)
        first, last = sd["body.0.weight"], sd["body.%d.weight" % convs[-1]]
        scale = int(round(math.sqrt(last.shape[0] / first.shape[1])))
        m = SRVGGNetCompact(first.shape[1], first.shape[1], first.shape[0], len(convs) - 2, scale)
    m.load_state_dict(sd)
    return m.eval()


# ----------------------------------------------------------------------------------- raw images
def write_raw(path, t):
    """t: [1, C, H, W] float tensor -> raw HWC file."""
    t = t[0].permute(1, 2, 0).contiguous().float()
    with open(path, "wb") as f:
        f.write(struct.pack("<iii", t.shape[0], t.shape[1], t.shape[2]))
        f.write(t.numpy().tobytes())


def read_raw(path):
    with open(path, "rb") as f:
        h, w, c = struct.unpack("<iii", f.read(12))
        t = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(h, w, c)
    return t.permute(2, 0, 1).unsqueeze(0).contiguous()


def test_image(h, w, c, seed=7):
    """Smooth shapes + texture + noise in 0..1: exercises every border and frequency."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    chans = []
    for i in range(c):
        base = 0.5 + 0.35 * torch.sin(6.0 * xx * (i + 1) + 4.0 * yy) * torch.cos(5.0 * yy - 2.0 * i)
        base += 0.25 * ((xx - 0.3 - 0.2 * i) ** 2 + (yy - 0.6) ** 2 < 0.05).float()
        chans.append(base)
    img = torch.stack(chans).unsqueeze(0) + 0.05 * torch.randn(1, c, h, w, generator=g)
    return img.clamp(0, 1)


def run_model(m, x):
    with torch.no_grad():
        return m(x.float()).clamp(0, 1)


# --------------------------------------------------------------------------------- commands
def fixtures(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    manifest = []
    x = test_image(20, 28, 3)

    def randomize(m, scale=0.08):
        # Random weights of moderate size keep activations in range through many blocks.
        with torch.no_grad():
            for n, p in m.named_parameters():
                p.copy_(torch.randn_like(p) * (scale if p.dim() > 1 else 0.02))
        return m

    def emit(stem, sd, model, inp, meta=None, formats=("zip", "legacy", "safetensors"), wrap=None):
        ref = os.path.join(out, stem + ".out.f32")
        src = os.path.join(out, stem + ".in.f32")
        write_raw(src, inp)
        write_raw(ref, run_model(model, inp))
        scale = model.scale if hasattr(model, "scale") else getattr(model, "upscale", 1)
        for fmt in formats:
            obj = sd if wrap is None else {wrap: sd, "iter": 5}
            if fmt == "zip":
                p = os.path.join(out, stem + ".pth")
                torch.save(obj, p)
            elif fmt == "legacy":
                p = os.path.join(out, stem + "-legacy.pth")
                torch.save(obj, p, _use_new_zipfile_serialization=False)
            else:
                p = os.path.join(out, stem + ".safetensors")
                save_safetensors(p, sd, meta)
            manifest.append("%s %s %s %d" % (os.path.basename(p), os.path.basename(src), os.path.basename(ref), scale))

    # RRDBNet: x4 in the three key schemes, x2 / x1 pixel-unshuffle, x8, a 1-channel variant.
    for scale, nb, nf, gc in [(4, 2, 8, 4), (2, 1, 8, 4), (1, 1, 8, 4), (8, 1, 6, 3)]:
        m = randomize(RRDBNet(3, 3, scale, nf, nb, gc)).eval()
        sd = m.state_dict()
        stem = "rrdb-x%d-b%d-f%d-g%d" % (scale, nb, nf, gc)
        inp = x if scale >= 4 else x[:, :, :16, :24]  # unshuffle: sizes a multiple of 4
        emit(stem + "-new", sd, m, inp, wrap="params_ema" if scale == 2 else None)
        emit(stem + "-mid", rrdb_to_intermediate(sd), m, inp)
        if scale >= 4:
            emit(stem + "-old", rrdb_to_old(sd, nb, m.ups), m, inp)
    # Compact: x4 and x2, PReLU, in a 'params' wrapper.
    for scale, nc in [(4, 3), (2, 2)]:
        m = randomize(SRVGGNetCompact(3, 3, 8, nc, scale), 0.15).eval()
        emit("compact-x%d-c%d" % (scale, nc), m.state_dict(), m, x, wrap="params")
    # SRCNN: RGB and Y, zero and edge-replicate padding (padding in safetensors metadata).
    for ch, pad in [(3, "zero"), (1, "replicate")]:
        m = randomize(SRCNN(ch, (5, 3, 3), (8, 4), pad), 0.1).eval()
        inp = x if ch == 3 else x[:, :1]
        emit("srcnn-c%d-%s" % (ch, pad), m.state_dict(), m, inp, {"arch": "srcnn", "padding": pad},
             formats=("safetensors",))
    # Half-precision weights (converted to f32 on load).
    m = randomize(SRVGGNetCompact(3, 3, 8, 2, 4), 0.15).eval().half()
    sd = m.state_dict()
    emit("compact-x4-f16", sd, m.float(), x, formats=("safetensors",))
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")


def flat_fixtures(out):
    """The flat layout test_nn.cpp reads: OUT/fixtures.txt lists "name width height scale"; per
    name: .safetensors weights, .in.raw / .out.raw float32 HWC RGB samples without a header, and
    the same weights as torch.save files: .zip.pth wrapped BasicSR-style in params_ema (beside a
    zeroed params decoy), .legacy.pth in the pre-1.6 format with DataParallel "module." keys."""
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(4321)

    def randomize(m, scale):
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn_like(p) * (scale if p.dim() > 1 else 0.02))
        return m.eval()

    def raw(path, t):
        with open(path, "wb") as f:
            f.write(t[0].permute(1, 2, 0).contiguous().float().numpy().tobytes())

    lines = []

    def emit(name, m, sd, w, h, scale, seed):
        x = test_image(h, w, 3, seed)
        raw(os.path.join(out, name + ".in.raw"), x)
        raw(os.path.join(out, name + ".out.raw"), run_model(m, x))
        save_safetensors(os.path.join(out, name + ".safetensors"), sd)
        decoy = {k: torch.zeros_like(v) for k, v in sd.items()}
        torch.save({"params": decoy, "params_ema": sd, "iter": 1000}, os.path.join(out, name + ".zip.pth"))
        torch.save(collections.OrderedDict(("module." + k, v) for k, v in sd.items()),
                   os.path.join(out, name + ".legacy.pth"), _use_new_zipfile_serialization=False)
        lines.append("%s %d %d %d" % (name, w, h, scale))

    m = randomize(RRDBNet(3, 3, 4, 8, 2, 4), 0.08)
    emit("rrdb_x4_new", m, m.state_dict(), 20, 16, 4, 1)
    emit("rrdb_x4_mid", m, rrdb_to_intermediate(m.state_dict()), 20, 16, 4, 2)
    emit("rrdb_x4_old", m, rrdb_to_old(m.state_dict(), 2, 2), 20, 16, 4, 3)
    # One 256 px tile whose full-resolution tail upres runs in two horizontal strips.
    emit("rrdb_x4_strips", m, m.state_dict(), 256, 160, 4, 8)
    # 32 features, growth 16: channel counts oneDNN's blocked layout takes, so upres runs this one's
    # trunk by Winograd (where the build has oneDNN); odd sizes put partial 4x4 tiles on two edges.
    m = randomize(RRDBNet(3, 3, 4, 32, 2, 16), 0.075)
    emit("rrdb_x4_winograd", m, m.state_dict(), 37, 29, 4, 9)
    m = randomize(RRDBNet(3, 3, 2, 8, 1, 4), 0.08)
    emit("rrdb_x2_unshuffle", m, m.state_dict(), 20, 16, 2, 4)
    m = randomize(RRDBNet(3, 3, 1, 8, 1, 4), 0.08)
    emit("rrdb_x1_unshuffle", m, m.state_dict(), 20, 16, 1, 5)
    m = randomize(SRVGGNetCompact(3, 3, 8, 3, 4), 0.15)
    emit("compact_x4", m, m.state_dict(), 21, 17, 4, 6)
    m = randomize(SRVGGNetCompact(3, 3, 8, 2, 2), 0.15)
    emit("compact_x2", m, m.state_dict(), 21, 17, 2, 7)
    with open(os.path.join(out, "fixtures.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def run(model_path, inp, outp):
    sd, meta = load_state_dict(model_path)
    m = build_from_state_dict(sd, meta)
    write_raw(outp, run_model(m, read_raw(inp)))


def dump(model_path, out):
    obj = torch.load(model_path, map_location="cpu", weights_only=True)
    for key in ("params_ema", "params", "state_dict", "model", "net"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            break
    save_safetensors(out, collections.OrderedDict((k[7:] if k.startswith("module.") else k, v) for k, v in obj.items()))


def random_rrdb(out, nb=23, nf=64, gc=32, seed=0):
    torch.manual_seed(seed)
    m = RRDBNet(3, 3, 4, nf, nb, gc).eval()
    # Default init scaled down (as BasicSR does for RRDBNet) keeps the residual stream stable.
    with torch.no_grad():
        for p in m.parameters():
            if p.dim() == 4:
                p.mul_(0.1)
    save_safetensors(out, m.state_dict(), {"arch": "rrdbnet"})


if __name__ == "__main__":
    torch.set_num_threads(max(1, int(os.environ.get("UPRES_REF_THREADS", "2"))))
    cmd = sys.argv[1]
    if len(sys.argv) == 2 and cmd not in ("fixtures", "run", "random-rrdb", "dump"):
        flat_fixtures(cmd)  # nn_reference.py OUT
    elif cmd == "fixtures":
        fixtures(sys.argv[2])
    elif cmd == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "dump":
        dump(sys.argv[2], sys.argv[3])
    elif cmd == "random-rrdb":
        random_rrdb(sys.argv[2])
    else:
        sys.exit("unknown command " + cmd)
