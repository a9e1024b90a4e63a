#!/usr/bin/python3
"""RRDBNet (ESRGAN, Real-ESRGAN, ESRGAN+) against a reference written here from the papers:
conv_first, residual-in-residual dense blocks (five 3x3 convs with dense concatenation, LeakyReLU
0.2, residual scale 0.2 in each dense block and each RRDB), conv_body plus the long skip, one
(nearest x2, conv, LeakyReLU) per upsampling step, conv_hr + LeakyReLU, conv_last. ESRGAN+
(nESRGAN+) adds a 1x1 convolution of the block input to x2 and x2 to x4 in every dense block
(its Gaussian noise is off at inference). Both key schemes: Real-ESRGAN's (body.N.rdbK.convJ) and
ESRGAN's sequential one (model.N, model.1.sub.N.RDBk.convJ.0); 1/3/4 channels; x1/x2/x4/x8/x16."""
import collections
import re

import archtest
from archtest import F, nn, torch


class RDB(nn.Module):
    def __init__(self, nf, gc, plus):
        super().__init__()
        for i in range(5):
            setattr(self, "conv%d" % (i + 1), nn.Conv2d(nf + i * gc, gc if i < 4 else nf, 3, 1, 1))
        self.conv1x1 = nn.Conv2d(nf, gc, 1, bias=False) if plus else None

    def forward(self, x):
        a = lambda t: F.leaky_relu(t, 0.2)
        x1 = a(self.conv1(x))
        x2 = a(self.conv2(torch.cat((x, x1), 1)))
        if self.conv1x1 is not None:
            x2 = x2 + self.conv1x1(x)
        x3 = a(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = a(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        if self.conv1x1 is not None:
            x4 = x4 + x2
        return self.conv5(torch.cat((x, x1, x2, x3, x4), 1)) * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, nf, gc, plus):
        super().__init__()
        self.rdb1, self.rdb2, self.rdb3 = RDB(nf, gc, plus), RDB(nf, gc, plus), RDB(nf, gc, plus)

    def forward(self, x):
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    def __init__(self, ch=3, nf=64, nb=23, gc=32, scale=4, plus=False):
        super().__init__()
        self.ups = {1: 0, 2: 1, 4: 2, 8: 3, 16: 4}[scale]
        self.conv_first = nn.Conv2d(ch, nf, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(nf, gc, plus) for _ in range(nb)])
        self.conv_body = nn.Conv2d(nf, nf, 3, 1, 1)
        for u in range(self.ups):
            setattr(self, "conv_up%d" % (u + 1), nn.Conv2d(nf, nf, 3, 1, 1))
        self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, ch, 3, 1, 1)

    def forward(self, x):
        a = lambda t: F.leaky_relu(t, 0.2)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        for u in range(self.ups):
            feat = a(getattr(self, "conv_up%d" % (u + 1))(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(a(self.conv_hr(feat)))


def old_scheme(sd, ups, nb):
    """Real-ESRGAN's names to ESRGAN's sequential ones (model.N)."""
    out = collections.OrderedDict()
    hr = 3 * ups + 2
    for k, v in sd.items():
        m = re.match(r"body\.(\d+)\.rdb(\d)\.conv(\d)\.(weight|bias)$", k)
        p = re.match(r"body\.(\d+)\.rdb(\d)\.conv1x1\.weight$", k)
        u = re.match(r"conv_up(\d)\.(weight|bias)$", k)
        name, _, wb = k.partition(".")
        if m:
            k = "model.1.sub.%s.RDB%s.conv%s.0.%s" % m.groups()
        elif p:
            k = "model.1.sub.%s.RDB%s.conv1x1.weight" % p.groups()
        elif u:
            k = "model.%d.%s" % (3 * int(u.group(1)), u.group(2))
        else:
            k = {"conv_first": "model.0.", "conv_body": "model.1.sub.%d." % nb, "conv_hr": "model.%d." % hr,
                 "conv_last": "model.%d." % (hr + 2)}[name] + wb
        out[k] = v
    return out


def check(ws, stem, m, scale, ch, sd, summary, sizes):
    paths = archtest.save_all(ws, stem, sd)
    ref = m  # 1-channel models take a gray image as it is
    expected = {}
    for path in paths:
        archtest.check_detected(path, summary)
        for i, (h, w) in enumerate(sizes):
            x = archtest.image(h, w, ch, seed=i)
            if (h, w) not in expected:
                expected[(h, w)] = archtest.reference(ref, x, scale)
            archtest.check_close("%s %dx%d" % (path.rsplit("/", 1)[1], w, h), archtest.run(path, x, scale), expected[(h, w)])
    return paths


CONFIGS = [  # (channels, nf, nb, gc, scale, plus, scheme)
    (3, 8, 1, 4, 4, False, "old"), (3, 8, 2, 4, 1, False, "old"), (3, 8, 1, 4, 2, False, "old"),
    (3, 8, 1, 4, 8, False, "old"), (3, 8, 1, 4, 16, False, "old"), (1, 8, 1, 4, 4, False, "new"),
    (1, 8, 1, 4, 2, False, "old"), (3, 16, 2, 8, 4, True, "old"), (3, 16, 2, 8, 2, True, "new"),
    (1, 8, 1, 4, 4, True, "old"), (3, 64, 3, 32, 4, True, "old"), (3, 64, 2, 32, 4, False, "new"),
]


def test_variants(ws):
    for (ch, nf, nb, gc, scale, plus, scheme) in CONFIGS:
        m = archtest.randomize(RRDBNet(ch, nf, nb, gc, scale, plus), seed=nf + nb + scale + ch + plus)
        sd = archtest.state_dict(m)
        if scheme == "old":
            sd = old_scheme(sd, m.ups, nb)
        summary = "%sRRDBNet x%d, %d blocks, %d features, growth %d" % ("ESRGAN+ " if plus else "", scale, nb, nf, gc)
        sizes = [(17, 23), (1, 40)] if scale < 8 and nf < 64 else [(9, 11)]
        check(ws, "%s_c%d_x%d_%s%s" % (scheme, ch, scale, "plus" if plus else "", nf), m, scale, ch, sd, summary, sizes)


def test_gray_model_on_rgb(ws):
    # A 1-channel model on an RGB image: full-range BT.601 luma through the network, Cb and Cr
    # enlarged classically; the output's luma is the network's wherever no colour clipped.
    m = archtest.randomize(RRDBNet(1, 8, 1, 4, 2, False), seed=7)
    path = archtest.save_all(ws, "gray", archtest.state_dict(m))[0]
    x = archtest.image(19, 21, 3, seed=3)
    ours = archtest.run(path, x, 2)
    y = (x @ archtest.np.array([0.299, 0.587, 0.114], archtest.np.float32))[..., None]
    expected = archtest.reference(m, y, 2)[..., 0]
    luma = ours @ archtest.np.array([0.299, 0.587, 0.114], archtest.np.float32)
    inside = (ours.min(2) > 0.002) & (ours.max(2) < 0.998)
    archtest.check(inside.sum() >= 100, "too few unclipped pixels to compare (%d)" % inside.sum())
    d = float(archtest.np.abs(luma - expected)[inside].max())
    print("  gray RRDBNet x2 on RGB 21x19: luma max |diff| %.3g over %d unclipped pixels (limit 1e-4)" % (d, inside.sum()))
    archtest.check(d <= 1e-4, "luma differs by %.3g" % d)


def test_four_channels(ws):
    # An RGBA model: an RGBA image goes through it whole (its alpha is the network's 4th channel);
    # an RGB image goes in opaque (alpha 1) and comes out RGB; alpha=classical resizes the alpha
    # classically instead.
    m = archtest.randomize(RRDBNet(4, 8, 1, 4, 4, False), seed=4)
    path = archtest.save_all(ws, "rgba", old_scheme(archtest.state_dict(m), 2, 1))[0]
    archtest.check_detected(path, "RRDBNet x4, 1 blocks, 8 features, growth 4", "4 -> 4 channels")
    for h, w in [(17, 23), (1, 40)]:
        x = archtest.image(h, w, 4, seed=h)
        ours = archtest.run(path, x, 4)
        archtest.check_close("RGBA %dx%d" % (w, h), ours, archtest.reference(m, x, 4), 1e-4)
        rgb = x[..., :3]
        opaque = archtest.np.concatenate([rgb, archtest.np.ones_like(x[..., :1])], 2)
        got = archtest.run(path, rgb, 4)
        archtest.check(got.shape[2] == 3, "an RGB image comes out RGB, not %d channels" % got.shape[2])
        archtest.check_close("RGB %dx%d (opaque)" % (w, h), got, archtest.reference(m, opaque, 4)[..., :3], 1e-4)
        gray = x[..., :1]
        g4 = archtest.np.concatenate([gray, gray, gray, archtest.np.ones_like(gray)], 2)
        archtest.check_close("gray %dx%d (R = G = B, opaque, averaged after)" % (w, h), archtest.run(path, gray, 4),
                             archtest.np.clip(archtest.reference(m, g4, 4, clamp=False)[..., :3].mean(2, keepdims=True), 0, 1), 1e-4)
    x = archtest.image(17, 23, 4, seed=1)
    classical = archtest.run(path, x, 4, alpha="classical")
    archtest.check_close("alpha=classical keeps the network's RGB", classical[..., :3], archtest.reference(m, x, 4)[..., :3], 1e-4)
    archtest.check(archtest.max_diff(classical[..., 3:], archtest.reference(m, x, 4)[..., 3:]) > 1e-3,
                   "alpha=classical should not be the network's alpha")


def test_tiled_equals_untiled(ws):
    m = archtest.randomize(RRDBNet(3, 16, 2, 8, 4, True), seed=3)
    path = archtest.save_all(ws, "tile", old_scheme(archtest.state_dict(m), 2, 2))[0]
    archtest.check_tiled(path, archtest.image(300, 280), 4, tile=256)


def test_bad_files(ws):
    sd = old_scheme(archtest.state_dict(archtest.randomize(RRDBNet(3, 8, 2, 4, 4, True), seed=1)), 2, 2)
    bad = dict(sd)
    del bad["model.1.sub.1.RDB3.conv1x1.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "body.1.rdb3.conv1x1.weight")
    bad = dict(sd)
    bad["model.1.sub.0.RDB2.conv1x1.weight"] = torch.zeros(4, 8, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "body.0.rdb2.conv1x1.weight", "[4, 8, 3, 3]")
    bad = dict(sd)
    bad["model.0.weight"] = torch.zeros(1 << 20, 3, 1, 1)
    archtest.expect_model_error(archtest.save_all(ws, "wide", bad)[0], "conv_first.weight")
    bad = dict(sd)
    bad["model.1.sub.0.RDB1.conv1x1.weight"] = torch.full((4, 8, 1, 1), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "model.1.sub.0.RDB1.conv1x1.weight", "NaN")


def bench_models():
    """Published size for benchmarks/arch_speed.py: ESRGAN+ (nESRGAN+, 23 blocks, 64 features)."""
    return [("ESRGAN+ x4 (23 blocks, 64 features, growth 32)", archtest.randomize(RRDBNet(3, 64, 23, 32, 4, True), seed=1), 4)]


if __name__ == "__main__":
    archtest.main(globals())
