#!/usr/bin/python3
"""RCAN (Zhang et al. 2018) in the key schemes in circulation, against references written here from
the paper: head conv, residual groups of residual channel-attention blocks (conv, ReLU, conv,
channel attention = global average pool, 1x1 down, ReLU, 1x1 up, sigmoid), each group closed by a
conv plus its skip, the body's last conv plus the long skip, pixel-shuffle upsampler (none at x1),
last conv.

- the authors' scheme (EDSR-PyTorch; also traiNNer-redux's, neosr's, spandrel's): `RCAN` below,
  head / body / tail Sequentials, MeanShift convs on 0..255 (the authors'), on 0..1 (neosr's
  norm=True) or none (neosr, spandrel norm=False: the network on 0..1);
- traiNNer-redux's / spandrel's pixel-unshuffle input for x1 / x2 (head = PixelUnshuffle, conv;
  a x4 tail; the input padded to the factor by reflection);
- BasicSR's (`BasicsrRCAN`): conv_first, body.N.residual_group.M.rcab, attention, conv_after_body,
  upsample, conv_last, (x - mean) * 255 in and y / 255 + mean out, the mean a plain attribute (not
  in the file) or a registered buffer."""
import archtest
from archtest import F, nn, torch

MEAN = (0.4488, 0.4371, 0.4040)


# ------------------------------------------------------------------------- the authors' scheme
class MeanShift(nn.Conv2d):
    def __init__(self, sign, rgb_range=255):
        super().__init__(3, 3, 1)
        self.weight.data = torch.eye(3).view(3, 3, 1, 1)
        self.bias.data = sign * rgb_range * torch.tensor(MEAN)
        for q in self.parameters():
            q.requires_grad = False


class CA(nn.Module):
    def __init__(self, feat, red):
        super().__init__()
        self.conv_du = nn.Sequential(nn.Conv2d(feat, feat // red, 1), nn.ReLU(), nn.Conv2d(feat // red, feat, 1), nn.Sigmoid())

    def forward(self, x):
        return x * self.conv_du(x.mean((2, 3), keepdim=True))


class RCAB(nn.Module):
    def __init__(self, feat, red, k=3):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(feat, feat, k, 1, k // 2), nn.ReLU(), nn.Conv2d(feat, feat, k, 1, k // 2), CA(feat, red))

    def forward(self, x):
        return x + self.body(x)


class Group(nn.Module):
    def __init__(self, feat, red, blocks, k=3):
        super().__init__()
        self.body = nn.Sequential(*[RCAB(feat, red, k) for _ in range(blocks)], nn.Conv2d(feat, feat, k, 1, k // 2))

    def forward(self, x):
        return x + self.body(x)


def upsampler(feat, scale):
    """Pixel-shuffle stages (3x3 convs whatever the body's kernel): x3 one, 2^n n, x1 none."""
    if scale == 3:
        return [nn.Conv2d(feat, 9 * feat, 3, 1, 1), nn.PixelShuffle(3)]
    up = []
    while scale > 1:
        up += [nn.Conv2d(feat, 4 * feat, 3, 1, 1), nn.PixelShuffle(2)]
        scale //= 2
    return up


class RCAN(nn.Module):
    """rgb_range: what the network multiplies its 0..1 input by (255, or 1); norm: MeanShift convs
    or none; unshuffle: pixel-unshuffle by 4 // scale before the head conv (x1 / x2) and a x4 tail."""

    def __init__(self, feat=64, groups=10, blocks=20, red=16, scale=4, norm=True, rgb_range=255, unshuffle=False,
                 colors=3, k=3):
        super().__init__()
        self.scale, self.rgb_range, self.down = scale, rgb_range, (4 // scale if unshuffle else 1)
        if norm:
            self.sub_mean, self.add_mean = MeanShift(-1, rgb_range), MeanShift(1, rgb_range)
        else:
            self.sub_mean = self.add_mean = None
        head = [nn.Conv2d(colors * self.down ** 2, feat, k, 1, k // 2)]
        self.head = nn.Sequential(*([nn.PixelUnshuffle(self.down)] if unshuffle else []), *head)
        self.body = nn.Sequential(*[Group(feat, red, blocks, k) for _ in range(groups)], nn.Conv2d(feat, feat, k, 1, k // 2))
        self.tail = nn.Sequential(nn.Sequential(*upsampler(feat, scale * self.down)), nn.Conv2d(feat, colors, k, 1, k // 2))

    def forward(self, x):
        h, w = x.shape[2:]
        if self.down > 1:  # reflect to the factor (edge replication where the side is too short to reflect)
            ph, pw = -h % self.down, -w % self.down
            x = F.pad(x, (0, pw, 0, ph), mode="reflect" if ph < h and pw < w else "replicate")
        x = x * self.rgb_range
        if self.sub_mean is not None:
            x = self.sub_mean(x)
        x = self.head(x)
        x = x + self.body(x)
        x = self.tail(x)
        if self.add_mean is not None:
            x = self.add_mean(x)
        return (x / self.rgb_range)[:, :, : h * self.scale, : w * self.scale]


def calm(m, last, groups):
    """Outputs near the 0..1 range and residual branches small, as trained ones are: 200 blocks
    neither explode nor saturate."""
    with torch.no_grad():
        last.weight.mul_(0.05 if m_range(m) > 1 else 0.5)
        for g in groups:
            for b in g[0]:
                b[2].weight.mul_(0.2)
            g[1].weight.mul_(0.2)
    return m.eval()


def m_range(m):
    return getattr(m, "rgb_range", getattr(m, "img_range", 1))


def make(feat, groups, blocks, red, scale, seed, norm=True, rgb_range=255, unshuffle=False, colors=3, k=3):
    m = RCAN(feat, groups, blocks, red, scale, norm, rgb_range, unshuffle, colors, k)
    archtest.randomize(m, seed)
    if norm:  # keep the mean shift as published (randomize touched it)
        for sm, sign in ((m.sub_mean, -1), (m.add_mean, 1)):
            sm.weight.data, sm.bias.data = torch.eye(3).view(3, 3, 1, 1), sign * rgb_range * torch.tensor(MEAN)
    return calm(m, m.tail[1], [([b.body for b in g.body[:-1]], g.body[-1]) for g in m.body[:-1]])


def summary(scale, groups, blocks, feat, red):
    return "RCAN x%d, %d groups x %d blocks, %d features, reduction %d" % (scale, groups, blocks, feat, red)


def test_small_and_real_configurations(ws):
    for (feat, groups, blocks, red, scale, stem) in [(8, 1, 1, 4, 2, "tiny_x2"), (16, 2, 2, 4, 3, "small_x3"),
                                                     (16, 1, 2, 8, 8, "small_x8"), (8, 2, 1, 2, 1, "tiny_x1"),
                                                     (64, 2, 3, 16, 4, "real_width_x4")]:
        m = make(feat, groups, blocks, red, scale, seed=feat + scale)
        sizes = [(17, 23), (1, 40), (9, 1)] if feat < 64 else [(17, 23), (1, 40)]
        archtest.check_formats(m, ws, stem, scale, sizes, tol=1e-4, summary=summary(scale, groups, blocks, feat, red))


def test_real_configuration(ws):
    m = make(64, 10, 20, 16, 4, seed=7)
    archtest.check_formats(m, ws, "rcan_bix4", 4, [(17, 23)], summary=summary(4, 10, 20, 64, 16))


def test_neosr_and_spandrel_without_mean_shift(ws):
    # neosr's rcan (norm=False, its default) and spandrel's norm=False: no MeanShift, the network on 0..1.
    for (scale, stem) in [(2, "plain_x2"), (1, "plain_x1"), (3, "plain_x3")]:
        m = make(16, 2, 2, 4, scale, seed=20 + scale, norm=False, rgb_range=1)
        archtest.check_formats(m, ws, stem, scale, [(17, 23), (1, 40)],
                               summary=summary(scale, 2, 2, 16, 4) + ", no mean shift")
    # neosr's norm=True: the MeanShift on 0..1 (bias -mean, not -255 mean).
    m = make(16, 2, 2, 4, 2, seed=25, norm=True, rgb_range=1)
    archtest.check_formats(m, ws, "neosr_norm_x2", 2, [(17, 23), (1, 40)],
                           summary=summary(2, 2, 2, 16, 4) + ", mean shift on 0..1")
    # spandrel's kernel_size=7: the body's convs 7x7, the upsampler's still 3x3; one channel (gray
    # images go through it as they are).
    m = make(8, 1, 2, 4, 2, seed=26, norm=False, rgb_range=1, colors=1, k=7)
    archtest.check_formats(m, ws, "gray_k7_x2", 2, [(17, 23), (1, 40)], channels=1, summary=summary(2, 1, 2, 8, 4))


def test_pixel_unshuffle_input(ws):
    # traiNNer-redux / spandrel: x1 (unshuffle 4) and x2 (unshuffle 2) on a x4 tail, with the
    # authors' 0..255 mean shift or none; odd sizes are reflect-padded to the factor and cropped.
    for (scale, norm, stem) in [(1, True, "unshuffle_x1"), (2, False, "unshuffle_x2"), (2, True, "unshuffle_norm_x2")]:
        m = make(16, 2, 2, 4, scale, seed=30 + scale, norm=norm, rgb_range=255 if norm else 1, unshuffle=True)
        archtest.check_formats(m, ws, stem, scale, [(17, 23), (1, 40), (6, 5)],
                               summary=summary(scale, 2, 2, 16, 4) + ", pixel-unshuffle %d" % (4 // scale))


# ------------------------------------------------------------------------------ BasicSR's scheme
class ChannelAttention(nn.Module):
    def __init__(self, feat, squeeze):
        super().__init__()
        self.attention = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(feat, feat // squeeze, 1), nn.ReLU(True),
                                       nn.Conv2d(feat // squeeze, feat, 1), nn.Sigmoid())

    def forward(self, x):
        return self.attention(x) * x


class BasicsrRCAB(nn.Module):
    def __init__(self, feat, squeeze):
        super().__init__()
        self.rcab = nn.Sequential(nn.Conv2d(feat, feat, 3, padding=1), nn.ReLU(True), nn.Conv2d(feat, feat, 3, padding=1),
                                  ChannelAttention(feat, squeeze))

    def forward(self, x):
        return self.rcab(x) + x


class ResidualGroup(nn.Module):
    def __init__(self, feat, blocks, squeeze):
        super().__init__()
        self.residual_group = nn.Sequential(*(BasicsrRCAB(feat, squeeze) for _ in range(blocks)))
        self.conv = nn.Conv2d(feat, feat, 3, padding=1)

    def forward(self, x):
        return self.conv(self.residual_group(x)) + x


class BasicsrRCAN(nn.Module):
    """BasicSR's RCAN; `buffer`: the mean registered (so it is in the file) instead of a plain attribute."""

    def __init__(self, feat=64, groups=10, blocks=16, squeeze=16, scale=4, mean=MEAN, buffer=False):
        super().__init__()
        self.img_range = 255.0
        if buffer:
            self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        else:
            self.mean = torch.tensor(mean).view(1, 3, 1, 1)
        self.conv_first = nn.Conv2d(3, feat, 3, padding=1)
        self.body = nn.Sequential(*(ResidualGroup(feat, blocks, squeeze) for _ in range(groups)))
        self.conv_after_body = nn.Conv2d(feat, feat, 3, padding=1)
        self.upsample = nn.Sequential(*upsampler(feat, scale))
        self.conv_last = nn.Conv2d(feat, 3, 3, padding=1)

    def forward(self, x):
        x = self.conv_first((x - self.mean) * self.img_range)
        x = self.conv_after_body(self.body(x)) + x
        return self.conv_last(self.upsample(x)) / self.img_range + self.mean


def make_basicsr(feat, groups, blocks, squeeze, scale, seed, **kw):
    m = archtest.randomize(BasicsrRCAN(feat, groups, blocks, squeeze, scale, **kw), seed)
    return calm(m, m.conv_last, [([b.rcab for b in g.residual_group], g.conv) for g in m.body])


def test_basicsr_scheme(ws):
    for (feat, groups, blocks, squeeze, scale, stem) in [(16, 2, 2, 4, 2, "basicsr_x2"), (16, 2, 3, 8, 3, "basicsr_x3"),
                                                         (8, 1, 2, 2, 1, "basicsr_x1"), (64, 2, 2, 16, 4, "basicsr_x4")]:
        m = make_basicsr(feat, groups, blocks, squeeze, scale, seed=40 + scale)
        sd = archtest.state_dict(m)
        archtest.check(not any(k == "mean" or k.endswith(".mean") for k in sd), "BasicSR's mean is not in its state dict")
        archtest.check_formats(m, ws, stem, scale, [(17, 23), (1, 40)],
                               summary=summary(scale, groups, blocks, feat, squeeze) + ", BasicSR scheme")
    # A fork that registers the mean (here not DIV2K's): it is read from the file.
    m = make_basicsr(16, 1, 2, 4, 2, seed=45, mean=(0.2, 0.5, 0.7), buffer=True)
    archtest.check("mean" in archtest.state_dict(m), "the buffer is in the state dict")
    archtest.check_formats(m, ws, "basicsr_buffer_x2", 2, [(17, 23), (1, 40)], summary=summary(2, 1, 2, 16, 4) + ", BasicSR scheme")


def test_detection_from_keys_alone(ws):
    # Files named alike, no metadata: the scheme, scale, unshuffle and input range come from keys and shapes.
    cases = [(make(8, 2, 3, 2, 4, seed=50), "RCAN x4, 2 groups x 3 blocks, 8 features, reduction 2, 3 -> 3 channels"),
             (make(8, 1, 1, 4, 1, seed=51, norm=False, rgb_range=1), "RCAN x1, 1 groups x 1 blocks, 8 features, reduction 4, no mean shift"),
             (make(8, 1, 1, 4, 1, seed=52, unshuffle=True), "RCAN x1, 1 groups x 1 blocks, 8 features, reduction 4, pixel-unshuffle 4, 3 -> 3"),
             (make_basicsr(8, 3, 1, 2, 8, seed=53), "RCAN x8, 3 groups x 1 blocks, 8 features, reduction 2, BasicSR scheme"),
             (make_basicsr(8, 1, 2, 4, 1, seed=54), "RCAN x1, 1 groups x 2 blocks, 8 features, reduction 4, BasicSR scheme")]
    for i, (m, text) in enumerate(cases):
        sd = archtest.state_dict(m)
        path = archtest.save_all(ws, "model%d" % i, sd)[0]
        t = archtest.check_detected(path, text)
        # The parameter count: the file's tensors (BasicSR's: plus the 3 means it keeps outside the file).
        count = sum(v.numel() for v in sd.values()) + (3 if isinstance(m, BasicsrRCAN) else 0)
        archtest.check(t.endswith("%d parameters" % count), "%r: expected %d parameters" % (t, count))


def test_tiled_equals_untiled(ws):
    m = make(16, 2, 2, 4, 2, seed=3)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    # Channel attention pools over the whole map: in a tiled run the runner gives it the image's
    # means (passes over the tiles until they settle), so small tiles equal one run.
    x = archtest.image(200, 180)
    archtest.check_tiled(path, x, 2, tile=96, limit=1e-5)
    whole = archtest.run(path, x, 2, tile=4096)
    alone = archtest.max_diff(archtest.run(path, x, 2, tile=96, image_statistics=1), whole)
    print("  each tile alone (image_statistics=1): max |diff| %.3g" % alone)
    archtest.check_tiled(path, archtest.image(420, 400), 2, tile=384, limit=1e-5)
    # The other schemes through the same statistics: BasicSR's, and the unshuffled body (a quarter
    # of the resolution, tiles on the factor's lattice) on odd sizes; the overlap (64 pixels, 16 of
    # the body's) covers this small network's convolutions, so only the means could differ.
    for stem, m, scale, (h, w) in [("tile_basicsr", make_basicsr(16, 2, 2, 4, 2, seed=4), 2, (150, 131)),
                                   ("tile_unshuffle", make(16, 2, 2, 4, 1, seed=5, unshuffle=True), 1, (301, 263))]:
        path = archtest.save_all(ws, stem, archtest.state_dict(m))[0]
        archtest.check_tiled(path, archtest.image(h, w), scale, tile=64, limit=1e-5, tile_overlap=64)


def test_bad_files(ws):
    sd = archtest.state_dict(make(8, 2, 2, 4, 2, seed=1))
    bad = dict(sd)
    del bad["body.1.body.1.body.3.conv_du.2.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "body.1.body.1.body.3.conv_du.2.weight")
    bad = dict(sd)
    bad["body.0.body.2.weight"] = torch.zeros(8, 5, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "body.0.body.2.weight", "[8, 5, 3, 3]")
    bad = dict(sd)
    bad["head.0.weight"] = torch.zeros(1 << 20, 3, 1, 1)
    archtest.expect_model_error(archtest.save_all(ws, "wide", bad)[0], "head.0.weight")
    bad = dict(sd)
    bad["add_mean.bias"] = torch.zeros(3)
    archtest.expect_model_error(archtest.save_all(ws, "mean", bad)[0], "add_mean")
    bad = dict(sd)
    bad["tail.1.bias"] = torch.full((3,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "tail.1.bias", "NaN")
    # A missing upsampler weight must not pass for x1.
    bad = dict(sd)
    del bad["tail.0.0.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "no_up", bad)[0], "tail.0.0.bias", "tail.0.0.weight")
    # An unshuffled head whose input is not the image's channels times a square.
    usd = archtest.state_dict(make(8, 1, 1, 4, 2, seed=2, unshuffle=True))
    bad = dict(usd)
    bad["head.1.weight"] = torch.zeros(8, 10, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "unshuffle", bad)[0], "head.1.weight", "10 channels")

    # BasicSR's names: messages name the file's keys.
    bsd = archtest.state_dict(make_basicsr(8, 2, 2, 4, 2, seed=3))
    bad = dict(bsd)
    del bad["body.1.residual_group.1.rcab.3.attention.3.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "b_missing", bad)[0], "'body.1.residual_group.1.rcab.3.attention.3.weight'")
    bad = dict(bsd)
    bad["body.0.conv.weight"] = torch.zeros(8, 7, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "b_shape", bad)[0], "'body.0.conv.weight'", "[8, 7, 3, 3]")
    bad = dict(bsd)
    bad["conv_after_body.bias"] = torch.zeros(9)
    archtest.expect_model_error(archtest.save_all(ws, "b_bias", bad)[0], "'conv_after_body.bias'", "[9]")
    bad = dict(bsd)
    bad["upsample.0.weight"] = torch.zeros(24, 8, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "b_up", bad)[0], "'upsample.0.weight'", "24 outputs")
    bad = dict(bsd)
    bad["mean"] = torch.zeros(1, 4, 1, 1)
    archtest.expect_model_error(archtest.save_all(ws, "b_mean", bad)[0], "'mean'", "4 values")


def bench_models():
    """Published size for benchmarks/arch_speed.py."""
    return [("RCAN x4 (10 groups x 20 blocks)", make(64, 10, 20, 16, 4, seed=1), 4)]


if __name__ == "__main__":
    archtest.main(globals())
