#!/usr/bin/python3
"""OmniSR (Wang et al. 2023, "Omni Aggregation Networks for Lightweight Image Super-Resolution") in
the authors' key scheme, against a reference written here from the paper's description: a 3x3 input
conv, omni self-attention groups (OSAG: OSA blocks, a 1x1 conv, the group's skip, then enhanced
spatial attention), a 3x3 output conv plus the input conv's output, and a pixel-shuffle upsampler.

An OSA block: an MBConv (1x1, GELU, depthwise 3x3, GELU, squeeze-excitation over the whole map, 1x1,
plus its input), then twice (local, then global) a pre-norm spatial attention with a relative
position bias (local: w x w windows; global: a w x w grid whose tokens lie H/w apart, spanning the
image), a pre-norm gated depthwise FFN, a pre-norm channel attention (per head a d x d attention of
L2-normalised channels; local: over each w x w window; global: over every w-th pixel of the image)
and another gated FFN. Layer norms over channels at every pixel (eps 1e-5 before the spatial
attentions, 1e-6 elsewhere). The input is zero-padded to a multiple of the window and cropped back.

The reference computes the relative position indices itself; upres must ignore any stored index
buffer (the official module keeps its `rel_pos_indices` out of the state dict) and the profiler's
`total_ops` / `total_params` entries the released checkpoints carry."""
import collections
import glob
import os

import archtest
from archtest import F, nn, torch

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared")


def rel_index(w):
    """Row of the (2w - 1)^2 bias table for every (query, key) token pair of a w x w group."""
    ys, xs = torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij")
    ys, xs = ys.reshape(-1), xs.reshape(-1)
    return (ys[:, None] - ys[None, :] + w - 1) * (2 * w - 1) + (xs[:, None] - xs[None, :] + w - 1)


class ChannelNorm(nn.Module):
    """Layer norm over the channels of each pixel of [B, C, H, W] (biased variance)."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        mu = x.mean(1, keepdim=True)
        var = ((x - mu) ** 2).mean(1, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps) * self.weight[:, None, None] + self.bias[:, None, None]


class Mean(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


class SE(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate = nn.Sequential(Mean(), nn.Linear(c, c // 4, bias=False), nn.SiLU(), nn.Linear(c // 4, c, bias=False),
                                  nn.Sigmoid())

    def forward(self, x):
        return x * self.gate(x)[:, :, None, None]


class MBConv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fn = nn.Sequential(nn.Conv2d(c, c, 1), nn.GELU(), nn.Conv2d(c, c, 3, 1, 1, groups=c), nn.GELU(), SE(c),
                                nn.Conv2d(c, c, 1))

    def forward(self, x):
        return x + self.fn(x)


class SpatialAttention(nn.Module):
    """Softmax attention among the w*w tokens of each group [G, w*w, C], 4 heads."""

    def __init__(self, c, w, pe):
        super().__init__()
        self.heads = 4
        self.to_qkv = nn.Linear(c, 3 * c, bias=False)
        self.to_out = nn.Sequential(nn.Linear(c, c, bias=False))
        self.rel_pos_bias = nn.Embedding((2 * w - 1) ** 2, self.heads) if pe else None
        self.index = rel_index(w)

    def forward(self, t):
        g, n, c = t.shape
        d = c // self.heads
        q, k, v = self.to_qkv(t).view(g, n, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        logits = (q * d ** -0.5) @ k.transpose(-2, -1)
        if self.rel_pos_bias is not None:
            logits = logits + self.rel_pos_bias.weight[self.index].permute(2, 0, 1)[None]
        out = (logits.softmax(-1) @ v).transpose(1, 2).reshape(g, n, c)
        return self.to_out(out)


class PreNormAttention(nn.Module):
    def __init__(self, c, w, pe, grid):
        super().__init__()
        self.norm = nn.LayerNorm(c)
        self.fn = SpatialAttention(c, w, pe)
        self.w, self.grid = w, grid

    def forward(self, x):  # [1, C, H, W]
        _, c, h, wd = x.shape
        w = self.w
        t = x[0].permute(1, 2, 0)  # [H, W, C]
        if self.grid:  # row = i * (H / w) + a: the group of (a, b) holds rows a, a + H/w, ...
            g = t.reshape(w, h // w, w, wd // w, c).permute(1, 3, 0, 2, 4)
        else:  # row = a * w + i: contiguous windows
            g = t.reshape(h // w, w, wd // w, w, c).permute(0, 2, 1, 3, 4)
        shape = g.shape
        y = self.fn(self.norm(g.reshape(-1, w * w, c))).reshape(shape)
        y = y.permute(2, 0, 3, 1, 4) if self.grid else y.permute(0, 2, 1, 3, 4)
        return x + y.reshape(h, wd, c).permute(2, 0, 1)[None]


class GatedFFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.project_in = nn.Conv2d(c, 2 * c, 1, bias=False)
        self.dwconv = nn.Conv2d(2 * c, 2 * c, 3, 1, 1, groups=2 * c, bias=False)
        self.project_out = nn.Conv2d(c, c, 1, bias=False)

    def forward(self, x):
        a, b = self.dwconv(self.project_in(x)).chunk(2, 1)
        return self.project_out(F.gelu(a) * b)


class ChannelAttention(nn.Module):
    """Per head, attention among the head's d channels (L2-normalised over the pixels of a group):
    local groups = w x w windows; grid groups = the pixels sharing (row mod w, column mod w)."""

    def __init__(self, c, w, grid):
        super().__init__()
        self.heads, self.w, self.grid = 4, w, grid
        self.temperature = nn.Parameter(torch.ones(4, 1, 1))
        self.qkv = nn.Conv2d(c, 3 * c, 1, bias=False)
        self.qkv_dwconv = nn.Conv2d(3 * c, 3 * c, 3, 1, 1, groups=3 * c, bias=False)
        self.project_out = nn.Conv2d(c, c, 1, bias=False)

    def forward(self, x):
        _, c, h, wd = x.shape
        w, nh, d = self.w, self.heads, c // self.heads
        # [heads, d, H/w, w, W/w, w]: (a, i) = divmod(row, w)
        parts = [t.reshape(nh, d, h // w, w, wd // w, w) for t in self.qkv_dwconv(self.qkv(x))[0].chunk(3, 0)]
        order = (3, 5, 0, 1, 2, 4) if self.grid else (2, 4, 0, 1, 3, 5)  # group, head, d, pixel
        px = (h // w) * (wd // w) if self.grid else w * w
        q, k, v = [t.permute(*order).reshape(-1, nh, d, px) for t in parts]
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        out = ((q @ k.transpose(-2, -1)) * self.temperature).softmax(-1) @ v
        groups = (w, w, nh, d, h // w, wd // w) if self.grid else (h // w, wd // w, nh, d, w, w)
        out = out.reshape(groups)
        back = (2, 3, 4, 0, 5, 1) if self.grid else (2, 3, 0, 4, 1, 5)
        return self.project_out(out.permute(*back).reshape(1, c, h, wd))


class PreNorm(nn.Module):
    def __init__(self, c, fn):
        super().__init__()
        self.norm, self.fn = ChannelNorm(c), fn

    def forward(self, x):
        return x + self.fn(self.norm(x))


class OSABlock(nn.Module):
    def __init__(self, c, w, pe):
        super().__init__()
        # The official nn.Sequential's indices: 1, 3, 7, 9 are its parameterless rearranges.
        self.layer = nn.ModuleList([
            MBConv(c), nn.Identity(), PreNormAttention(c, w, pe, grid=False), nn.Identity(), PreNorm(c, GatedFFN(c)),
            PreNorm(c, ChannelAttention(c, w, grid=False)), PreNorm(c, GatedFFN(c)),
            nn.Identity(), PreNormAttention(c, w, pe, grid=True), nn.Identity(), PreNorm(c, GatedFFN(c)),
            PreNorm(c, ChannelAttention(c, w, grid=True)), PreNorm(c, GatedFFN(c))])

    def forward(self, x):
        for m in self.layer:
            x = m(x)
        return x


class ESA(nn.Module):
    def __init__(self, f, c):
        super().__init__()
        self.conv1, self.conv_f = nn.Conv2d(c, f, 1), nn.Conv2d(f, f, 1)
        self.conv2, self.conv3 = nn.Conv2d(f, f, 3, 2, 0), nn.Conv2d(f, f, 3, 1, 1)
        self.conv4 = nn.Conv2d(f, c, 1)

    def forward(self, x):
        c1 = self.conv1(x)
        low = self.conv3(F.max_pool2d(self.conv2(c1), 7, 3))
        low = F.interpolate(low, size=x.shape[2:], mode="bilinear", align_corners=False)
        return x * torch.sigmoid(self.conv4(low + self.conv_f(c1)))


class OSAG(nn.Module):
    def __init__(self, c, blocks, w, pe, bias):
        super().__init__()
        self.residual_layer = nn.ModuleList([OSABlock(c, w, pe) for _ in range(blocks)] + [nn.Conv2d(c, c, 1, bias=bias)])
        self.esa = ESA(max(c // 4, 16), c)

    def forward(self, x):
        y = x
        for m in self.residual_layer:
            y = m(y)
        return self.esa(y + x)


class OmniSR(nn.Module):
    def __init__(self, feat=64, res_num=5, block_num=1, w=8, scale=4, pe=True, bias=True, chans=3, out_chans=None):
        super().__init__()
        out_chans = out_chans or chans
        self.w, self.scale = w, scale
        self.input = nn.Conv2d(chans, feat, 3, 1, 1, bias=bias)
        self.residual_layer = nn.Sequential(*[OSAG(feat, block_num, w, pe, bias) for _ in range(res_num)])
        self.output = nn.Conv2d(feat, feat, 3, 1, 1, bias=bias)
        self.up = nn.Sequential(nn.Conv2d(feat, out_chans * scale * scale, 3, 1, 1, bias=bias), nn.PixelShuffle(scale))

    def forward(self, x):
        h0, w0 = x.shape[2:]
        x = F.pad(x, (0, -w0 % self.w, 0, -h0 % self.w))  # zeros, as the authors' check_image_size
        r = self.input(x)
        y = self.up(self.output(self.residual_layer(r)) + r)
        return y[:, :, : h0 * self.scale, : w0 * self.scale]


def make(seed, **kw):
    m = OmniSR(**kw)
    archtest.randomize(m, seed)
    with torch.no_grad():  # outputs around 0..1, mostly unclamped
        m.up[0].weight.mul_(0.1)
        if m.up[0].bias is not None:
            m.up[0].bias.add_(0.5)
    return m.eval()


def state_dict(m, junk=True):
    """As released checkpoints hold it: with the profiler's total_ops / total_params entries."""
    sd = archtest.state_dict(m)
    if junk:
        sd["total_ops"] = torch.zeros(1, dtype=torch.float64)
        sd["total_params"] = torch.zeros(1, dtype=torch.float64)
        sd["residual_layer.0.total_ops"] = torch.zeros(1, dtype=torch.float64)
    return sd


SIZES = [(17, 23), (13, 41)]  # ESA needs 15 pixels: heights and widths pad to >= 16


def check(ws, stem, seed, sizes=SIZES, fragments=(), options=None, **kw):
    m = make(seed, **kw)
    scale = kw.get("scale", 4)
    paths = archtest.save_all(ws, stem, state_dict(m), wrap="params")
    for p in paths:
        archtest.check_detected(p, "OmniSR x%d" % scale, *fragments)
    expected = {}
    for i, (h, w) in enumerate(sizes):
        x = archtest.image(h, w, kw.get("chans", 3), seed=i)
        expected[(h, w)] = archtest.reference(m, x, scale)
        for p in paths:
            archtest.check_close("%s %dx%d" % (os.path.basename(p), w, h), archtest.run(p, x, scale, **(options or {})),
                                expected[(h, w)])
    return m, paths


def test_tiny_variants(ws):
    tiny = dict(feat=16, res_num=2, w=4)
    check(ws, "x2", 1, scale=2, fragments=("16 features, 2 groups of 1 block, window 4",), **tiny)
    check(ws, "x3_blocks2", 2, scale=3, block_num=2, fragments=("2 groups of 2 blocks",), **tiny)
    check(ws, "x4", 3, scale=4, **tiny)
    # Wide enough that the local parts run in bands of rows (about 16K pixels each: 12 rows here),
    # in one tile.
    check(ws, "x2_bands", 7, scale=2, sizes=[(30, 1101)], options=dict(tile=2048), **tiny)
    check(ws, "x2_nobias_nope", 4, scale=2, bias=False, pe=False, fragments=("no bias", "no position bias"),
          feat=24, res_num=1, w=8, sizes=[(17, 23)])
    check(ws, "gray_x2", 5, scale=2, chans=1, feat=16, res_num=1, w=4, sizes=[(13, 21)])
    # ESA's strided conv and 7x7 pool need 15 pixels: smaller inputs are padded further (no reference).
    m = make(6, scale=2, **tiny)
    p = archtest.save_all(ws, "small", state_dict(m))[0]
    y = archtest.run(p, archtest.image(5, 7), 2)
    archtest.check(y.shape == (10, 14, 3), "a 7x5 input gave %s" % (y.shape,))


def test_real_configurations(ws):
    # The published OmniSR (DIV2K / DF2K, x2 / x3 / x4): 64 features, 5 groups of 1 block, window 8.
    check(ws, "omnisr_x4", 11, scale=4, sizes=[(20, 27)],
          fragments=("OmniSR x4, 64 features, 5 groups of 1 block, window 8",))
    check(ws, "omnisr_x2", 12, scale=2, sizes=[(33, 17)], fragments=("OmniSR x2, 64 features",))


def test_stored_buffers_ignored(ws):
    m = make(21, feat=16, res_num=2, w=4, scale=2)
    sd = state_dict(m)
    bad = collections.OrderedDict(sd)
    for k in list(sd):
        if k.endswith("rel_pos_bias.weight"):  # an index buffer as a persistent one would be stored
            bad[k[: -len("rel_pos_bias.weight")] + "rel_pos_indices"] = torch.randint(0, 3, (16, 16))
    bad["total_ops"] = torch.full((1,), 7.0, dtype=torch.float64)
    paths = archtest.save_all(ws, "corrupt", bad)
    clean = archtest.save_all(ws, "clean", archtest.state_dict(m))[0]  # no junk at all
    x = archtest.image(17, 23)
    expected = archtest.reference(m, x, 2)
    for p in paths:
        archtest.check_close(os.path.basename(p) + " (stored buffers)", archtest.run(p, x, 2), expected)
    same = archtest.max_diff(archtest.run(paths[0], x, 2), archtest.run(clean, x, 2))
    archtest.check(same == 0, "stored buffers changed the output by %g" % same)


def set14():
    """Set14's x4 LR images (../shared), or None."""
    files = sorted(glob.glob(os.path.join(SHARED, "data", "Set14", "x4", "lr", "*.png")))
    return [(os.path.basename(f)[:-4], archtest.upres.load_file(f)) for f in files] or None


def as_rgb_float(img):
    import numpy as np
    x = img.astype(np.float32) / (65535.0 if img.dtype == np.uint16 else 255.0)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.shape[2] == 1:
        x = np.repeat(x, 3, axis=2)
    return np.ascontiguousarray(x[:, :, :3])


def test_tiled_against_untiled(ws):
    """Grid attention spans the image, and ESA's pooling lattice and bilinear upsampling depend on
    the map's size, so a tile computes something else than one run, at any overlap: measured with
    random weights of the published size, a split costs 20-29 dB (docs/models.md). The default tile
    (512) leaves Set14's x4 inputs whole: >= 40 dB (equal) on every one of them."""
    m = make(31, scale=4)
    path = archtest.save_all(ws, "tile", state_dict(m))[0]
    images = set14()
    if images is None:
        print("  SKIP the Set14 part: %s/data/Set14 is absent" % SHARED)
    else:
        worst = float("inf")
        for name, img in images:
            x = as_rgb_float(img)
            db = archtest.psnr(archtest.run(path, x, 4), archtest.run(path, x, 4, tile=4096))
            worst = min(worst, db)
            print("  %-10s %3dx%-3d default tile and overlap vs untiled: %.2f dB" % (name, x.shape[1], x.shape[0], db))
        archtest.check(worst >= 40.0, "tiled at the defaults vs untiled: %.2f dB < 40 on Set14" % worst)
    # A split (tile 48, the default overlap) runs and stitches: far from equal, but no worse than
    # the measured seams (a misplaced tile would be).
    x = archtest.image(100, 90, seed=4)
    db = archtest.psnr(archtest.run(path, x, 4, tile=48), archtest.run(path, x, 4, tile=4096))
    print("  synthetic 90x100, tile 48 (2 x 2), default overlap: %.2f dB" % db)
    archtest.check(db >= 12.0, "a 2 x 2 split: %.2f dB" % db)
    # UPRES_OMNISR_TILES=T:O,... prints the Set14 figures of other tiles / overlaps (docs/models.md).
    for spec in filter(None, os.environ.get("UPRES_OMNISR_TILES", "").split(",")):
        tile, overlap = (int(v) for v in spec.split(":"))
        for name, img in images or []:
            x = as_rgb_float(img)
            db = archtest.psnr(archtest.run(path, x, 4, tile=tile, tile_overlap=overlap), archtest.run(path, x, 4, tile=4096))
            print("  %-10s tile %d, overlap %d: %.2f dB" % (name, tile, overlap, db))


def test_bad_files(ws):
    m = make(41, feat=16, res_num=2, w=4, scale=2, block_num=2)
    sd = archtest.state_dict(m)
    g = "residual_layer.1.residual_layer.1.layer."
    bad = dict(sd)
    del bad[g + "11.fn.qkv_dwconv.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], g + "11.fn.qkv_dwconv.weight")
    bad = dict(sd)
    bad[g + "2.fn.to_qkv.weight"] = torch.zeros(48, 15)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], g + "2.fn.to_qkv.weight", "[48, 15]")
    bad = dict(sd)
    bad["residual_layer.0.residual_layer.0.layer.2.fn.rel_pos_bias.weight"] = torch.zeros(50, 4)
    archtest.expect_model_error(archtest.save_all(ws, "table", bad)[0], "rel_pos_bias", "50")
    bad = dict(sd)
    bad[g + "8.fn.rel_pos_bias.weight"] = torch.zeros(81, 4)
    archtest.expect_model_error(archtest.save_all(ws, "window", bad)[0], "window 5")
    bad = dict(sd)
    bad[g + "5.fn.temperature"] = torch.ones(2, 1, 1)
    archtest.expect_model_error(archtest.save_all(ws, "heads", bad)[0], "temperature")
    bad = dict(sd)
    bad["up.0.weight"] = torch.zeros(13, 16, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "up", bad)[0], "up.0.weight")
    bad = dict(sd)
    bad["output.bias"] = torch.full((16,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "output.bias", "NaN")
    # A group whose end conv is missing (block count ambiguous) and a 6-channel width.
    bad = {k: v for k, v in sd.items() if not k.startswith("residual_layer.0.residual_layer.2.")}
    archtest.expect_model_error(archtest.save_all(ws, "endconv", bad)[0], "residual_layer.0.residual_layer")
    # Omni-SR's large-kernel ESA variant (LK_ESA: 1x17 / 17x1 grouped convs instead of the pooling).
    lk = {k: v for k, v in sd.items() if not k.startswith(("residual_layer.0.esa.conv2.", "residual_layer.0.esa.conv3."))}
    lk["residual_layer.0.esa.vec_conv.weight"] = torch.zeros(16, 8, 1, 17)
    archtest.expect_model_error(archtest.save_all(ws, "lk_esa", lk)[0], "LK_ESA", "residual_layer.0.esa.vec_conv.weight")
    odd = make(42, feat=18, res_num=1, w=4, scale=2, pe=False)
    archtest.expect_model_error(archtest.save_all(ws, "width", archtest.state_dict(odd))[0], "multiple of 4")


def bench_models():
    """Published sizes for benchmarks/arch_speed.py."""
    return [("OmniSR x4", make(1, scale=4), 4), ("OmniSR x2", make(2, scale=2), 2)]


if __name__ == "__main__":
    archtest.main(globals())
