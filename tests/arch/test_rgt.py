#!/usr/bin/python3
"""RGT (Chen et al. 2024, "Recursive Generalization Transformer for Image Super-Resolution") against
a reference written here from the paper's description and the published checkpoints' key names.

Groups of blocks alternate two attentions. Even blocks: local rectangular-window self-attention
(L-SA) with two branches on the two channel halves, one with sh x sw windows and one with sw x sh,
half the heads each, a relative position bias made by a small MLP from the (dy, dx) offsets, q, k
and v zero-padded on the right and bottom to a multiple of the larger window side (the padded
positions take part in the softmax), some blocks' windows shifted by half a window with the
wrapped-around regions masked, and a 3x3 depthwise conv of v added before the projection. Odd
blocks: recursive-generalization self-attention (RG-SA): the map is reduced by a 4x4 stride-4
depthwise conv applied T times (T from the map's size, at least 2), then a 3x3 depthwise conv, a
1x1 conv to c_ratio * C channels, LayerNorm and GELU; every token's query (c_ratio * C wide)
attends to the reduced map's keys, and the values (C wide) get a 3x3 depthwise conv of themselves.
Every block: pre-norm attention and a pre-norm gated MLP (fc1, GELU, the second half layer-normed
and 3x3 depthwise-convolved gating the first, fc2), plus its input scaled by a learned per-channel
gamma. Groups close with a conv and a skip; SwinIR's head and pixel-shuffle tail around them.

The state dict carries the buffers the published checkpoints have (rpe_biases, relative_position_index,
attn_mask_0 / attn_mask_1 for the training patch), which upres reads only for their shapes."""
import collections
import math
import os

import archtest
from archtest import F, nn, torch

MEAN = (0.4488, 0.4371, 0.4040)


def offsets(hs, ws):
    """(dy, dx) for every row of the bias MLP's input, dy major."""
    return torch.tensor([[float(dy), float(dx)] for dy in range(1 - hs, hs) for dx in range(1 - ws, ws)])


def pair_index(hs, ws):
    pos = [(y, x) for y in range(hs) for x in range(ws)]
    return torch.tensor([[(qy - ky + hs - 1) * (2 * ws - 1) + (qx - kx + ws - 1) for (ky, kx) in pos] for (qy, qx) in pos])


def windows(x, hs, ws):
    """[H, W, C] -> [nW, hs*ws, C], windows and their tokens row-major."""
    h, w, c = x.shape
    return x.view(h // hs, hs, w // ws, ws, c).transpose(1, 2).reshape(-1, hs * ws, c)


def unwindows(x, hs, ws, h, w):
    c = x.shape[-1]
    return x.view(h // hs, w // ws, hs, ws, c).transpose(1, 2).reshape(h, w, c)


def shift_mask(h, w, hs, ws, sy, sx):
    """Region ids of the rolled map (3 bands per axis), -100 between different regions of a window."""
    ids = torch.zeros(h, w)
    ybands = [(0, h - hs), (h - hs, h - sy), (h - sy, h)]
    xbands = [(0, w - ws), (w - ws, w - sx), (w - sx, w)]
    r = 0
    for y0, y1 in ybands:
        for x0, x1 in xbands:
            ids[y0:y1, x0:x1] = r
            r += 1
    win = windows(ids[:, :, None], hs, ws)[:, :, 0]
    return torch.where(win[:, :, None] == win[:, None, :], 0.0, -100.0)


class LNReluLinear(nn.Sequential):
    def __init__(self, d, out):
        super().__init__(nn.LayerNorm(d), nn.ReLU(), nn.Linear(d, out))


class PosMLP(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        d = width // 4
        self.pos_proj = nn.Linear(2, d)
        self.pos1, self.pos2, self.pos3 = LNReluLinear(d, d), LNReluLinear(d, d), LNReluLinear(d, heads)

    def forward(self, off):
        return self.pos3(self.pos2(self.pos1(self.pos_proj(off))))


class Branch(nn.Module):
    """Attention of one channel half in hs x ws windows (the projection is the caller's)."""

    def __init__(self, dim, heads, hs, ws, train):
        super().__init__()
        self.heads, self.hs, self.ws = heads, hs, ws
        self.pos = PosMLP(dim // 4, heads)
        self.register_buffer("rpe_biases", offsets(hs, ws))  # as checkpoints carry them; not used
        self.register_buffer("relative_position_index", pair_index(hs, ws))
        self.index = pair_index(hs, ws)

    def forward(self, q, k, v, h, w, mask):  # [H, W, C/2] each, H and W window multiples
        c = q.shape[-1]
        d = c // self.heads
        split = lambda t: windows(t, self.hs, self.ws).view(-1, self.hs * self.ws, self.heads, d).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        logits = (q * d ** -0.5) @ k.transpose(-2, -1)
        bias = self.pos(offsets(self.hs, self.ws))[self.index].permute(2, 0, 1)
        logits = logits + bias[None]
        if mask is not None:
            logits = logits + mask[:, None]
        out = (logits.softmax(-1) @ v).transpose(1, 2).reshape(-1, self.hs * self.ws, c)
        return unwindows(out, self.hs, self.ws, h, w)


class LocalAttn(nn.Module):
    def __init__(self, dim, heads, split, shifted, qkv_bias, train):
        super().__init__()
        sh, sw = split
        self.split, self.shifted = split, shifted
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.attns = nn.ModuleList([Branch(dim // 2, heads // 2, sh, sw, train), Branch(dim // 2, heads // 2, sw, sh, train)])
        self.get_v = nn.Conv2d(dim, dim, 3, 1, 1, groups=dim)
        if shifted:  # the training patch's masks, as checkpoints carry them; not used
            self.register_buffer("attn_mask_0", shift_mask(train, train, sh, sw, sh // 2, sw // 2))
            self.register_buffer("attn_mask_1", shift_mask(train, train, sw, sh, sw // 2, sh // 2))

    def forward(self, x, h, w):  # x [1, h*w, C]
        c = x.shape[-1]
        q, k, v = self.qkv(x)[0].view(h, w, 3, c).unbind(2)
        m = max(self.split)
        ph, pw = -h % m, -w % m
        pad = lambda t: F.pad(t.permute(2, 0, 1), (0, pw, 0, ph)).permute(1, 2, 0)  # zeros right / bottom
        H, W = h + ph, w + pw
        halves = []
        for i, br in enumerate(self.attns):
            part = [pad(t[:, :, i * c // 2:(i + 1) * c // 2]) for t in (q, k, v)]
            if self.shifted:
                sy, sx = br.hs // 2, br.ws // 2
                part = [torch.roll(t, (-sy, -sx), (0, 1)) for t in part]
                o = torch.roll(br(*part, H, W, shift_mask(H, W, br.hs, br.ws, sy, sx)), (sy, sx), (0, 1))
            else:
                o = br(*part, H, W, None)
            halves.append(o[:h, :w])
        att = torch.cat(halves, -1).reshape(1, h * w, c)
        lcm = self.get_v(v.permute(2, 0, 1)[None]).flatten(2).transpose(1, 2)
        return self.proj(att + lcm)


class GlobalAttn(nn.Module):
    def __init__(self, dim, heads, c_ratio, qkv_bias):
        super().__init__()
        self.heads, self.cr = heads, int(dim * c_ratio)
        self.scale = (dim // heads * c_ratio) ** -0.5
        self.reduction1 = nn.Conv2d(dim, dim, 4, 4, groups=dim)
        self.dwconv = nn.Conv2d(dim, dim, 3, 1, 1, groups=dim)
        self.conv = nn.Conv2d(dim, self.cr, 1)
        self.norm_act = nn.Sequential(nn.LayerNorm(self.cr), nn.GELU())
        self.q = nn.Linear(dim, self.cr, bias=qkv_bias)
        self.k = nn.Linear(self.cr, self.cr, bias=qkv_bias)
        self.v = nn.Linear(self.cr, dim, bias=qkv_bias)
        self.cpe = nn.Conv2d(dim, dim, 3, 1, 1, groups=dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, h, w):
        c, nh = x.shape[-1], self.heads
        times = max(2, max(int(math.log(h // 16, 4)), int(math.log(w // 16, 4))))
        r = x.transpose(1, 2).reshape(1, c, h, w)
        for _ in range(times):
            r = self.reduction1(r)
        rh, rw = r.shape[2:]
        r = self.norm_act(self.conv(self.dwconv(r)).flatten(2).transpose(1, 2))  # [1, N', cr]
        q = self.q(x).view(-1, nh, self.cr // nh).transpose(0, 1)      # [heads, N, cr/h]
        k = self.k(r)[0].view(-1, nh, self.cr // nh).transpose(0, 1)   # [heads, N', cr/h]
        v = self.v(r)[0]                                               # [N', C]
        v = v + self.cpe(v.t().reshape(1, c, rh, rw))[0].flatten(1).t()
        v = v.view(-1, nh, c // nh).transpose(0, 1)                    # [heads, N', C/h]
        out = ((q @ k.transpose(-2, -1)) * self.scale).softmax(-1) @ v
        return self.proj(out.transpose(0, 1).reshape(1, h * w, c))


class Gate(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.conv = nn.Conv2d(d, d, 3, 1, 1, groups=d)

    def forward(self, x, h, w):
        a, b = x.chunk(2, -1)
        b = self.conv(self.norm(b).transpose(1, 2).reshape(1, -1, h, w)).flatten(2).transpose(1, 2)
        return a * b


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.sg, self.fc2 = nn.Linear(dim, hidden), Gate(hidden // 2), nn.Linear(hidden // 2, dim)

    def forward(self, x, h, w):
        return self.fc2(self.sg(F.gelu(self.fc1(x)), h, w))


def is_shifted(group, block):
    """Which L-SA blocks shift their windows: blocks 2, 6, 10, ... in even groups, 0, 4, 8, ... in odd ones."""
    return (block - 2) % 4 == 0 if group % 2 == 0 else block % 4 == 0


class Block(nn.Module):
    def __init__(self, dim, heads, hidden, split, c_ratio, qkv_bias, group, idx, train):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        if idx % 2 == 0:
            self.attn = LocalAttn(dim, heads, split, is_shifted(group, idx), qkv_bias, train)
        else:
            self.attn = GlobalAttn(dim, heads, c_ratio, qkv_bias)
        self.mlp = Mlp(dim, hidden)
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x, h, w):
        y = x + self.attn(self.norm1(x), h, w)
        y = y + self.mlp(self.norm2(y), h, w)
        return y + x * self.gamma


def tail(dim, three):
    if not three:
        return nn.Conv2d(dim, dim, 3, 1, 1)
    return nn.Sequential(nn.Conv2d(dim, dim // 4, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(dim // 4, dim // 4, 1),
                         nn.LeakyReLU(0.2), nn.Conv2d(dim // 4, dim, 3, 1, 1))


class Group(nn.Module):
    def __init__(self, dim, depth, heads, hidden, split, c_ratio, qkv_bias, three, g, train):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim, heads, hidden, split, c_ratio, qkv_bias, g, i, train) for i in range(depth)])
        self.conv = tail(dim, three)

    def forward(self, x, h, w):
        y = x
        for b in self.blocks:
            y = b(y, h, w)
        return x + self.conv(y.transpose(1, 2).reshape(1, -1, h, w)).flatten(2).transpose(1, 2)


class Tokens(nn.Module):  # before_RG: image to tokens, then LayerNorm (its index 1)
    def __init__(self, dim):
        super().__init__()
        self.add_module("1", nn.LayerNorm(dim))

    def forward(self, x):
        return getattr(self, "1")(x.flatten(2).transpose(1, 2))


class RGT(nn.Module):
    def __init__(self, embed=180, depths=(6,) * 8, heads=6, mlp=2.0, split=(8, 32), c_ratio=0.5, scale=4, three=False,
                 chans=3, qkv_bias=True, train=64, img_range=1.0):
        super().__init__()
        heads = heads if isinstance(heads, (list, tuple)) else [heads] * len(depths)
        self.scale, self.img_range = scale, img_range
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1) if chans == 3 else torch.zeros(1, 1, 1, 1),
                             persistent=False)
        self.conv_first = nn.Conv2d(chans, embed, 3, 1, 1)
        self.before_RG = Tokens(embed)
        hidden = int(embed * mlp)
        self.layers = nn.ModuleList([Group(embed, d, h, hidden, split, c_ratio, qkv_bias, three, g, train)
                                     for g, (d, h) in enumerate(zip(depths, heads))])
        self.norm = nn.LayerNorm(embed)
        self.conv_after_body = tail(embed, three)
        self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed, 64, 3, 1, 1), nn.LeakyReLU())
        ups = [nn.Conv2d(64, 9 * 64, 3, 1, 1), nn.PixelShuffle(3)] if scale == 3 else \
            sum([[nn.Conv2d(64, 4 * 64, 3, 1, 1), nn.PixelShuffle(2)] for _ in range(int(math.log2(scale)))], [])
        self.upsample = nn.Sequential(*ups)
        self.conv_last = nn.Conv2d(64, chans, 3, 1, 1)

    def forward(self, x):
        h, w = x.shape[2:]
        x = (x - self.mean) * self.img_range
        first = self.conv_first(x)
        t = self.before_RG(first)
        for g in self.layers:
            t = g(t, h, w)
        y = self.conv_after_body(self.norm(t).transpose(1, 2).reshape(first.shape)) + first
        y = self.conv_last(self.upsample(self.conv_before_upsample(y)))
        return y / self.img_range + self.mean


def make(seed, **kw):
    m = RGT(**kw)
    archtest.randomize(m, seed)
    with torch.no_grad():
        m.conv_last.weight.mul_(0.1)
        for b in (b for g in m.layers for b in g.blocks):
            b.gamma.copy_(0.5 + 0.1 * torch.randn(b.gamma.shape))  # near the trained range (layerscale 1e-4 at init)
    return m.eval()


SIZES = [(17, 23), (33, 20)]
TINY = dict(embed=32, depths=(4, 4), heads=4, mlp=2.0, split=(2, 4), c_ratio=0.5, train=16)


def check(ws, stem, seed, sizes=SIZES, fragments=(), **kw):
    m = make(seed, **kw)
    paths = archtest.check_formats(m, ws, stem, kw.get("scale", 4), sizes, summary="RGT x%d" % kw.get("scale", 4))
    for f in fragments:
        archtest.check_detected(paths[0], f)
    return m, paths


def test_tiny_variants(ws):
    check(ws, "x2", 1, scale=2, fragments=("RGT x2, embed 32, depths [4,4], heads 4, split [2,4], mlp 64, c_ratio 0.5",), **TINY)
    check(ws, "x3_3conv", 2, scale=3, three=True, fragments=("3conv",), **TINY)
    check(ws, "x4", 3, scale=4, **TINY)
    # Square windows, odd depth (a group ending on L-SA), depths and heads per group, no qkv bias,
    # c_ratio 0.25, a shifted block in an odd group (block 0) and in an even one (block 2).
    check(ws, "mixed", 4, scale=2, embed=48, depths=(3, 5), heads=(4, 6), mlp=1.5, split=(4, 4), c_ratio=0.25,
          qkv_bias=False, train=16, fragments=("depths [3,5], heads [4,6], split [4,4], mlp 72, c_ratio 0.25",))
    # Sizes where the recursion runs 3 times (a side of 1024 / 16 = 64) are too slow for a unit
    # test with a real width; a tiny one shows T from the size is right.
    m = make(5, scale=2, embed=32, depths=(2,), heads=2, mlp=1.0, split=(2, 4), c_ratio=0.5, train=16)
    path = archtest.save_all(ws, "t3", archtest.state_dict(m))[0]
    x = archtest.image(1030, 64, seed=3)
    archtest.check_close("RGT with 3 reductions (1030x64)", archtest.run(path, x, 2, tile=4096), archtest.reference(m, x, 2))


def test_real_configurations(ws):
    # RGT-S (6 groups) and RGT (8 groups): embed 180, depth 6, 6 heads, split [8, 32], c_ratio 0.5.
    check(ws, "rgt_s_x4", 21, scale=4, embed=180, depths=(6,) * 6, heads=6, mlp=2.0, split=(8, 32), c_ratio=0.5,
          sizes=[(20, 36)], fragments=("RGT x4, embed 180, depths [6,6,6,6,6,6], heads 6, split [8,32], mlp 360",))
    # RGT (8 groups) in one format: the three formats' reading is the same as RGT-S's above.
    m = make(22, scale=2, embed=180, depths=(6,) * 8, heads=6, mlp=2.0, split=(8, 32), c_ratio=0.5)
    path = os.path.join(ws.dir, "rgt_x2.safetensors")
    archtest.save_safetensors(path, archtest.state_dict(m))
    archtest.check_detected(path, "RGT x2, embed 180, depths [6,6,6,6,6,6,6,6]")
    x = archtest.image(18, 33)
    archtest.check_close("RGT x2 33x18", archtest.run(path, x, 2), archtest.reference(m, x, 2))


def test_stored_buffers_ignored(ws):
    m = make(31, scale=2, **TINY)
    sd = archtest.state_dict(m)
    bad = collections.OrderedDict(sd)
    for k, v in sd.items():
        if k.endswith(("rpe_biases", "attn_mask_0", "attn_mask_1")):
            bad[k] = torch.randn(v.shape) * 50
        elif k.endswith("relative_position_index"):
            bad[k] = torch.randint(0, 3, v.shape)
    x = archtest.image(17, 23)
    expected = archtest.reference(m, x, 2)
    for p in archtest.save_all(ws, "corrupt", bad):
        archtest.check_close(os.path.basename(p) + " (corrupted buffers)", archtest.run(p, x, 2), expected)
    # The split size comes from the buffers' shapes (the weights do not hold it): without them, the
    # published [8, 32] is assumed and a file whose windows are otherwise says so in its metadata.
    stripped = collections.OrderedDict((k, v) for k, v in sd.items()
                                       if not k.endswith(("rpe_biases", "relative_position_index", "attn_mask_0", "attn_mask_1")))
    p = archtest.save_all(ws, "stripped", stripped, metadata={"split_size": "2,4"})[0]
    archtest.check_close("no buffers, metadata split_size", archtest.run(p, x, 2), expected)


def test_tiling(ws):
    """RG-SA attends to the whole tile's reduced map, so no tiling equals the untiled result: the
    figure is PSNR against untiled at the defaults (and what smaller tiles give), printed for the docs."""
    m = make(41, scale=2, embed=60, depths=(6, 6), heads=6, mlp=2.0, split=(8, 32), c_ratio=0.5)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    x = archtest.image(160, 300, seed=5)
    whole = archtest.run(path, x, 2, tile=4096)
    for tile in (None, 128):  # the default (256, overlap 32: two tiles), and a smaller one
        opts = {"tile": tile} if tile else {}
        d = archtest.psnr(archtest.run(path, x, 2, **opts), whole)
        print("  tiled (tile %s) vs untiled on 300x160: %.1f dB" % (tile or "default 256", d))
        archtest.check(d >= 40, "tile %s: %.1f dB against untiled" % (tile, d))


def test_bad_files(ws):
    m = make(51, scale=2, **TINY)
    sd = archtest.state_dict(m)
    bad = dict(sd)
    del bad["layers.1.blocks.3.attn.cpe.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "layers.1.blocks.3.attn.cpe.weight")
    bad = dict(sd)
    bad["layers.0.blocks.1.attn.q.weight"] = torch.zeros(16, 31)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "layers.0.blocks.1.attn.q.weight", "[16, 31]")
    bad = dict(sd)
    bad["layers.0.blocks.0.attn.attns.0.rpe_biases"] = torch.zeros(20, 2)
    archtest.expect_model_error(archtest.save_all(ws, "split", bad)[0], "rpe_biases", "20")
    bad = dict(sd)
    bad["layers.0.blocks.0.attn.attns.0.pos.pos3.2.weight"] = torch.zeros(3, 1)
    bad["layers.0.blocks.0.attn.attns.0.pos.pos3.2.bias"] = torch.zeros(3)
    archtest.expect_model_error(archtest.save_all(ws, "branches", bad)[0], "attns.0 has 3 heads")
    bad = dict(sd)
    bad["layers.1.blocks.1.gamma"] = torch.full((32,), float("inf"))
    archtest.expect_model_error(archtest.save_all(ws, "inf", bad)[0], "layers.1.blocks.1.gamma")
    p = archtest.save_all(ws, "badmeta", sd, metadata={"split_size": "3,x"})[0]
    archtest.expect_model_error(p, "split_size")


def bench_models():
    """Published sizes for benchmarks/arch_speed.py."""
    return [("RGT-S x4", make(1, scale=4, embed=180, depths=(6,) * 6, heads=6, mlp=2.0, split=(8, 32), c_ratio=0.5), 4)]


if __name__ == "__main__":
    archtest.main(globals())
