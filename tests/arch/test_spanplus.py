#!/usr/bin/python3
"""SPANPlus (umzi2's SPAN rework, on OpenModelDB) against a reference written here from the
architecture's description and its key scheme: a Conv3XC stem (feats.0), stages feats.1..K of
SPAB blocks (block_1, block_n.0..m-1, block_end) with Mish, conv_2 and conv_cat, then DySample
(4 groups, grid_sample's align_corners off, as the trainers have it), pixel shuffle or a 1x conv.

The reference runs every Conv3XC in its training form (zero-pad, 1x1 -> 3x3 -> 1x1, plus the 1x1
skip) and samples DySample's positions by explicit bilinear interpolation, so neither upres's
kernel composition nor its grid_sample call is repeated here."""

import time

import archtest
from archtest import F, nn, torch

T0 = time.time()


class Conv3XC(nn.Module):
    """The training form; eval_conv only carries the official key (garbage is stored in it)."""

    def __init__(self, c_in, c_out, gain=2):
        super().__init__()
        self.sk = nn.Conv2d(c_in, c_out, 1)
        self.conv = nn.Sequential(nn.Conv2d(c_in, c_in * gain, 1), nn.Conv2d(c_in * gain, c_out * gain, 3),
                                  nn.Conv2d(c_out * gain, c_out, 1))
        self.eval_conv = nn.Conv2d(c_in, c_out, 3, padding=1)

    def forward(self, x):
        return self.conv(F.pad(x, (1, 1, 1, 1))) + self.sk(x)


class SPAB(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1_r, self.c2_r, self.c3_r = Conv3XC(c, c), Conv3XC(c, c), Conv3XC(c, c)

    def forward(self, x):
        a1 = F.mish(self.c1_r(x))
        y = self.c3_r(F.mish(self.c2_r(a1)))
        return (y + x) * (torch.sigmoid(y) - 0.5), a1


class Stage(nn.Module):
    def __init__(self, c, m):
        super().__init__()
        self.block_1 = SPAB(c)
        self.block_n = nn.Sequential(*[SPAB(c) for _ in range(m)])
        self.block_end = SPAB(c)
        self.conv_2 = Conv3XC(c, c)
        self.conv_cat = nn.Conv2d(4 * c, c, 1)

    def forward(self, x):
        first, _ = self.block_1(x)
        b = first
        for blk in self.block_n:
            b, _ = blk(b)
        b, a1 = self.block_end(b)  # the stage's fourth map: the activated out1 of block_end
        return self.conv_cat(torch.cat([x, self.conv_2(b), first, a1], 1))


def sub_pixel_offsets(s, groups):
    """init_pos: [1, 2 * groups * s * s, 1, 1]; channel (xy, g, i, j) holds output (i, j)'s x
    (by column j) or y (by row i) offset from the input pixel's centre, in input pixels."""
    t = (torch.arange(s, dtype=torch.float32) + 0.5) / s - 0.5
    pos = torch.zeros(2, groups, s, s)
    pos[0] = t.view(1, 1, s)
    pos[1] = t.view(1, s, 1)
    return pos.reshape(1, -1, 1, 1)


def bilinear_border(v, py, px):
    """v [G, C, H, W] sampled at pixel-index positions py, px [G, P] (centres at integers),
    coordinates clamped to the map: [G, C, P]."""
    g, c, h, w = v.shape
    py, px = py.clamp(0, h - 1), px.clamp(0, w - 1)
    y0, x0 = py.floor(), px.floor()
    wy, wx = (py - y0)[:, None], (px - x0)[:, None]
    y0, x0 = y0.long(), x0.long()
    y1, x1 = (y0 + 1).clamp(max=h - 1), (x0 + 1).clamp(max=w - 1)
    flat = v.reshape(g, c, h * w)

    def at(yy, xx):
        return flat.gather(2, (yy * w + xx)[:, None, :].expand(g, c, yy.shape[1]))

    return ((1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) + wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1)))


class DySample(nn.Module):
    def __init__(self, c, out_ch, s, groups=4):
        super().__init__()
        self.s, self.groups = s, groups
        self.offset = nn.Conv2d(c, 2 * groups * s * s, 1)
        self.scope = nn.Conv2d(c, 2 * groups * s * s, 1, bias=False)
        self.end_conv = nn.Conv2d(c, out_ch, 1)
        self.register_buffer("init_pos", sub_pixel_offsets(s, groups))

    def forward(self, x):
        s, g = self.s, self.groups
        _, c, h, w = x.shape
        o = (self.offset(x) * torch.sigmoid(self.scope(x)) * 0.5 + self.init_pos).view(2, g, s, s, h, w)
        rows = torch.arange(h, dtype=torch.float32).view(1, 1, 1, h, 1)
        cols = torch.arange(w, dtype=torch.float32).view(1, 1, 1, 1, w)
        py, px = rows + o[1], cols + o[0]  # [g, s(i), s(j), h, w]
        # output pixel (y * s + i, x * s + j): order the positions as the output's rows and columns
        py, px = (t.permute(0, 3, 1, 4, 2).reshape(g, -1) for t in (py, px))
        out = bilinear_border(x.reshape(g, c // g, h, w), py, px).reshape(1, c, h * s, w * s)
        return self.end_conv(out)


class SPANPlus(nn.Module):
    def __init__(self, in_ch=3, out_ch=3, blocks=(4,), feat=48, scale=4, upsampler="dys"):
        super().__init__()
        self.feats = nn.Sequential(Conv3XC(in_ch, feat), *[Stage(feat, m) for m in blocks])
        if upsampler == "dys":
            self.upsampler = DySample(feat, out_ch, scale)
        elif upsampler == "ps":
            self.upsampler = nn.Sequential(nn.Conv2d(feat, in_ch * scale * scale, 3, padding=1), nn.PixelShuffle(scale))
        else:  # traiNNer-redux's 1x "conv"
            self.upsampler = nn.Conv2d(feat, in_ch, 3, padding=1)

    def forward(self, x):
        return self.upsampler(self.feats(x))


UP_NAME = {"dys": "DySample", "ps": "pixel shuffle", "conv": "conv"}


def make(feat, blocks, scale, up, seed, in_ch=3, out_ch=None):
    m = archtest.randomize(SPANPlus(in_ch, out_ch or in_ch, blocks, feat, scale, up), seed=seed)
    g = torch.Generator().manual_seed(seed + 1000)
    with torch.no_grad():
        for mod in m.modules():  # stale eval_conv weights: garbage that must be ignored
            if isinstance(mod, Conv3XC):
                mod.eval_conv.weight.copy_(50 * torch.randn(mod.eval_conv.weight.shape, generator=g))
                mod.eval_conv.bias.copy_(50 * torch.randn(mod.eval_conv.bias.shape, generator=g))
        if up == "dys":  # learnt offsets of a few tenths of a pixel to about two pixels
            m.upsampler.offset.weight.mul_(2.0)
        # Outputs centred on 0.5 per channel, so that clamping to 0..1 hides little of them.
        x = torch.from_numpy(archtest.image(17, 23, in_ch, seed=99).transpose(2, 0, 1).copy())[None]
        shift = 0.5 - m(x).mean((0, 2, 3))
        last = {"dys": lambda: m.upsampler.end_conv, "ps": lambda: m.upsampler[0], "conv": lambda: m.upsampler}[up]()
        last.bias.add_(shift.repeat_interleave(last.bias.numel() // shift.numel()))
        y = m(x)
    inside = float(((y > 0) & (y < 1)).float().mean())
    archtest.check(inside > 0.25, "the reference's outputs are mostly clamped (%.2f inside 0..1)" % inside)
    return m


def summary(feat, blocks, scale, up):
    return "SPANPlus x%d, %d features, blocks [%s], %s" % (scale, feat, ", ".join(map(str, blocks)), UP_NAME[up])


def test_published_configurations(ws):
    """traiNNer-redux's / neosr's named variants, x4 as published: spanplus (the default) and
    spanplus_st in the three formats; spanplus_s and spanplus_sts as .safetensors (the formats are
    the same code). spanplus_xl (96 features, blocks [4, 4, 4]; 26 M parameters take seconds per
    load) is in test_detection_from_keys."""
    for stem, feat, blocks, up in [("spanplus", 48, (4,), "dys"), ("spanplus_st", 48, (4,), "ps")]:
        m = make(feat, blocks, 4, up, seed=feat + len(blocks))
        archtest.check_formats(m, ws, stem, 4, [(17, 23), (1, 40)], summary=summary(feat, blocks, 4, up))
    for stem, feat, blocks, up in [("spanplus_s", 32, (2,), "dys"), ("spanplus_sts", 32, (2,), "ps")]:
        m = make(feat, blocks, 4, up, seed=feat + len(blocks))
        path = ws.dir + "/" + stem + ".safetensors"
        archtest.save_safetensors(path, archtest.state_dict(m))
        archtest.check_detected(path, summary(feat, blocks, 4, up))
        r = archtest.upres.Resampler("model", model=path, precision="fp32")
        for i, (h, w) in enumerate([(17, 23), (1, 40)]):
            x = archtest.image(h, w, seed=i)
            archtest.check_close("%s %dx%d" % (stem, w, h), r.resample(x, 4 * w, 4 * h), archtest.reference(m, x, 4))


def test_small_configurations(ws):
    """Several stages, stages without block_n, every upsampler, x1..x3, one and four channels."""
    for feat, blocks, scale, up, ch in [(8, (1, 0), 2, "ps", 3), (8, (0,), 3, "dys", 3), (12, (2, 1), 2, "dys", 1),
                                        (8, (1,), 1, "conv", 3), (16, (1,), 1, "dys", 3), (8, (0, 0, 1), 3, "ps", 4)]:
        m = make(feat, blocks, scale, up, seed=feat * 10 + scale, in_ch=ch)
        archtest.check_formats(m, ws, "small_%d_%s_x%d_%s_%d" % (feat, "-".join(map(str, blocks)), scale, up, ch), scale,
                               [(17, 23), (1, 40), (9, 1)], summary=summary(feat, blocks, scale, up), channels=ch)


def test_dysample_stored_init_pos(ws):
    """init_pos is read from the file (here moved off the sub-pixel centres)."""
    m = make(8, (1,), 2, "dys", seed=77)
    with torch.no_grad():
        m.upsampler.init_pos.add_(0.3 * torch.randn(m.upsampler.init_pos.shape, generator=torch.Generator().manual_seed(1)))
    path = archtest.save_all(ws, "dys_4to3", archtest.state_dict(m))[0]
    archtest.check_detected(path, summary(8, (1,), 2, "dys"))
    x = archtest.image(17, 23)
    archtest.check_close("moved init_pos 23x17", archtest.run(path, x, 2), archtest.reference(m, x, 2))


def test_eval_conv_only_export(ws):
    """A file with only eval_conv kernels (no training-form parts) runs with the stored kernels."""
    m = make(8, (1, 1), 2, "dys", seed=9)
    sd = archtest.state_dict(m)
    for name, mod in m.named_modules():
        if isinstance(mod, Conv3XC):
            # the composed kernel, by convolving the parts' response to a unit impulse
            c_in = mod.sk.in_channels
            eye = torch.zeros(c_in, c_in, 5, 5)
            for i in range(c_in):
                eye[i, i, 2, 2] = 1
            with torch.no_grad():
                zero = mod(torch.zeros(1, c_in, 5, 5))[0, :, 2, 2]
                resp = mod(eye) - zero.view(1, -1, 1, 1)  # [c_in, c_out, 5, 5]: weight flipped
            sd[name + ".eval_conv.weight"] = resp[:, :, 1:4, 1:4].flip(2, 3).permute(1, 0, 2, 3).contiguous()
            sd[name + ".eval_conv.bias"] = zero.clone()
            for k in [k for k in sd if k.startswith(name + ".sk.") or k.startswith(name + ".conv.")]:
                del sd[k]
    path = archtest.save_all(ws, "evalonly", sd)[0]
    archtest.check_detected(path, summary(8, (1, 1), 2, "dys"))
    x = archtest.image(17, 23)
    archtest.check_close("eval_conv-only export 23x17", archtest.run(path, x, 2), archtest.reference(m, x, 2))


def test_detection_from_keys(ws):
    """The hyperparameters come from the keys and shapes alone: a state dict of zeros (shapes
    only) for every variant is described as its configuration, with its scale and channels
    (DySample's output channels are end_conv's); the small ones also run at that scale. A SPAN
    file next to them stays SPAN."""
    cases = [(48, (4,), 4, "dys", 3, 3), (32, (2,), 2, "ps", 3, 3), (96, (4, 4, 4), 3, "dys", 3, 3),
             (16, (0, 3), 1, "conv", 1, 1), (24, (1,), 8, "dys", 1, 3), (20, (5,), 1, "ps", 4, 4)]
    for feat, blocks, scale, up, cin, cout in cases:
        sd = {k: torch.zeros_like(v) for k, v in archtest.state_dict(SPANPlus(cin, cout, blocks, feat, scale, up)).items()}
        path = archtest.save_all(ws, "keys_%d_%d_%s" % (feat, scale, up), sd)[0]
        archtest.check_detected(path, summary(feat, blocks, scale, up) + ", %d -> %d channels" % (cin, cout))
        if feat <= 24:
            r = archtest.upres.Resampler("model", model=path, precision="fp32")
            y = r.resample(archtest.image(5, 7, cin), 7 * scale, 5 * scale)
            archtest.check(y.shape[:2] == (5 * scale, 7 * scale), "output shape %s for %s" % (y.shape, path))
    import test_span  # noqa: E402  (the SPAN reference, to check that its files are still SPAN's)
    path = archtest.save_all(ws, "span", archtest.state_dict(test_span.make(8, 2, True, seed=1)))[0]
    archtest.check_detected(path, "SPAN x2, 8 features")
    archtest.check("SPANPlus" not in archtest.describe(path), "a SPAN file described as SPANPlus")


def test_tiled_equals_untiled(ws):
    """At the default tile (512) an image 600 wide runs as two tiles; at 64 as many, each with the
    default overlap."""
    for up in ("dys", "ps"):
        m = make(48, (4,), 4, up, seed=3)
        path = archtest.save_all(ws, "tile_" + up, archtest.state_dict(m))[0]
        archtest.check_tiled(path, archtest.image(40, 600), 4, tile=512)
        archtest.check_tiled(path, archtest.image(90, 70), 4, tile=64)


def test_bad_files(ws):
    sd = archtest.state_dict(make(8, (3,), 2, "dys", seed=1))

    def refused(stem, bad, *fragments):
        archtest.expect_model_error(archtest.save_all(ws, stem, bad)[0], *fragments)

    def without(*keys):
        bad = dict(sd)
        for k in keys:
            del bad[k]
        return bad

    def changed(key, value):
        bad = dict(sd)
        bad[key] = value
        return bad

    refused("missing", without("feats.1.block_n.2.c2_r.conv.1.weight"), "feats.1.block_n.2.c2_r.conv.1.weight")
    refused("missing_cat", without("feats.1.conv_cat.bias"), "feats.1.conv_cat.bias")
    refused("missing_end", without(*[k for k in sd if k.startswith("feats.1.block_end.c3_r.")]), "feats.1.block_end.c3_r")
    refused("missing_endconv", without("upsampler.end_conv.weight"), "upsampler.end_conv.weight")
    refused("no_upsampler", without(*[k for k in sd if k.startswith("upsampler.")]), "upsampler")
    refused("shape", changed("feats.1.block_end.c3_r.sk.weight", torch.zeros(8, 5, 1, 1)),
            "feats.1.block_end.c3_r.sk.weight", "[8, 5, 1, 1]")
    refused("cat_shape", changed("feats.1.conv_cat.weight", torch.zeros(8, 24, 1, 1)), "feats.1.conv_cat.weight")
    refused("offset", changed("upsampler.offset.weight", torch.zeros(20, 8, 1, 1)), "upsampler.offset.weight")
    refused("scope", changed("upsampler.scope.weight", torch.zeros(32, 7, 1, 1)), "upsampler.scope.weight")
    refused("init_pos", changed("upsampler.init_pos", torch.zeros(1, 16, 1, 1)), "upsampler.init_pos")
    refused("end_conv", changed("upsampler.end_conv.weight", torch.zeros(3, 8, 3, 3)), "upsampler.end_conv.weight")
    refused("wide", changed("feats.0.conv.0.weight", torch.zeros(1 << 20, 3, 1, 1)), "feats.0.conv.0.weight", "outside")
    refused("nan", changed("feats.1.block_1.c1_r.conv.2.bias", torch.full((8,), float("nan"))),
            "feats.1.block_1.c1_r.conv.2.bias", "NaN")
    refused("dynamic", changed("dynamic.weight", torch.zeros(3, 8, 3, 3)), "dynamic")
    ps = archtest.state_dict(make(6, (1,), 2, "ps", seed=2))
    bad = dict(ps)
    bad["upsampler.0.weight"] = torch.zeros(13, 6, 3, 3)
    refused("ps_outputs", bad, "upsampler.0.weight")
    # DySample's four groups must divide the width
    odd = {k: torch.zeros_like(v) for k, v in archtest.state_dict(SPANPlus(3, 3, (1,), 6, 2, "ps")).items()}
    for k in [k for k in odd if k.startswith("upsampler.")]:
        del odd[k]
    for k, v in archtest.state_dict(DySample(6, 3, 2, groups=3)).items():  # 2 x 3 x 4 = 24 offsets
        odd["upsampler." + k] = torch.zeros_like(v)
    refused("groups", odd, "upsampler.offset.weight")
    odd["upsampler.offset.weight"] = torch.zeros(32, 6, 1, 1)
    refused("width", odd, "4 groups")
    # a stage missing from the middle
    bad = {k: v for k, v in archtest.state_dict(make(8, (1, 1, 1), 2, "ps", seed=3)).items() if not k.startswith("feats.2.")}
    refused("gap", bad, "feats.2.")


def test_onednn_switch(ws):
    """48 features x4 (pixel shuffle: the upsampler's 48 outputs in the chain too; DySample after
    it in ATen), 32 features x2 with two stages (the upsampler's 12 in ATen), 16 features 1x conv:
    the chain unless onednn=0."""
    for feat, blocks, scale, up, size in [(48, (4,), 4, "ps", (37, 29)), (48, (4,), 4, "dys", (20, 31)),
                                          (32, (1, 2), 2, "ps", (20, 70)), (16, (0, 3), 1, "conv", (25, 19))]:
        m = make(feat, blocks, scale, up, seed=feat + 7 + len(blocks))
        path = archtest.save_all(ws, "onednn_%d_%s_x%d" % (feat, up, scale), archtest.state_dict(m))[0]
        archtest.check_onednn_switch(path, m, archtest.image(*size), scale,
                                     "%d features %s x%d %dx%d" % (feat, up, scale, size[1], size[0]))


def test_zz_runtime(ws):
    print("  all cases: %.1f s" % (time.time() - T0))


if __name__ == "__main__":
    archtest.main(globals())
