#!/usr/bin/python3
"""HAT (Chen et al. 2023, "Activating More Pixels in Image Super-Resolution Transformer") in the
authors' key scheme, against a reference written here from the paper's description: SwinIR's
frame (3x3 head conv, residual groups closed by a conv and their skip, a final layer norm and conv
plus the head's output, pixel-shuffle reconstruction) whose groups are hybrid attention blocks
(pre-norm window attention with a relative position bias, every second block shifted by half a
window with the wrap-around mask, plus a channel-attention conv branch on the same normalised input
-- 3x3 down, GELU, 3x3 up, times the sigmoid of a squeeze-excitation of its whole-map mean --
scaled by 0.01; then a pre-norm GELU MLP) followed by one overlapping cross-attention block
(queries from w x w windows, keys and values from the larger window around each, zero beyond the
map, with its own relative position bias; then an MLP). The network runs on x - mean, padded by
reflection to a multiple of the window and cropped back.

The reference computes the position indices, the mask and the padding itself; the state dict also
carries the buffers real checkpoints have (relative_position_index_SA / _OCA, and attn_mask in the
shifted blocks here), which upres must ignore."""
import collections
import itertools
import math
import os

import archtest
from archtest import F, nn, torch

MEAN = (0.4488, 0.4371, 0.4040)


def rel_index(w):
    """Row of a window's self-attention bias table for each (query, key) pair, from coordinates."""
    pos = [(y, x) for y in range(w) for x in range(w)]
    return torch.tensor([[(qy - ky + w - 1) * (2 * w - 1) + (qx - kx + w - 1) for (ky, kx) in pos] for (qy, qx) in pos])


def overlap_index(w, ow):
    """Row of the cross-attention table [(w + ow - 1)^2, heads] for query (qy, qx) of a w x w window
    and key (ky, kx) of the ow x ow window around it, in the authors' numbering: per axis
    key - query + w - ow + 1, which goes negative, and PyTorch indexing counts a negative row from the
    end of the table: the row modulo the table's size."""
    side = w + ow - 1
    q = [(y, x) for y in range(w) for x in range(w)]
    k = [(y, x) for y in range(ow) for x in range(ow)]
    return torch.tensor([[((ky - qy + w - ow + 1) * side + (kx - qx + w - ow + 1)) % (side * side) for (ky, kx) in k]
                         for (qy, qx) in q])


def region_mask(h, wd, w, s):
    """The shifted-window mask for an h x wd map: region ids of the rolled map, compared per window."""
    ids = torch.zeros(h, wd)
    bands = lambda n: [(0, n - w), (n - w, n - s), (n - s, n)]
    for r, ((y0, y1), (x0, x1)) in enumerate(itertools.product(bands(h), bands(wd))):
        ids[y0:y1, x0:x1] = r
    win = ids.view(h // w, w, wd // w, w).transpose(1, 2).reshape(-1, w * w)
    return torch.where(win[:, :, None] == win[:, None, :], 0.0, -100.0)


def windows(x, w):
    """[h, wd, C] -> [windows, w*w, C], windows in row-major order."""
    h, wd, c = x.shape
    return x.view(h // w, w, wd // w, w, c).transpose(1, 2).reshape(-1, w * w, c)


def unwindows(win, w, h, wd):
    c = win.shape[-1]
    return win.view(h // w, wd // w, w, w, c).transpose(1, 2).reshape(h, wd, c)


def heads_attention(q, k, v, heads, bias, mask=None):
    """Multi-head attention of q [b, nq, C] on k, v [b, nk, C] with bias [heads, nq, nk]."""
    b, nq, c = q.shape
    split = lambda t: t.view(b, t.shape[1], heads, c // heads).transpose(1, 2)
    q, k, v = split(q), split(k), split(v)
    logits = (q / math.sqrt(c // heads)) @ k.transpose(-2, -1) + bias[None]
    if mask is not None:
        logits = logits + mask.repeat(b // mask.shape[0], 1, 1)[:, None]
    return (F.softmax(logits, -1) @ v).transpose(1, 2).reshape(b, nq, c)


class Attn(nn.Module):
    def __init__(self, dim, heads, w, qkv_bias):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * w - 1) ** 2, heads))
        self.index = rel_index(w)

    def forward(self, x, mask):  # x: [windows, N, C]
        q, k, v = self.qkv(x).chunk(3, -1)
        bias = self.relative_position_bias_table[self.index].permute(2, 0, 1)
        return self.proj(heads_attention(q, k, v, self.heads, bias, mask))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class SqueezeExcite(nn.Module):
    """Channel attention: x times sigmoid(up(relu(down(mean of x over the map))))."""
    def __init__(self, dim, mid):
        super().__init__()
        self.attention = nn.Sequential(nn.Identity(), nn.Conv2d(dim, mid, 1), nn.ReLU(), nn.Conv2d(mid, dim, 1))

    def forward(self, x):
        return x * torch.sigmoid(self.attention(x.mean((2, 3), keepdim=True)))


class ConvBranch(nn.Module):
    def __init__(self, dim, mid, squeeze):
        super().__init__()
        self.cab = nn.Sequential(nn.Conv2d(dim, mid, 3, 1, 1), nn.GELU(), nn.Conv2d(mid, dim, 3, 1, 1), SqueezeExcite(dim, squeeze))

    def forward(self, x):
        return self.cab(x)


class HybridBlock(nn.Module):
    def __init__(self, dim, heads, w, shift, hidden, mid, squeeze, qkv_bias, train_size):
        super().__init__()
        self.w, self.shift = w, shift
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attn(dim, heads, w, qkv_bias)
        self.conv_block = ConvBranch(dim, mid, squeeze)
        self.mlp = Mlp(dim, hidden)
        if shift:  # some checkpoints carry it: the mask of the training patch size; unused
            self.register_buffer("attn_mask", region_mask(train_size, train_size, w, shift))

    def forward(self, x, h, wd):  # x: [h*wd, C]
        c, w, s = x.shape[1], self.w, self.shift
        n = self.norm1(x).view(h, wd, c)
        conv = self.conv_block(n.permute(2, 0, 1)[None])[0].permute(1, 2, 0).reshape(h * wd, c)
        y = torch.roll(n, (-s, -s), (0, 1)) if s else n
        y = unwindows(self.attn(windows(y, w), region_mask(h, wd, w, s) if s else None), w, h, wd)
        if s:
            y = torch.roll(y, (s, s), (0, 1))
        x = x + y.reshape(h * wd, c) + 0.01 * conv
        return x + self.mlp(self.norm2(x))


class OverlapBlock(nn.Module):
    def __init__(self, dim, heads, w, ow, hidden, qkv_bias):
        super().__init__()
        self.heads, self.w, self.ow = heads, w, ow
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((w + ow - 1) ** 2, heads))
        self.mlp = Mlp(dim, hidden)
        self.index = overlap_index(w, ow)

    def forward(self, x, h, wd):
        c, w, ow = x.shape[1], self.w, self.ow
        q, k, v = self.qkv(self.norm1(x)).view(h, wd, 3 * c).chunk(3, -1)
        qw = windows(q, w)
        # Keys / values of the ow x ow window around each w x w one, zero outside the map.
        kv = torch.cat([k, v], -1).permute(2, 0, 1)[None]  # [1, 2C, h, wd]
        cols = F.unfold(kv, ow, padding=(ow - w) // 2, stride=w)  # [1, 2C * ow * ow, windows]
        cols = cols.view(2, c, ow * ow, -1).permute(0, 3, 2, 1)  # [2, windows, ow*ow, C]
        bias = self.relative_position_bias_table[self.index].permute(2, 0, 1)
        y = unwindows(heads_attention(qw, cols[0], cols[1], self.heads, bias), w, h, wd).reshape(h * wd, c)
        x = x + self.proj(y)
        return x + self.mlp(self.norm2(x))


class Group(nn.Module):
    def __init__(self, blocks, overlap):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.overlap_attn = overlap


class RHAG(nn.Module):
    def __init__(self, dim, depth, heads, w, ow, hidden, mid, squeeze, conv_tail, qkv_bias, train_size):
        super().__init__()
        self.residual_group = Group([HybridBlock(dim, heads, w, (w // 2) * (i % 2), hidden, mid, squeeze, qkv_bias, train_size)
                                     for i in range(depth)], OverlapBlock(dim, heads, w, ow, hidden, qkv_bias))
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1) if conv_tail else None

    def forward(self, x, h, wd):
        y = x
        for b in self.residual_group.blocks:
            y = b(y, h, wd)
        y = self.residual_group.overlap_attn(y, h, wd)
        if self.conv is not None:
            y = self.conv(y.t().reshape(1, -1, h, wd))[0].flatten(1).t()
        return y + x


class PatchEmbed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)


class HAT(nn.Module):
    def __init__(self, embed=96, depths=(6, 6, 6, 6), heads=6, w=16, overlap_ratio=0.5, mlp=2.0, compress=3, squeeze=30,
                 scale=4, chans=3, feat=64, conv_tail=True, qkv_bias=True, patch_norm=True, train_size=64):
        super().__init__()
        heads = heads if isinstance(heads, (list, tuple)) else [heads] * len(depths)
        self.w, self.scale = w, scale
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1) if chans == 3 else torch.zeros(1, 1, 1, 1),
                             persistent=False)
        ow = w + int(w * overlap_ratio)
        # As checkpoints store them (the model's, not a block's); unused.
        self.register_buffer("relative_position_index_SA", rel_index(w))
        self.register_buffer("relative_position_index_OCA", overlap_index(w, ow))
        self.conv_first = nn.Conv2d(chans, embed, 3, 1, 1)
        self.patch_embed = PatchEmbed(embed) if patch_norm else None
        hidden = int(embed * mlp)
        self.layers = nn.ModuleList([RHAG(embed, d, h, w, ow, hidden, embed // compress, embed // squeeze, conv_tail, qkv_bias,
                                          train_size) for d, h in zip(depths, heads)])
        self.norm = nn.LayerNorm(embed)
        self.conv_after_body = nn.Conv2d(embed, embed, 3, 1, 1) if conv_tail else None
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
        t = first[0].flatten(1).t()  # [h*wd, C]
        if self.patch_embed is not None:
            t = self.patch_embed.norm(t)
        for layer in self.layers:
            t = layer(t, h, wd)
        y = self.norm(t).t().reshape(first.shape)
        y = (self.conv_after_body(y) if self.conv_after_body is not None else y) + first
        y = self.conv_last(self.upsample(self.conv_before_upsample(y))) + self.mean
        return y[:, :, : h0 * self.scale, : w0 * self.scale]


def make(seed, **kw):
    m = HAT(**kw)
    archtest.randomize(m, seed)
    with torch.no_grad():  # outputs near 0..1 (mostly unclamped): the last conv small
        m.conv_last.weight.mul_(0.1)
    return m.eval()


SIZES = [(17, 23), (9, 40)]


def check(ws, stem, seed, sizes=SIZES, fragments=(), **kw):
    m = make(seed, **kw)
    scale = kw.get("scale", 4)
    paths = archtest.check_formats(m, ws, stem, scale, sizes, summary="x%d, embed %d" % (scale, kw.get("embed", 96)),
                                   wrap="params_ema")
    for f in fragments:
        archtest.check_detected(paths[0], f)
    return m, paths


def check_one(ws, stem, m, scale, size, fragment):
    """One format only (the big configurations: three copies of their weights cost more than the check)."""
    path = archtest.save_all(ws, stem, archtest.state_dict(m))[0]
    archtest.check_detected(path, fragment)
    x = archtest.image(*size, seed=3)
    archtest.check_close("%s %dx%d" % (stem, size[1], size[0]), archtest.run(path, x, scale), archtest.reference(m, x, scale))


def test_tiny_variants(ws):
    tiny = dict(embed=16, depths=(2, 2), heads=2, mlp=2.0, compress=4, squeeze=8, feat=8, train_size=16)
    check(ws, "w8_x2", 1, w=8, scale=2, fragments=("HAT x2, embed 16, depths [2,2], heads 2, window 8, overlap window 12, "
                                                  "mlp 32, CAB 4 / squeeze 2, 1conv",), **tiny)
    check(ws, "w4_x3", 2, w=4, scale=3, fragments=("window 4, overlap window 6",), **tiny)
    check(ws, "w4_x4", 3, w=4, scale=4, sizes=[(9, 11)], **tiny)
    check(ws, "w8_x1", 4, w=8, scale=1, fragments=("HAT x1",), **tiny)
    # resi_connection identity, other overlap ratios (ow 10 and 16), no qkv bias / patch norm,
    # depths and heads per group, an odd depth, mlp ratio 1.5, x8.
    check(ws, "identity", 5, w=8, overlap_ratio=0.25, scale=2, conv_tail=False, fragments=("overlap window 10", "identity"), **tiny)
    check(ws, "mixed", 6, embed=24, depths=(3, 1, 2), heads=(2, 4, 3), w=4, overlap_ratio=1.0, mlp=1.5, compress=3, squeeze=6,
          scale=2, qkv_bias=False, patch_norm=False, conv_tail=False, train_size=16,
          fragments=("depths [3,1,2], heads [2,4,3]", "overlap window 8", "mlp 36", "CAB 8 / squeeze 4"))
    check(ws, "x8", 7, w=4, scale=8, sizes=[(5, 7)], **tiny)


def test_real_configurations(ws):
    # HAT-S x4 (embed 144, 6 groups of 6, compress_ratio 24, squeeze_factor 24) in the three formats.
    small = dict(embed=144, depths=(6,) * 6, heads=6, w=16, mlp=2.0, compress=24, squeeze=24, scale=4)
    check(ws, "hat_s_x4", 21, sizes=[(20, 28)], fragments=(
        "HAT-S x4, embed 144, depths [6,6,6,6,6,6], heads 6, window 16, overlap window 24, mlp 288, CAB 6 / squeeze 6, 1conv",),
        **small)
    # HAT x3 (180, compress 3, squeeze 30), one format, on one window (the reference's linear layers
    # run on Debian's reference BLAS: slow).
    hat = make(22, embed=180, depths=(6,) * 6, heads=6, w=16, compress=3, squeeze=30, scale=3)
    check_one(ws, "hat_x3", hat, 3, (16, 16),
              "HAT x3, embed 180, depths [6,6,6,6,6,6], heads 6, window 16, overlap window 24, mlp 360, CAB 60 / squeeze 6")
    # HAT-L x2 (12 groups): detection only, its groups copies of HAT's (a parity run costs minutes).
    sd = archtest.state_dict(hat)
    large = collections.OrderedDict((k, v) for k, v in sd.items() if not k.startswith(("layers.", "upsample.")))
    for k, v in sd.items():
        if k.startswith("layers."):
            i, rest = k[len("layers."):].split(".", 1)
            large["layers.%s.%s" % (i, rest)], large["layers.%d.%s" % (int(i) + 6, rest)] = v, v
    large["upsample.0.weight"], large["upsample.0.bias"] = torch.zeros(256, 64, 3, 3), torch.zeros(256)
    path = os.path.join(ws.dir, "hat_l_x2.safetensors")
    archtest.save_safetensors(path, large)
    archtest.check_detected(path, "HAT-L x2, embed 180, depths [6,6,6,6,6,6,6,6,6,6,6,6], heads 6, window 16, overlap window 24",
                            "40698863 parameters")


def test_stored_buffers_ignored(ws):
    m = make(31, embed=16, depths=(2, 2), heads=2, w=4, compress=4, squeeze=8, feat=8, scale=2, train_size=16)
    sd = archtest.state_dict(m)
    bad = collections.OrderedDict(sd)
    for k, v in sd.items():
        if k.startswith("relative_position_index"):
            bad[k] = torch.randint(0, 7, (5, 9))  # wrong rows, and another window's shape
        elif k.endswith("attn_mask"):
            bad[k] = torch.full((4, 64, 64), 55.0)  # garbage, and the mask of another size
    bad["layers.0.residual_group.blocks.0.attn_mask"] = torch.ones(2, 3)  # a mask where no shift is
    bad["layers.0.residual_group.blocks.0.attn.relative_position_index"] = torch.ones(3, 3, dtype=torch.long)
    paths = archtest.save_all(ws, "corrupt", bad)
    clean = archtest.save_all(ws, "clean", sd)[0]
    x = archtest.image(17, 23)
    expected = archtest.reference(m, x, 2)
    for p in paths:
        archtest.check_close(os.path.basename(p) + " (corrupted buffers)", archtest.run(p, x, 2), expected)
    same = archtest.max_diff(archtest.run(paths[0], x, 2), archtest.run(clean, x, 2))
    archtest.check(same == 0, "corrupted buffers changed the output by %g" % same)
    stripped = collections.OrderedDict((k, v) for k, v in sd.items() if not k.startswith("relative_position_index") and
                                       not k.endswith("attn_mask"))
    p = archtest.save_all(ws, "stripped", stripped)[0]
    archtest.check_close("no buffers", archtest.run(p, x, 2), expected)


def test_tiled_equals_untiled(ws):
    # HAT-S-size random weights, x2 (the body costs the same, the tail less); the default tile (256 = 16
    # windows) and overlap (48 = 3 windows): two tiles side by side, the channel attention on the image's
    # means (several passes). UPRES_HAT_OVERLAPS=1: 300x80 and the figures of docs/models.md.
    m = make(41, embed=144, depths=(6,) * 6, heads=6, w=16, mlp=2.0, compress=24, squeeze=24, scale=2)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    extra = os.environ.get("UPRES_HAT_OVERLAPS")  # what less or more context, or each tile's own means, leave
    x = archtest.image(80, 300, seed=5) if extra else archtest.image(24, 270, seed=5)
    whole = archtest.run(path, x, 2, tile=4096)
    what = "tiled (default tile and overlap) vs untiled on %dx%d" % (x.shape[1], x.shape[0])
    d = archtest.check_close(what, archtest.run(path, x, 2), whole, 2.0 / 255)
    print("  tiled vs untiled at tile 256, overlap 48: %.3g (%.2f/255)" % (d, d * 255))
    for overlap in (16, 32, 64) if extra else ():
        e = archtest.max_diff(archtest.run(path, x, 2, tile_overlap=overlap), whole)
        print("  overlap %d: %.3g (%.2f/255)" % (overlap, e, e * 255))
    if extra:
        e = archtest.max_diff(archtest.run(path, x, 2, image_statistics=1), whole)
        print("  each tile's own means (image_statistics=1): %.3g (%.2f/255)" % (e, e * 255))


def test_bad_files(ws):
    m = make(51, embed=16, depths=(2, 2), heads=2, w=4, compress=4, squeeze=8, feat=8, scale=2, train_size=16)
    sd = archtest.state_dict(m)
    g = "layers.1.residual_group."
    bad = dict(sd)
    del bad[g + "blocks.1.conv_block.cab.2.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "HAT", g + "blocks.1.conv_block.cab.2.weight")
    bad = dict(sd)
    del bad[g + "overlap_attn.mlp.fc1.bias"]
    archtest.expect_model_error(archtest.save_all(ws, "missing_oca", bad)[0], g + "overlap_attn.mlp.fc1.bias")
    bad = dict(sd)
    bad[g + "blocks.0.conv_block.cab.3.attention.1.weight"] = torch.zeros(3, 16, 1, 1)
    archtest.expect_model_error(archtest.save_all(ws, "squeeze", bad)[0], g + "blocks.0.conv_block.cab.3.attention.1.weight",
                                "[3, 16, 1, 1]")
    bad = dict(sd)
    bad[g + "overlap_attn.relative_position_bias_table"] = torch.zeros(80, 2)
    archtest.expect_model_error(archtest.save_all(ws, "oca_table", bad)[0], "overlap_attn.relative_position_bias_table", "80")
    bad = dict(sd)
    bad[g + "overlap_attn.relative_position_bias_table"] = torch.zeros(64, 2)  # ow 5: 1 more than w 4
    archtest.expect_model_error(archtest.save_all(ws, "oca_odd", bad)[0], "odd")
    bad = dict(sd)
    bad[g + "overlap_attn.relative_position_bias_table"] = torch.zeros(121, 2)  # ow 8 where group 0 has 6
    archtest.expect_model_error(archtest.save_all(ws, "oca_window", bad)[0], "overlapping window 8")
    bad = dict(sd)
    bad[g + "overlap_attn.relative_position_bias_table"] = torch.zeros(81, 4)
    archtest.expect_model_error(archtest.save_all(ws, "oca_heads", bad)[0], "heads")
    bad = dict(sd)
    bad["layers.0.residual_group.blocks.0.attn.relative_position_bias_table"] = torch.zeros(225, 2)
    archtest.expect_model_error(archtest.save_all(ws, "window", bad)[0], "window")
    bad = dict(sd)
    bad["conv_last.bias"] = torch.full((3,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "conv_last.bias", "NaN")
    # Variants the authors' code does not have.
    bad = dict(sd)
    bad["absolute_pos_embed"] = torch.zeros(1, 256, 16)
    archtest.expect_model_error(archtest.save_all(ws, "ape", bad)[0], "absolute_pos_embed")
    bad = {k: v for k, v in sd.items() if not k.startswith(("conv_before_upsample", "upsample", "conv_last"))}
    bad["upsample.0.weight"], bad["upsample.0.bias"] = torch.zeros(12, 16, 3, 3), torch.zeros(12)
    archtest.expect_model_error(archtest.save_all(ws, "direct", bad)[0], "one-step pixel-shuffle")
    # Only one of HAT's two parts: still HAT's (not read as SwinIR), refused naming what is missing.
    half = {k: v for k, v in sd.items() if ".overlap_attn." not in k}
    archtest.expect_model_error(archtest.save_all(ws, "no_oca", half)[0], "HAT", "layers.0.residual_group.overlap_attn.")


def bench_models():
    """Published sizes for benchmarks/arch_speed.py."""
    return [("HAT-S x4", make(1, embed=144, depths=(6,) * 6, heads=6, w=16, compress=24, squeeze=24, scale=4), 4),
            ("HAT x4", make(2, embed=180, depths=(6,) * 6, heads=6, w=16, compress=3, squeeze=30, scale=4), 4)]


if __name__ == "__main__":
    archtest.main(globals())
