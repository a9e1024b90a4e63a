#!/usr/bin/python3
"""DRCT (Hsu et al. 2024, DRCT and DRCT-L) in the authors' key scheme, against a reference written
here from the paper's description: SwinIR's head conv, token embedding and pixel-shuffle
reconstruction, with residual dense groups instead of SwinIR's groups. A group's five Swin blocks
(window attention, shifted in the second and fourth) are densely connected: block k sees the group
input concatenated with the k - 1 growth features before it, each block's output passes a 1x1 conv
(to gc growth channels and a LeakyReLU 0.2; the last one back to the embedding width), and the group
adds 0.2 times the last conv's output to its input. Each block's heads follow from its width
(num_heads - width % num_heads), its mlp width is mlp_ratio x width for the first three blocks and
the width itself for the last two. The network runs on x - DIV2K mean, padded by reflection to the
window multiple and cropped back.

The Swin block itself (attention with the relative position bias, the shifted-window mask, the MLP)
is the SwinIR test's reference; the state dict carries the buffers real checkpoints have
(relative_position_index, attn_mask for the training patch size), which upres must ignore."""
import collections
import math
import os

import archtest
from archtest import F, nn, torch
from test_swinir import MEAN, Block


class RDG(nn.Module):
    def __init__(self, dim, gc, heads, w, mlp, qkv_bias, train_size):
        super().__init__()
        self.widths = [dim + k * gc for k in range(5)]
        for k, c in enumerate(self.widths):
            ratio = mlp if k < 3 else 1.0
            setattr(self, "swin%d" % (k + 1), Block(c, heads - c % heads, w, (w // 2) * (k % 2), int(c * ratio), qkv_bias,
                                                     train_size))
            setattr(self, "adjust%d" % (k + 1), nn.Conv2d(c, gc if k < 4 else dim, 1))

    def forward(self, x, h, wd):  # x: [1, h*wd, dim]
        feats = [x]
        for k in range(5):
            y = getattr(self, "swin%d" % (k + 1))(torch.cat(feats, -1), h, wd)
            y = getattr(self, "adjust%d" % (k + 1))(y.transpose(1, 2).reshape(1, -1, h, wd))
            if k < 4:
                feats.append(F.leaky_relu(y, 0.2).flatten(2).transpose(1, 2))
        return 0.2 * y.flatten(2).transpose(1, 2) + x


class PatchEmbed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)


class DRCT(nn.Module):
    def __init__(self, embed=180, groups=6, heads=6, w=16, mlp=2.0, gc=32, scale=4, chans=3, feat=64, qkv_bias=True,
                 patch_norm=True, after_body=True, train_size=64):
        super().__init__()
        heads = heads if isinstance(heads, (list, tuple)) else [heads] * groups
        self.w, self.scale = w, scale
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1) if chans == 3 else torch.zeros(1, 1, 1, 1),
                             persistent=False)
        self.conv_first = nn.Conv2d(chans, embed, 3, 1, 1)
        self.patch_embed = PatchEmbed(embed) if patch_norm else None
        self.layers = nn.ModuleList([RDG(embed, gc, h, w, mlp, qkv_bias, train_size) for h in heads])
        self.norm = nn.LayerNorm(embed)
        self.conv_after_body = nn.Conv2d(embed, embed, 3, 1, 1) if after_body else None
        self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed, feat, 3, 1, 1), nn.LeakyReLU())
        ups = [nn.Conv2d(feat, 9 * feat, 3, 1, 1), nn.PixelShuffle(3)] if scale == 3 else \
            sum([[nn.Conv2d(feat, 4 * feat, 3, 1, 1), nn.PixelShuffle(2)] for _ in range(int(math.log2(scale)))], [])
        self.upsample = nn.Sequential(*ups)
        self.conv_last = nn.Conv2d(feat, chans, 3, 1, 1)

    def forward(self, x):
        h0, w0 = x.shape[2:]
        x = F.pad(x, (0, -w0 % self.w, 0, -h0 % self.w), mode="reflect")
        h, wd = x.shape[2:]
        first = self.conv_first(x - self.mean)
        t = first.flatten(2).transpose(1, 2)
        if self.patch_embed is not None:
            t = self.patch_embed.norm(t)
        for layer in self.layers:
            t = layer(t, h, wd)
        y = self.norm(t).transpose(1, 2).reshape(first.shape)
        if self.conv_after_body is not None:
            y = self.conv_after_body(y)
        y = self.conv_last(self.upsample(self.conv_before_upsample(y + first)))
        return (y + self.mean)[:, :, : h0 * self.scale, : w0 * self.scale]


def make(seed, **kw):
    m = DRCT(**kw)
    archtest.randomize(m, seed)
    with torch.no_grad():  # outputs near 0..1 (mostly unclamped): the last conv small
        m.conv_last.weight.mul_(0.1)
    return m.eval()


SIZES = [(17, 23), (9, 40)]
REAL = dict(embed=180, heads=6, w=16, mlp=2.0, gc=32)  # DRCT (6 groups) and DRCT-L (12 groups)


def check(ws, stem, seed, sizes=SIZES, fragments=(), channels=3, **kw):
    m = make(seed, chans=channels, **kw)
    scale = kw.get("scale", 4)
    paths = archtest.check_formats(m, ws, stem, scale, sizes, summary="x%d, embed %d" % (scale, kw.get("embed", 180)),
                                   wrap="params", channels=channels)
    for f in fragments:
        archtest.check_detected(paths[0], f)
    return m, paths


def test_tiny_variants(ws):
    check(ws, "w8_x2", 1, embed=16, groups=2, heads=2, w=8, gc=8, scale=2, feat=16, train_size=16,
          fragments=("DRCT x2, embed 16, 2 groups, gc 8, heads 2, window 8, mlp 32 (swin1..5 heads/mlp 2/32 2/48 2/64 2/40 2/48)",))
    # Heads that differ per block (3 - width % 3: 3, 1, 2, 3, 1), window 4, x3.
    check(ws, "w4_x3", 2, embed=18, groups=1, heads=3, w=4, gc=8, scale=3, feat=8, train_size=8,
          fragments=("swin1..5 heads/mlp 3/36 1/52 2/68 3/42 1/50", "window 4"))
    # Heads per group, mlp ratio 1.5, no qkv bias, no patch norm, identity resi_connection, x4.
    check(ws, "w4_x4", 3, embed=12, groups=2, heads=(2, 3), w=4, gc=6, mlp=1.5, scale=4, feat=8, qkv_bias=False,
          patch_norm=False, after_body=False, train_size=8, fragments=("heads [2,3]", "mlp 18", "identity resi_connection"))
    # One channel (no mean), window 8, x2.
    check(ws, "gray_x2", 4, embed=16, groups=1, heads=4, w=8, gc=4, scale=2, feat=8, train_size=16, channels=1,
          sizes=[(13, 21)])


def test_real_configurations(ws):
    # DRCT x4 on inputs smaller than a window (padded to one or three 16 x 16 windows).
    check(ws, "drct_x4", 21, groups=6, scale=4, sizes=[(13, 15), (9, 40)],
          fragments=("DRCT x4, embed 180, 6 groups, gc 32, heads 6, window 16, mlp 360 "
                     "(swin1..5 heads/mlp 6/360 4/424 2/488 6/276 4/308)",))
    check(ws, "drct_l_x3", 22, groups=12, scale=3, sizes=[(10, 18)], fragments=("DRCT-L x3, embed 180, 12 groups",), **REAL)


def test_stored_buffers_ignored(ws):
    m = make(31, embed=16, groups=2, heads=2, w=4, gc=8, scale=2, feat=8, train_size=8)
    sd = archtest.state_dict(m)
    bad = collections.OrderedDict(sd)
    for k, v in sd.items():
        if k.endswith("relative_position_index"):
            bad[k] = torch.randint(0, 7, v.shape)  # wrong rows
        elif k.endswith("attn_mask"):
            bad[k] = torch.full((9, 16, 16), 55.0)  # garbage, and the mask of another size
    bad["layers.0.swin1.attn_mask"] = torch.ones(2, 3)  # a mask where no shift is
    path = archtest.save_all(ws, "corrupt", bad)
    clean = archtest.save_all(ws, "clean", sd)[0]
    x = archtest.image(17, 23)
    expected = archtest.reference(m, x, 2)
    for p in path:
        archtest.check_close(os.path.basename(p) + " (corrupted buffers)", archtest.run(p, x, 2), expected)
    same = archtest.max_diff(archtest.run(path[0], x, 2), archtest.run(clean, x, 2))
    archtest.check(same == 0, "corrupted buffers changed the output by %g" % same)
    stripped = collections.OrderedDict((k, v) for k, v in sd.items() if not k.endswith(("relative_position_index", "attn_mask")))
    p = archtest.save_all(ws, "stripped", stripped)[0]
    archtest.check_close("no buffers", archtest.run(p, x, 2), expected)


def test_tiled_equals_untiled(ws):
    # DRCT's body at the published width and depth (x2 reconstruction: the tail does not change what
    # tiling sees, and keeps the test short).
    m = make(41, groups=6, scale=2, **REAL)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    # Default tile (256 = 16 windows) and overlap (32 = 2 windows): two tiles side by side (2 x 136 wide).
    x = archtest.image(48, 272, seed=5)
    whole = archtest.run(path, x, 2, tile=4096)
    what = "tiled (default tile and overlap) vs untiled on %dx%d" % (x.shape[1], x.shape[0])
    d = archtest.check_close(what, archtest.run(path, x, 2), whole, 2.0 / 255)
    print("  tiled vs untiled at the defaults: %.3g (%.2f/255)" % (d, d * 255))
    for overlap in (16, 48, 64) if os.environ.get("UPRES_DRCT_OVERLAPS") else ():  # docs/models.md
        e = archtest.max_diff(archtest.run(path, x, 2, tile=256, tile_overlap=overlap), whole)
        print("  overlap %d: %.3g (%.2f/255)" % (overlap, e, e * 255))


def test_bad_files(ws):
    m = make(51, embed=16, groups=2, heads=2, w=4, gc=8, scale=2, feat=8, train_size=8)
    sd = archtest.state_dict(m)
    bad = dict(sd)
    del bad["layers.1.swin4.mlp.fc2.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "DRCT", "layers.1.swin4.mlp.fc2.weight")
    bad = dict(sd)
    del bad["layers.0.adjust3.bias"]
    archtest.expect_model_error(archtest.save_all(ws, "adjust_bias", bad)[0], "layers.0.adjust3.bias")
    bad = dict(sd)
    bad["layers.0.adjust2.weight"] = torch.zeros(8, 16, 1, 1)  # as if swin2 saw the group input only
    archtest.expect_model_error(archtest.save_all(ws, "dense", bad)[0], "layers.0.adjust2.weight", "[8, 16, 1, 1]",
                                "[8, 24, 1, 1]")
    bad = dict(sd)
    bad["layers.0.swin3.attn.qkv.weight"] = torch.zeros(96, 31)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "layers.0.swin3.attn.qkv.weight", "[96, 31]")
    bad = dict(sd)
    bad["layers.1.swin2.attn.relative_position_bias_table"] = torch.zeros(225, 2)
    archtest.expect_model_error(archtest.save_all(ws, "window", bad)[0], "window 8")
    bad = dict(sd)
    bad["layers.0.swin2.attn.relative_position_bias_table"] = torch.zeros(49, 5)
    archtest.expect_model_error(archtest.save_all(ws, "heads", bad)[0], "heads", "do not divide")
    bad = dict(sd)
    bad["layers.0.swin6.norm1.weight"] = torch.zeros(48)
    archtest.expect_model_error(archtest.save_all(ws, "swin6", bad)[0], "swin6")
    bad = {k: v for k, v in sd.items() if not k.startswith(("conv_before_upsample", "upsample", "conv_last"))}
    archtest.expect_model_error(archtest.save_all(ws, "no_upsampler", bad)[0], "conv_last", "not supported")
    bad = dict(sd)
    bad["absolute_pos_embed"] = torch.zeros(1, 64, 16)
    archtest.expect_model_error(archtest.save_all(ws, "ape", bad)[0], "absolute_pos_embed")
    bad = dict(sd)
    bad["layers.1.swin5.norm2.bias"] = torch.full((48,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "layers.1.swin5.norm2.bias", "NaN")


def bench_models():
    """Published sizes for benchmarks/arch_speed.py."""
    return [("DRCT x4", make(1, groups=6, scale=4, **REAL), 4),
            ("DRCT-L x4", make(2, groups=12, scale=4, **REAL), 4)]


if __name__ == "__main__":
    archtest.main(globals())
