#!/usr/bin/python3
"""SwinIR (Liang et al. 2021) in the authors' key scheme, against a reference written here from the
paper's description: a 3x3 head conv, residual Swin transformer blocks (pre-norm window attention
with a learned relative position bias, windows shifted by half a window in every second block, with
the mask that keeps wrapped-around regions apart; pre-norm GELU MLP), each group closed by a conv
(one, or the 3-conv bottleneck) and its skip, a final layer norm and conv plus the head's output,
then one of four reconstructions (pixel shuffle; one-step pixel shuffle; nearest x2 + conv steps;
none: the input plus a conv). The network runs on (x - mean) * img_range, padded by reflection to a
multiple of the window and cropped back.

The reference computes the relative positions, the mask and the padding itself; the state dict also
carries the buffers real checkpoints have (relative_position_index, attn_mask, for the training
patch size), which upres must ignore."""
import collections
import itertools
import math
import os

import archtest
from archtest import F, nn, torch

MEAN = (0.4488, 0.4371, 0.4040)


def rel_index(w):
    """Row of the bias table for each (query, key) pair of a w x w window, from coordinates."""
    pos = [(y, x) for y in range(w) for x in range(w)]
    return torch.tensor([[(qy - ky + w - 1) * (2 * w - 1) + (qx - kx + w - 1) for (ky, kx) in pos] for (qy, qx) in pos])


def region_mask(h, wd, w, s):
    """The shifted-window mask for an h x wd map: region ids of the rolled map, compared per window."""
    ids = torch.zeros(h, wd)
    bands = lambda n: [(0, n - w), (n - w, n - s), (n - s, n)]
    for r, ((y0, y1), (x0, x1)) in enumerate(itertools.product(bands(h), bands(wd))):
        ids[y0:y1, x0:x1] = r
    win = ids.view(h // w, w, wd // w, w).transpose(1, 2).reshape(-1, w * w)
    return torch.where(win[:, :, None] == win[:, None, :], 0.0, -100.0)


class Attn(nn.Module):
    def __init__(self, dim, heads, w, qkv_bias=True):
        super().__init__()
        self.heads, self.w = heads, w
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * w - 1) ** 2, heads))
        self.register_buffer("relative_position_index", rel_index(w))  # stored as checkpoints store it; unused
        self.index = rel_index(w)  # the reference's own (not a buffer: the tests corrupt those)

    def forward(self, x, mask):  # x: [windows, N, C]
        # Batched matmuls per head, as PyTorch users write attention (arch_speed.py times this module).
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        logits = (q / math.sqrt(c // self.heads)) @ k.transpose(-2, -1)
        logits = logits + self.relative_position_bias_table[self.index].permute(2, 0, 1)[None]
        if mask is not None:
            logits = logits + mask.repeat(b // mask.shape[0], 1, 1)[:, None]
        out = (F.softmax(logits, -1) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, w, shift, hidden, qkv_bias, train_size):
        super().__init__()
        self.w, self.shift = w, shift
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attn(dim, heads, w, qkv_bias)
        self.mlp = Mlp(dim, hidden)
        if shift:  # as checkpoints carry it: the mask of the training patch size; unused
            self.register_buffer("attn_mask", region_mask(train_size, train_size, w, shift))

    def forward(self, x, h, wd):  # x: [1, h*wd, C]
        c, w, s = x.shape[2], self.w, self.shift
        y = self.norm1(x).view(h, wd, c)
        if s:
            y = torch.roll(y, (-s, -s), (0, 1))
        win = y.view(h // w, w, wd // w, w, c).transpose(1, 2).reshape(-1, w * w, c)
        win = self.attn(win, region_mask(h, wd, w, s) if s else None)
        y = win.view(h // w, wd // w, w, w, c).transpose(1, 2).reshape(h, wd, c)
        if s:
            y = torch.roll(y, (s, s), (0, 1))
        x = x + y.reshape(1, h * wd, c)
        return x + self.mlp(self.norm2(x))


def tail(dim, three):
    if not three:
        return nn.Conv2d(dim, dim, 3, 1, 1)
    return nn.Sequential(nn.Conv2d(dim, dim // 4, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(dim // 4, dim // 4, 1),
                         nn.LeakyReLU(0.2), nn.Conv2d(dim // 4, dim, 3, 1, 1))


class Group(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)


class RSTB(nn.Module):
    def __init__(self, dim, depth, heads, w, hidden, three, qkv_bias, train_size):
        super().__init__()
        self.residual_group = Group([Block(dim, heads, w, (w // 2) * (i % 2), hidden, qkv_bias, train_size) for i in range(depth)])
        self.conv = tail(dim, three)

    def forward(self, x, h, wd):
        y = x
        for b in self.residual_group.blocks:
            y = b(y, h, wd)
        img = y.transpose(1, 2).reshape(1, -1, h, wd)
        return self.conv(img).flatten(2).transpose(1, 2) + x


class PatchEmbed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)


class SwinIR(nn.Module):
    def __init__(self, embed=60, depths=(6, 6, 6, 6), heads=6, w=8, mlp=2.0, upsampler="pixelshuffledirect", scale=2,
                 three=False, img_range=1.0, chans=3, feat=64, qkv_bias=True, patch_norm=True, train_size=64):
        super().__init__()
        heads = heads if isinstance(heads, (list, tuple)) else [heads] * len(depths)
        self.w, self.scale, self.upsampler, self.img_range = w, scale, upsampler, img_range
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1) if chans == 3 else torch.zeros(1, 1, 1, 1),
                             persistent=False)
        self.conv_first = nn.Conv2d(chans, embed, 3, 1, 1)
        self.patch_embed = PatchEmbed(embed) if patch_norm else None
        hidden = int(embed * mlp)
        self.layers = nn.ModuleList([RSTB(embed, d, h, w, hidden, three, qkv_bias, train_size) for d, h in zip(depths, heads)])
        self.norm = nn.LayerNorm(embed)
        self.conv_after_body = tail(embed, three)
        if upsampler in ("pixelshuffle", "nearest+conv"):
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed, feat, 3, 1, 1), nn.LeakyReLU())
        if upsampler == "pixelshuffle":
            ups = [nn.Conv2d(feat, 9 * feat, 3, 1, 1), nn.PixelShuffle(3)] if scale == 3 else \
                sum([[nn.Conv2d(feat, 4 * feat, 3, 1, 1), nn.PixelShuffle(2)] for _ in range(int(math.log2(scale)))], [])
            self.upsample = nn.Sequential(*ups)
            self.conv_last = nn.Conv2d(feat, chans, 3, 1, 1)
        elif upsampler == "pixelshuffledirect":
            self.upsample = nn.Sequential(nn.Conv2d(embed, chans * scale * scale, 3, 1, 1), nn.PixelShuffle(scale))
        elif upsampler == "nearest+conv":
            self.steps = int(math.log2(scale))
            for i in range(1, self.steps + 1):
                setattr(self, "conv_up%d" % i, nn.Conv2d(feat, feat, 3, 1, 1))
            self.conv_hr = nn.Conv2d(feat, feat, 3, 1, 1)
            self.conv_last = nn.Conv2d(feat, chans, 3, 1, 1)
        else:
            self.conv_last = nn.Conv2d(embed, chans, 3, 1, 1)

    def forward(self, x):
        h0, w0 = x.shape[2:]
        x = F.pad(x, (0, -w0 % self.w, 0, -h0 % self.w), mode="reflect")
        h, wd = x.shape[2:]
        x = (x - self.mean) * self.img_range
        first = self.conv_first(x)
        t = first.flatten(2).transpose(1, 2)
        if self.patch_embed is not None:
            t = self.patch_embed.norm(t)
        for layer in self.layers:
            t = layer(t, h, wd)
        y = self.conv_after_body(self.norm(t).transpose(1, 2).reshape(first.shape)) + first
        if self.upsampler == "pixelshuffle":
            y = self.conv_last(self.upsample(self.conv_before_upsample(y)))
        elif self.upsampler == "pixelshuffledirect":
            y = self.upsample(y)
        elif self.upsampler == "nearest+conv":
            y = self.conv_before_upsample(y)
            for i in range(1, self.steps + 1):
                y = F.leaky_relu(getattr(self, "conv_up%d" % i)(F.interpolate(y, scale_factor=2, mode="nearest")), 0.2)
            y = self.conv_last(F.leaky_relu(self.conv_hr(y), 0.2))
        else:
            y = x + self.conv_last(y)
        y = y / self.img_range + self.mean
        return y[:, :, : h0 * self.scale, : w0 * self.scale]


def make(seed, **kw):
    m = SwinIR(**kw)
    archtest.randomize(m, seed)
    with torch.no_grad():  # outputs near 0..1 (mostly unclamped): the last conv small
        last = m.upsample[0] if kw.get("upsampler") == "pixelshuffledirect" else m.conv_last
        last.weight.mul_(0.1)
    return m.eval()


def summary(m, kw):
    return "SwinIR x%d, embed %d" % (kw.get("scale", 2) if kw.get("upsampler", "pixelshuffledirect") else 1, kw.get("embed", 60))


SIZES = [(17, 23), (9, 40)]


def check(ws, stem, seed, sizes=SIZES, fragments=(), metadata=None, **kw):
    m = make(seed, **kw)
    scale = kw.get("scale", 2) if kw.get("upsampler", "pixelshuffledirect") else 1
    paths = archtest.check_formats(m, ws, stem, scale, sizes, summary=summary(m, kw), metadata=metadata, wrap="params")
    for f in fragments:
        archtest.check_detected(paths[0], f)
    return m, paths


def test_tiny_variants(ws):
    tiny = dict(embed=16, depths=(2, 2), heads=2, mlp=2.0, train_size=16)
    check(ws, "ps_x2", 1, upsampler="pixelshuffle", scale=2, feat=16, fragments=("pixelshuffle, 1conv", "window 8"), **tiny)
    check(ws, "ps_x3", 2, upsampler="pixelshuffle", scale=3, feat=8, three=True, fragments=("pixelshuffle, 3conv",), **tiny)
    check(ws, "ps_x4", 3, upsampler="pixelshuffle", scale=4, feat=8, fragments=("SwinIR x4",), **tiny)
    check(ws, "direct_x3", 4, upsampler="pixelshuffledirect", scale=3, fragments=("pixelshuffledirect",), **tiny)
    check(ws, "nearest_x4", 5, upsampler="nearest+conv", scale=4, feat=16, three=True, fragments=("nearest+conv, 3conv",), **tiny)
    check(ws, "nearest_x8", 6, upsampler="nearest+conv", scale=8, feat=8, sizes=[(9, 11)], **tiny)
    check(ws, "none_x1", 7, upsampler="", scale=1, fragments=("no upsampler, 1conv",), **tiny)
    # Depths and heads per group, odd depth, no qkv bias, no patch norm.
    check(ws, "mixed", 8, upsampler="pixelshuffledirect", scale=2, embed=24, depths=(3, 1, 2), heads=(2, 4, 3), mlp=1.5,
          qkv_bias=False, patch_norm=False, train_size=16, fragments=("depths [3,1,2], heads [2,4,3]", "mlp 36"))


def test_window_7_and_img_range(ws):
    tiny = dict(embed=16, depths=(2, 2), heads=2, mlp=2.0, w=7, train_size=14)
    # Window 7 files are the JPEG artifact-reduction models, which run on 0..255: the default there.
    check(ws, "jpeg_w7", 11, upsampler="", scale=1, img_range=255.0, fragments=("window 7", "img_range 255"), **tiny)
    check(ws, "w7_x2", 12, upsampler="pixelshuffle", scale=2, feat=16, img_range=255.0, **tiny)
    # A file can say otherwise in its metadata (safetensors only).
    m = make(13, upsampler="pixelshuffle", scale=2, feat=16, img_range=1.0, **tiny)
    path = archtest.save_all(ws, "w7_range1", archtest.state_dict(m), metadata={"img_range": "1"})[0]
    x = archtest.image(17, 23)
    archtest.check_close("window 7, metadata img_range 1", archtest.run(path, x, 2), archtest.reference(m, x, 2))
    bad = archtest.save_all(ws, "w7_range_bad", archtest.state_dict(m), metadata={"img_range": "2"})[0]
    archtest.expect_model_error(bad, "img_range")


def test_real_configurations(ws):
    light = dict(embed=60, depths=(6, 6, 6, 6), heads=6, w=8, mlp=2.0, upsampler="pixelshuffledirect")
    check(ws, "light_x2", 21, scale=2, fragments=("SwinIR x2, embed 60, depths [6,6,6,6], heads 6, window 8, mlp 120",), **light)
    check(ws, "light_x4", 22, scale=4, sizes=[(17, 23)], **light)
    check(ws, "classical_x2", 23, embed=180, depths=(6,) * 6, heads=6, w=8, mlp=2.0, upsampler="pixelshuffle", scale=2,
          train_size=48, sizes=[(9, 15)], fragments=("SwinIR x2, embed 180, depths [6,6,6,6,6,6], heads 6",))


def test_stored_buffers_ignored(ws):
    m = make(31, embed=16, depths=(2, 2), heads=2, upsampler="pixelshuffledirect", scale=2, train_size=16)
    sd = archtest.state_dict(m)
    bad = collections.OrderedDict(sd)
    for k, v in sd.items():
        if k.endswith("relative_position_index"):
            bad[k] = torch.randint(0, 7, v.shape)  # wrong rows
        elif k.endswith("attn_mask"):
            bad[k] = torch.full((4, 64, 64), 55.0)  # garbage, and the mask of another size
    bad["layers.0.residual_group.blocks.0.attn_mask"] = torch.ones(2, 3)  # a mask where no shift is
    path = archtest.save_all(ws, "corrupt", bad)
    clean = archtest.save_all(ws, "clean", sd)[0]
    x = archtest.image(17, 23)
    expected = archtest.reference(m, x, 2)
    for p in path:
        archtest.check_close(os.path.basename(p) + " (corrupted buffers)", archtest.run(p, x, 2), expected)
    check_same = archtest.max_diff(archtest.run(path[0], x, 2), archtest.run(clean, x, 2))
    archtest.check(check_same == 0, "corrupted buffers changed the output by %g" % check_same)
    # Files without the buffers at all (some converters drop them) read the same.
    stripped = collections.OrderedDict((k, v) for k, v in sd.items() if not k.endswith(("relative_position_index", "attn_mask")))
    p = archtest.save_all(ws, "stripped", stripped)[0]
    archtest.check_close("no buffers", archtest.run(p, x, 2), expected)


def test_tiled_equals_untiled(ws):
    m = make(41, embed=60, depths=(6, 6, 6, 6), heads=6, w=8, mlp=2.0, upsampler="pixelshuffledirect", scale=2)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    # Default tile (256 = 32 windows) and overlap (32 = 4 windows): two tiles side by side (a 2 x 2
    # split of 280x300, UPRES_SWINIR_TILES=1, gave 2.9e-6 too).
    x = archtest.image(300, 280, seed=5) if os.environ.get("UPRES_SWINIR_TILES") else archtest.image(96, 270, seed=5)
    whole = archtest.run(path, x, 2, tile=4096)
    what = "tiled (default tile and overlap) vs untiled on %dx%d" % (x.shape[1], x.shape[0])
    d = archtest.check_close(what, archtest.run(path, x, 2), whole, 2.0 / 255)
    print("  tiled vs untiled at tile 256, overlap 32: %.3g (%.2f/255)" % (d, d * 255))
    for overlap in (8, 16) if os.environ.get("UPRES_SWINIR_OVERLAPS") else ():  # what less context leaves (docs/models.md)
        e = archtest.max_diff(archtest.run(path, x, 2, tile=256, tile_overlap=overlap), whole)
        print("  overlap %d: %.3g (%.2f/255)" % (overlap, e, e * 255))


def test_bad_files(ws):
    m = make(51, embed=16, depths=(2, 2), heads=2, upsampler="pixelshuffle", scale=2, feat=16, train_size=16)
    sd = archtest.state_dict(m)
    bad = dict(sd)
    del bad["layers.1.residual_group.blocks.1.mlp.fc2.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "layers.1.residual_group.blocks.1.mlp.fc2.weight")
    bad = dict(sd)
    bad["layers.0.residual_group.blocks.1.attn.qkv.weight"] = torch.zeros(48, 15)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "layers.0.residual_group.blocks.1.attn.qkv.weight",
                                "[48, 15]")
    bad = dict(sd)
    bad["layers.0.residual_group.blocks.0.attn.relative_position_bias_table"] = torch.zeros(224, 2)
    archtest.expect_model_error(archtest.save_all(ws, "table", bad)[0], "relative_position_bias_table", "224")
    bad = dict(sd)
    bad["layers.1.residual_group.blocks.0.attn.relative_position_bias_table"] = torch.zeros(169, 2)
    archtest.expect_model_error(archtest.save_all(ws, "window", bad)[0], "window 7")
    bad = dict(sd)
    bad["layers.0.residual_group.blocks.0.attn.relative_position_bias_table"] = torch.zeros(225, 3)
    archtest.expect_model_error(archtest.save_all(ws, "heads", bad)[0], "heads")
    bad = dict(sd)
    bad["conv_last.bias"] = torch.full((3,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "conv_last.bias", "NaN")
    # Look-alikes: DRCT, Swin2SR, SwinIR with a pixel-unshuffle input: refused naming the variant,
    # not read as SwinIR. A file with HAT's blocks is the hat family's (test_hat.py), which names
    # what it lacks; one with only HAT's index buffer reaches this family and is refused as neither.
    hat = dict(sd)
    hat["layers.0.residual_group.blocks.0.conv_block.cab.0.weight"] = torch.zeros(5, 16, 3, 3)
    hat["layers.0.residual_group.blocks.0.conv_block.cab.0.bias"] = torch.zeros(5)
    archtest.expect_model_error(archtest.save_all(ws, "hat", hat)[0], "HAT: missing tensor",
                                "layers.0.residual_group.blocks.0.conv_block.cab.")
    hat = dict(sd)
    hat["relative_position_index_SA"] = torch.zeros(64, 64, dtype=torch.long)
    archtest.expect_model_error(archtest.save_all(ws, "hat_index", hat)[0], "SwinIR", "relative_position_index_SA",
                                "neither HAT nor SwinIR")
    drct = {k: v for k, v in sd.items() if ".residual_group." not in k}
    for i in range(1, 6):
        for k, v in sd.items():
            if k.startswith("layers.0.residual_group.blocks.0."):
                drct["layers.0.swin%d." % i + k[len("layers.0.residual_group.blocks.0."):]] = v
        drct["layers.0.adjust%d.weight" % i] = torch.zeros(32, 16, 1, 1)
    # DRCT's keys go to the drct family (before swinir in the table), which reads this file as DRCT.
    archtest.expect_model_error(archtest.save_all(ws, "drct", drct)[0], ": DRCT: ", "layers.0.adjust1.bias")
    v2 = dict(sd)
    v2["layers.0.residual_group.blocks.0.attn.logit_scale"] = torch.zeros(2, 1, 1)
    v2["layers.0.residual_group.blocks.0.attn.cpb_mlp.0.weight"] = torch.zeros(512, 2)
    archtest.expect_model_error(archtest.save_all(ws, "swin2sr", v2)[0], "Swin2SR")
    un = dict(sd)
    un["conv_first.1.weight"], un["conv_first.1.bias"] = un.pop("conv_first.weight").repeat(1, 4, 1, 1), un.pop("conv_first.bias")
    archtest.expect_model_error(archtest.save_all(ws, "unshuffle", un)[0], "pixel-unshuffle", "conv_first.1.weight")


def bench_models():
    """Published sizes for benchmarks/arch_speed.py."""
    return [("SwinIR-light x2", make(1, embed=60, depths=(6, 6, 6, 6), heads=6, w=8, mlp=2.0, upsampler="pixelshuffledirect",
                                     scale=2), 2),
            ("SwinIR-M x4 (classical)", make(2, embed=180, depths=(6,) * 6, heads=6, w=8, mlp=2.0, upsampler="pixelshuffle",
                                             scale=4, train_size=48), 4)]


if __name__ == "__main__":
    archtest.main(globals())
