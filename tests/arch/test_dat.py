#!/usr/bin/python3
"""DAT (Chen et al. 2023, "Dual Aggregation Transformer for Image Super-Resolution") in the authors'
key scheme, against a reference written here from the paper's description: a 3x3 head conv, tokens
with a layer norm, residual groups of blocks that alternate spatial window attention (half the
channels in split_h x split_w windows, half in split_w x split_h, half the heads each, a relative
position bias from a small MLP over the offsets, windows rolled by half in some blocks with Swin's
mask, qkv zero-padded to a multiple of the larger side) and channel attention (per head, softmax of
temperature x the cosine of q and k channels over all tokens, applied to v), each with a depthwise
conv branch on v and crossed channel / spatial gates, then the spatial-gate FFN; a conv per group
and its skip, a final norm and conv plus the head's output, then a pixel-shuffle reconstruction.

The state dict carries the buffers real checkpoints have (rpe_biases, relative_position_index, the
training patch's masks attn_mask_0 / attn_mask_1), which upres must read only for their shapes."""
import collections
import glob
import itertools
import math
import os

import archtest
from archtest import F, nn, torch

MEAN = (0.4488, 0.4371, 0.4040)


def rel_index(wh, ww):
    """Row of the offset table for each (query, key) pair of a wh x ww window."""
    pos = [(y, x) for y in range(wh) for x in range(ww)]
    return torch.tensor([[(qy - ky + wh - 1) * (2 * ww - 1) + (qx - kx + ww - 1) for (ky, kx) in pos] for (qy, qx) in pos])


def offsets(wh, ww):
    return torch.tensor([[dy, dx] for dy in range(1 - wh, wh) for dx in range(1 - ww, ww)], dtype=torch.float32)


def region_mask(h, wd, wh, ww, sh, sw):
    """Shifted-window mask on an h x wd map: region ids of the rolled map, compared per window."""
    ids = torch.zeros(h, wd)
    bands = lambda n, w, s: [(0, n - w), (n - w, n - s), (n - s, n)]
    for r, ((y0, y1), (x0, x1)) in enumerate(itertools.product(bands(h, wh, sh), bands(wd, ww, sw))):
        ids[y0:y1, x0:x1] = r
    win = ids.view(h // wh, wh, wd // ww, ww).transpose(1, 2).reshape(-1, wh * ww)
    return torch.where(win[:, :, None] == win[:, None, :], 0.0, -100.0)


def mlp_step(dim, out):
    return nn.Sequential(nn.LayerNorm(dim), nn.ReLU(), nn.Linear(dim, out))


class PosBias(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.pos_proj = nn.Linear(2, dim)
        self.pos1, self.pos2, self.pos3 = mlp_step(dim, dim), mlp_step(dim, dim), mlp_step(dim, heads)

    def forward(self, x):
        return self.pos3(self.pos2(self.pos1(self.pos_proj(x))))


class Branch(nn.Module):
    """Attention within wh x ww windows of [ph, pw, C'] maps q, k, v."""

    def __init__(self, wh, ww, heads, pos_dim):
        super().__init__()
        self.wh, self.ww, self.heads = wh, ww, heads
        self.pos = PosBias(pos_dim, heads)
        self.register_buffer("rpe_biases", offsets(wh, ww))  # as checkpoints store them; shapes only
        self.register_buffer("relative_position_index", rel_index(wh, ww))
        self.offs, self.index = offsets(wh, ww), rel_index(wh, ww)  # the reference's own

    def forward(self, q, k, v, mask):
        ph, pw, c = q.shape
        wh, ww, h = self.wh, self.ww, self.heads
        d = c // h
        win = lambda t: t.view(ph // wh, wh, pw // ww, ww, h, d).permute(0, 2, 4, 1, 3, 5).reshape(-1, h, wh * ww, d)
        q, k, v = win(q), win(k), win(v)
        logits = (q * d ** -0.5) @ k.transpose(-2, -1) + self.pos(self.offs)[self.index].permute(2, 0, 1)[None]
        if mask is not None:
            logits = logits + mask[:, None]
        out = F.softmax(logits, -1) @ v
        return out.view(ph // wh, pw // ww, h, wh, ww, d).permute(0, 3, 1, 4, 2, 5).reshape(ph, pw, c)


def interaction(dim, cg, sg):
    return (nn.Sequential(nn.Conv2d(dim, dim, 3, 1, 1, groups=dim), nn.BatchNorm2d(dim), nn.GELU()),
            nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(dim, cg, 1), nn.BatchNorm2d(cg), nn.GELU(), nn.Conv2d(cg, dim, 1)),
            nn.Sequential(nn.Conv2d(dim, sg, 1), nn.BatchNorm2d(sg), nn.GELU(), nn.Conv2d(sg, 1, 1)))


class SpatialAttn(nn.Module):
    def __init__(self, dim, heads, split, shifted, qkv_bias, pos_dim, train):
        super().__init__()
        self.split, self.shifted = split, shifted
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        sh, sw = split
        self.attns = nn.ModuleList([Branch(sh, sw, heads // 2, pos_dim), Branch(sw, sh, heads // 2, pos_dim)])
        if shifted:  # the training patch's masks, as checkpoints carry them; unused
            self.register_buffer("attn_mask_0", region_mask(train, train, sh, sw, sh // 2, sw // 2))
            self.register_buffer("attn_mask_1", region_mask(train, train, sw, sh, sw // 2, sh // 2))
        self.dwconv, self.channel_interaction, self.spatial_interaction = interaction(dim, dim // 8, dim // 16)

    def forward(self, x, h, w):
        c = x.shape[2]
        half, m = c // 2, max(self.split)
        qkv = self.qkv(x)[0].view(h, w, 3, c)
        v_img = qkv[:, :, 2].permute(2, 0, 1)[None]
        ph, pw = -(-h // m) * m, -(-w // m) * m
        qkv = F.pad(qkv, (0, 0, 0, 0, 0, pw - w, 0, ph - h))  # zeros, after the projection
        outs = []
        for i, br in enumerate(self.attns):
            part, mask, s = qkv[..., i * half:(i + 1) * half], None, (br.wh // 2, br.ww // 2)
            if self.shifted:
                part = torch.roll(part, (-s[0], -s[1]), (0, 1))
                mask = region_mask(ph, pw, br.wh, br.ww, *s)
            o = br(part[:, :, 0], part[:, :, 1], part[:, :, 2], mask)
            if self.shifted:
                o = torch.roll(o, s, (0, 1))
            outs.append(o[:h, :w])
        att = torch.cat(outs, -1).reshape(1, h * w, c)
        conv = self.dwconv(v_img)
        gate_c = torch.sigmoid(self.channel_interaction(conv)).view(1, 1, c)
        gate_s = torch.sigmoid(self.spatial_interaction(att.transpose(1, 2).reshape(1, c, h, w)))
        return self.proj(att * gate_c + (conv * gate_s).flatten(2).transpose(1, 2))


class ChannelAttn(nn.Module):
    def __init__(self, dim, heads, qkv_bias):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.dwconv, self.channel_interaction, self.spatial_interaction = interaction(dim, dim // 8, dim // 16)

    def forward(self, x, h, w):
        c = x.shape[2]
        q, k, v = self.qkv(x)[0].view(h * w, 3, self.heads, c // self.heads).permute(1, 2, 3, 0)  # [heads, d, L] each
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        attn = ((q @ k.transpose(-2, -1)) * self.temperature).softmax(-1)
        att = (attn @ v).reshape(c, h * w).t()[None]
        conv = self.dwconv(v.reshape(c, h, w)[None])
        gate_c = torch.sigmoid(self.channel_interaction(att.transpose(1, 2).reshape(1, c, h, w)))
        gate_s = torch.sigmoid(self.spatial_interaction(conv)).flatten(2).transpose(1, 2)
        return self.proj(att * gate_s + (conv * gate_c).flatten(2).transpose(1, 2))


class SpatialGate(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1, groups=dim)


class FFN(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.sg, self.fc2 = nn.Linear(dim, hidden), SpatialGate(hidden // 2), nn.Linear(hidden // 2, dim)

    def forward(self, x, h, w):
        a, b = F.gelu(self.fc1(x)).chunk(2, -1)
        b = self.sg.conv(self.sg.norm(b).transpose(1, 2).reshape(1, -1, h, w)).flatten(2).transpose(1, 2)
        return self.fc2(a * b)


def shifted(g, b):
    return (g % 2 == 0 and b > 0 and (b - 2) % 4 == 0) or (g % 2 == 1 and b % 4 == 0)


class Block(nn.Module):
    def __init__(self, dim, heads, split, g, b, hidden, qkv_bias, pos_dim, train):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = SpatialAttn(dim, heads, split, shifted(g, b), qkv_bias, pos_dim, train) if b % 2 == 0 else \
            ChannelAttn(dim, heads, qkv_bias)
        self.ffn = FFN(dim, hidden)

    def forward(self, x, h, w):
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.ffn(self.norm2(x), h, w)


def tail(dim, three):
    if not three:
        return nn.Conv2d(dim, dim, 3, 1, 1)
    return nn.Sequential(nn.Conv2d(dim, dim // 4, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(dim // 4, dim // 4, 1),
                         nn.LeakyReLU(0.2), nn.Conv2d(dim // 4, dim, 3, 1, 1))


class Group(nn.Module):
    def __init__(self, blocks, conv):
        super().__init__()
        self.blocks, self.conv = nn.ModuleList(blocks), conv

    def forward(self, x, h, w):
        y = x
        for b in self.blocks:
            y = b(y, h, w)
        return self.conv(y.transpose(1, 2).reshape(1, -1, h, w)).flatten(2).transpose(1, 2) + x


class DAT(nn.Module):
    def __init__(self, embed=60, depths=(18,), heads=6, split=(8, 32), expansion=2.0, upsampler="pixelshuffledirect",
                 scale=2, three=True, img_range=1.0, chans=3, feat=64, qkv_bias=True, train=64):
        super().__init__()
        heads = heads if isinstance(heads, (list, tuple)) else [heads] * len(depths)
        self.scale, self.upsampler, self.img_range = scale, upsampler, img_range
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1) if chans == 3 else torch.zeros(1, 1, 1, 1),
                             persistent=False)
        self.conv_first = nn.Conv2d(chans, embed, 3, 1, 1)
        self.before_RG = nn.Sequential(nn.Identity(), nn.LayerNorm(embed))
        hidden, pos_dim = int(embed * expansion), embed // 2 // 4 // 4
        self.layers = nn.ModuleList([
            Group([Block(embed, nh, split, g, b, hidden, qkv_bias, pos_dim, train) for b in range(d)], tail(embed, three))
            for g, (d, nh) in enumerate(zip(depths, heads))])
        self.norm = nn.LayerNorm(embed)
        self.conv_after_body = tail(embed, three)
        if upsampler == "pixelshuffle":
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed, feat, 3, 1, 1), nn.LeakyReLU())
            ups = [nn.Conv2d(feat, 9 * feat, 3, 1, 1), nn.PixelShuffle(3)] if scale == 3 else \
                sum([[nn.Conv2d(feat, 4 * feat, 3, 1, 1), nn.PixelShuffle(2)] for _ in range(int(math.log2(scale)))], [])
            self.upsample = nn.Sequential(*ups)
            self.conv_last = nn.Conv2d(feat, chans, 3, 1, 1)
        else:
            self.upsample = nn.Sequential(nn.Conv2d(embed, chans * scale * scale, 3, 1, 1), nn.PixelShuffle(scale))

    def forward(self, x):
        h, w = x.shape[2:]
        x = (x - self.mean) * self.img_range
        first = self.conv_first(x)
        t = self.before_RG[1](first.flatten(2).transpose(1, 2))
        for layer in self.layers:
            t = layer(t, h, w)
        y = self.conv_after_body(self.norm(t).transpose(1, 2).reshape(first.shape)) + first
        if self.upsampler == "pixelshuffle":
            y = self.conv_last(self.upsample(self.conv_before_upsample(y)))
        else:
            y = self.upsample(y)
        return y / self.img_range + self.mean


def make(seed, **kw):
    m = DAT(**kw)
    archtest.randomize(m, seed)
    with torch.no_grad():  # outputs near 0..1 (mostly unclamped): the last conv small
        last = m.upsample[0] if kw.get("upsampler", "pixelshuffledirect") == "pixelshuffledirect" else m.conv_last
        last.weight.mul_(0.1)
    return m.eval()


# train: the training patch whose masks the files carry (small: they are big and never read).
LIGHT = dict(embed=60, depths=(18,), heads=6, split=(8, 32), expansion=2.0, upsampler="pixelshuffledirect", three=True, train=32)
BIG = dict(embed=180, depths=(6,) * 6, heads=6, upsampler="pixelshuffle", three=False, train=32)
TINY = dict(embed=32, depths=(2, 4), heads=2, split=(4, 8), expansion=2.0, train=16)
SIZES = [(17, 23), (9, 40)]


def check(ws, stem, seed, sizes=SIZES, fragments=(), metadata=None, **kw):
    m = make(seed, **kw)
    scale = kw.get("scale", 2)
    summary = "DAT x%d" % scale
    paths = archtest.check_formats(m, ws, stem, scale, sizes, summary=summary, metadata=metadata, wrap="params",
                                   channels=kw.get("chans", 3))
    for f in fragments:
        archtest.check_detected(paths[0], f)
    return m, paths


def test_tiny_variants(ws):
    # Split 4x8 written in the metadata and in the buffers' shapes alike.
    check(ws, "direct_x2", 1, upsampler="pixelshuffledirect", scale=2, three=True,
          fragments=("split 4x8", "depths [2,4], heads 2", "pixelshuffledirect, 3conv"), **TINY)
    check(ws, "ps_x3", 2, upsampler="pixelshuffle", scale=3, feat=16, three=False, fragments=("pixelshuffle, 1conv",), **TINY)
    check(ws, "ps_x4", 3, upsampler="pixelshuffle", scale=4, feat=8, three=False, fragments=("DAT x4",), **TINY)
    # Odd heads (the spatial branches get heads // 2), no qkv bias, a group of one block, 3
    # groups (odd groups shift at block 0), a square split, expansion 3, depth 5.
    check(ws, "odd", 4, embed=48, depths=(5, 1, 3), heads=(3, 4, 2), split=(6, 6), expansion=3.0, upsampler="pixelshuffledirect",
          scale=2, three=False, qkv_bias=False, train=12, sizes=[(13, 19)],
          fragments=("depths [5,1,3], heads [3,4,2], split 6x6, ffn 144",))
    # Split 8x16 (DAT-S's), 2x2 windows with 1-pixel shifts, and a 1-channel model.
    check(ws, "s816", 5, embed=32, depths=(3, 3), heads=2, split=(8, 16), upsampler="pixelshuffledirect", scale=2, three=False,
          sizes=[(21, 18)], fragments=("split 8x16",))
    check(ws, "s22", 6, embed=32, depths=(3,), heads=2, split=(2, 2), upsampler="pixelshuffledirect", scale=2, three=False,
          train=4, sizes=[(7, 9)], fragments=("split 2x2",))
    check(ws, "gray", 7, embed=32, depths=(2,), heads=2, split=(4, 8), upsampler="pixelshuffledirect", scale=2, three=False,
          chans=1, train=16, sizes=[(11, 10)])


def drop_buffers(sd):
    return collections.OrderedDict((k, v) for k, v in sd.items()
                                   if not k.endswith(("rpe_biases", "relative_position_index", "attn_mask_0", "attn_mask_1")))


def test_split_and_img_range_metadata(ws):
    m = make(11, **dict(TINY, upsampler="pixelshuffledirect", scale=2, three=False))
    x = archtest.image(17, 23)
    expected = archtest.reference(m, x, 2)
    stripped = drop_buffers(archtest.state_dict(m))
    # Without the buffers the split comes from the metadata (safetensors), else it is [8, 32].
    p = archtest.save_all(ws, "meta", stripped, metadata={"split_size": "[4, 8]"})[0]
    archtest.check_detected(p, "split 4x8")
    archtest.check_close("no buffers, metadata split_size", archtest.run(p, x, 2), expected)
    p = archtest.save_all(ws, "default", stripped)[0]
    archtest.check_detected(p, "split 8x32")
    bad = archtest.save_all(ws, "disagree", archtest.state_dict(m), metadata={"split_size": "8,16"})[0]
    archtest.expect_model_error(bad, "split_size", "disagrees")
    archtest.expect_model_error(archtest.save_all(ws, "garbled", stripped, metadata={"split_size": "8;x"})[0], "split_size")
    archtest.expect_model_error(archtest.save_all(ws, "odd_split", stripped, metadata={"split_size": "4,6"})[0], "4x6")
    # img_range 255 from the metadata.
    m2 = make(12, img_range=255.0, **dict(TINY, upsampler="pixelshuffledirect", scale=2, three=False))
    p = archtest.save_all(ws, "range", archtest.state_dict(m2), metadata={"img_range": "255"})[0]
    archtest.check_detected(p, "img_range 255")
    archtest.check_close("metadata img_range 255", archtest.run(p, x, 2), archtest.reference(m2, x, 2))
    archtest.expect_model_error(archtest.save_all(ws, "range_bad", stripped, metadata={"img_range": "2"})[0], "img_range")


def test_real_configurations(ws):
    check(ws, "light_x2", 21, scale=2, sizes=[(17, 23), (40, 9)],
          fragments=("DAT x2 (DAT-light), embed 60, depths [18], heads 6, split 8x32, ffn 120, pixelshuffledirect, 3conv",), **LIGHT)
    check(ws, "light_x4", 22, scale=4, sizes=[(12, 21)], **LIGHT)
    check(ws, "dat_s_x2", 23, split=(8, 16), expansion=2.0, scale=2, sizes=[(13, 18)],
          fragments=("DAT x2 (DAT-S), embed 180, depths [6,6,6,6,6,6], heads 6, split 8x16, ffn 360, pixelshuffle, 1conv",), **BIG)
    check(ws, "dat_x4", 24, split=(8, 32), expansion=4.0, scale=4, sizes=[(11, 15)], fragments=("DAT x4 (DAT), ", "ffn 720"), **BIG)
    check(ws, "dat2_x3", 25, split=(8, 32), expansion=2.0, scale=3, sizes=[(9, 14)], fragments=("DAT x3 (DAT-2), ",), **BIG)


def test_stored_buffers_ignored(ws):
    m = make(31, **dict(TINY, upsampler="pixelshuffledirect", scale=2, three=False))
    sd = archtest.state_dict(m)
    bad = collections.OrderedDict(sd)
    for k, v in sd.items():
        if k.endswith("relative_position_index"):
            bad[k] = torch.randint(0, 5, v.shape)
        elif k.endswith("rpe_biases"):
            bad[k] = torch.randn(v.shape) * 100
        elif k.endswith(("attn_mask_0", "attn_mask_1")):
            bad[k] = torch.full((3, 7, 7), 55.0)  # garbage of another size
    paths = archtest.save_all(ws, "corrupt", bad)
    clean = archtest.save_all(ws, "clean", sd)[0]
    x = archtest.image(17, 23)
    expected = archtest.reference(m, x, 2)
    for p in paths:
        archtest.check_close(os.path.basename(p) + " (corrupted buffers)", archtest.run(p, x, 2), expected)
    same = archtest.max_diff(archtest.run(paths[0], x, 2), archtest.run(clean, x, 2))
    archtest.check(same == 0, "corrupted buffers changed the output by %g" % same)


def tiling_model():
    return make(41, scale=2, **LIGHT)


def test_tiled_equals_untiled(ws):
    """Tiled runs take the channel attention's q k^T and norms and the gates' means image-wide
    (the runner's passes), and tiles start on the windows' lattice."""
    # A tiny model (split 4x8: tile 64, overlap 16 by default): 2 x 2 tiles at the defaults.
    t = make(42, **dict(TINY, upsampler="pixelshuffledirect", scale=2, three=False))
    p = archtest.save_all(ws, "tiny", archtest.state_dict(t))[0]
    y = archtest.image(100, 120, seed=6)
    whole = archtest.run(p, y, 2, tile=4096)
    d = archtest.check_close("tiny, tiled (defaults: 2 x 2 tiles of 64) vs untiled on 120x100", archtest.run(p, y, 2), whole,
                             2.0 / 255)
    e = archtest.max_diff(archtest.run(p, y, 2, image_statistics=1), whole)
    print("  tiny: image's sums %.3g; each tile's own (image_statistics=1) %.3g (%.2f/255)" % (d, e, e * 255))
    # DAT-light size, default tile (256) and overlap (64): 2 x 1 tiles of 320 x 96, or (UPRES_DAT_TILES=1,
    # several minutes) 2 x 2 tiles of 300 x 280.
    m = tiling_model()
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    x = archtest.image(280, 300, seed=5) if os.environ.get("UPRES_DAT_TILES") else archtest.image(96, 320, seed=5)
    whole = archtest.run(path, x, 2, tile=4096)
    d = archtest.check_close("tiled (defaults) vs untiled on %dx%d" % (x.shape[1], x.shape[0]), archtest.run(path, x, 2), whole,
                             2.0 / 255)
    print("  tiled vs untiled at tile 256, overlap 64: %.3g (%.2f/255)" % (d, d * 255))


def test_bad_files(ws):
    m = make(51, **dict(TINY, upsampler="pixelshuffle", scale=2, feat=16, three=False))
    sd = archtest.state_dict(m)
    bad = dict(sd)
    del bad["layers.1.blocks.3.ffn.fc2.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "layers.1.blocks.3.ffn.fc2.weight")
    bad = dict(sd)
    bad["layers.0.blocks.1.attn.qkv.weight"] = torch.zeros(96, 31)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "layers.0.blocks.1.attn.qkv.weight", "[96, 31]")
    bad = dict(sd)
    bad["layers.0.blocks.1.attn.temperature"] = torch.ones(4, 1, 1)
    archtest.expect_model_error(archtest.save_all(ws, "heads", bad)[0], "heads")
    bad = dict(sd)
    bad["layers.1.blocks.2.attn.attns.1.pos.pos3.2.weight"] = torch.zeros(2, 1)
    bad["layers.1.blocks.2.attn.attns.1.pos.pos3.2.bias"] = torch.zeros(2)
    archtest.expect_model_error(archtest.save_all(ws, "branch_heads", bad)[0], "heads")
    bad = dict(sd)
    bad["layers.0.blocks.0.attn.temperature"] = torch.ones(2, 1, 1)
    archtest.expect_model_error(archtest.save_all(ws, "mixed", bad)[0], "layers.0.blocks.0", "temperature")
    bad = dict(sd)
    for k in [k for k in sd if k.startswith("layers.0.blocks.0.attn.attns.")]:
        bad[k.replace("blocks.0", "blocks.1")] = sd[k]
    archtest.expect_model_error(archtest.save_all(ws, "mixed2", bad)[0], "layers.0.blocks.1", "attns")
    bad = dict(sd)
    bad["layers.0.blocks.0.attn.attns.0.rpe_biases"] = torch.zeros(50, 2)
    archtest.expect_model_error(archtest.save_all(ws, "rpe", bad)[0], "rpe_biases")
    bad = dict(sd)
    bad["layers.1.blocks.0.attn.attns.1.rpe_biases"] = torch.zeros(15 * 15, 2)
    bad["layers.1.blocks.0.attn.attns.1.relative_position_index"] = torch.zeros(64, 64, dtype=torch.long)
    archtest.expect_model_error(archtest.save_all(ws, "rpe_other", bad)[0], "8x8", "4x8")
    bad = dict(sd)
    bad["layers.0.blocks.0.attn.dwconv.1.running_var"] = -torch.ones(32)
    archtest.expect_model_error(archtest.save_all(ws, "var", bad)[0], "running_var", "negative")
    bad = dict(sd)
    bad["conv_last.bias"] = torch.full((3,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "conv_last.bias", "NaN")
    # Upsamplers dat_arch.py does not have.
    near = {k: v for k, v in sd.items() if not k.startswith("upsample.")}
    near["conv_up1.weight"], near["conv_up1.bias"] = torch.zeros(16, 16, 3, 3), torch.zeros(16)
    archtest.expect_model_error(archtest.save_all(ws, "nearest", near)[0], "nearest+conv", "conv_up1")
    none = {k: v for k, v in sd.items() if not k.startswith(("upsample.", "conv_before_upsample."))}
    archtest.expect_model_error(archtest.save_all(ws, "none", none)[0], "without an upsampler")


def test_set14_tiled(ws):
    """Real photographs (Set14 x4 LR): tiled runs at tiles 64 and 96 against untiled (random weights)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "Set14", "x4", "lr")
    files = sorted(glob.glob(os.path.join(root, "*.png")))
    if not files:
        print("  SKIP: ../shared/data/Set14 is absent")
        return
    m = tiling_model()
    path = archtest.save_all(ws, "set14", archtest.state_dict(m))[0]
    # monarch (192x128) at tile 96: 2 tiles with 64 px of context; UPRES_DAT_SET14=all (or names)
    # for the others and tile 64 too. Images within one tile plus its overlap run as one tile.
    names = os.environ.get("UPRES_DAT_SET14", "monarch").split(",")
    tiles = (96,) if names == ["monarch"] else (64, 96)
    for f in files:
        name = os.path.splitext(os.path.basename(f))[0]
        if names != ["all"] and name not in names:
            continue
        x = archtest.np.asarray(archtest.upres.load_file(f), dtype=archtest.np.float32)[:, :, :3] / 255.0
        x = archtest.np.ascontiguousarray(archtest.np.repeat(x, 3, 2) if x.shape[2] == 1 else x)
        whole = archtest.run(path, x, 2, tile=4096)
        for tile in tiles:
            tiled = archtest.run(path, x, 2, tile=tile)
            d = archtest.max_diff(tiled, whole)
            print("  %-10s %dx%d tile %3d: max |diff| %.3g (%.2f/255), PSNR %.1f dB" % (
                name, x.shape[1], x.shape[0], tile, d, d * 255, archtest.psnr(tiled, whole)))
            archtest.check(d <= 2.0 / 255, "%s tile %d: %.3g > 2/255" % (name, tile, d))


def bench_models():
    """Published sizes for benchmarks/arch_speed.py."""
    return [("DAT-light x2", make(1, scale=2, **LIGHT), 2),
            ("DAT x4", make(2, split=(8, 32), expansion=4.0, scale=4, **BIG), 4)]


if __name__ == "__main__":
    archtest.main(globals())
