#!/usr/bin/python3
"""RCAN (Zhang et al. 2018) in the authors' key scheme, against a reference written here from the
paper: MeanShift on 0..255, head conv, residual groups of residual channel-attention blocks
(conv, ReLU, conv, channel attention = global average pool, 1x1 down, ReLU, 1x1 up, sigmoid),
each group closed by a conv plus its skip, the body's last conv plus the long skip, pixel-shuffle
upsampler, last conv, inverse MeanShift."""
import archtest
from archtest import F, nn, torch

MEAN = (0.4488, 0.4371, 0.4040)


class MeanShift(nn.Conv2d):
    def __init__(self, sign):
        super().__init__(3, 3, 1)
        self.weight.data = torch.eye(3).view(3, 3, 1, 1)
        self.bias.data = sign * 255 * torch.tensor(MEAN)
        for q in self.parameters():
            q.requires_grad = False


class CA(nn.Module):
    def __init__(self, feat, red):
        super().__init__()
        self.conv_du = nn.Sequential(nn.Conv2d(feat, feat // red, 1), nn.ReLU(), nn.Conv2d(feat // red, feat, 1), nn.Sigmoid())

    def forward(self, x):
        return x * self.conv_du(x.mean((2, 3), keepdim=True))


class RCAB(nn.Module):
    def __init__(self, feat, red):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(feat, feat, 3, 1, 1), nn.ReLU(), nn.Conv2d(feat, feat, 3, 1, 1), CA(feat, red))

    def forward(self, x):
        return x + self.body(x)


class Group(nn.Module):
    def __init__(self, feat, red, blocks):
        super().__init__()
        self.body = nn.Sequential(*[RCAB(feat, red) for _ in range(blocks)], nn.Conv2d(feat, feat, 3, 1, 1))

    def forward(self, x):
        return x + self.body(x)


class RCAN(nn.Module):
    def __init__(self, feat=64, groups=10, blocks=20, red=16, scale=4):
        super().__init__()
        self.sub_mean, self.add_mean = MeanShift(-1), MeanShift(1)
        self.head = nn.Sequential(nn.Conv2d(3, feat, 3, 1, 1))
        self.body = nn.Sequential(*[Group(feat, red, blocks) for _ in range(groups)], nn.Conv2d(feat, feat, 3, 1, 1))
        up = []
        if scale == 3:
            up = [nn.Conv2d(feat, 9 * feat, 3, 1, 1), nn.PixelShuffle(3)]
        else:
            s = scale
            while s > 1:
                up += [nn.Conv2d(feat, 4 * feat, 3, 1, 1), nn.PixelShuffle(2)]
                s //= 2
        self.tail = nn.Sequential(nn.Sequential(*up), nn.Conv2d(feat, 3, 3, 1, 1))

    def forward(self, x):
        x = self.head(self.sub_mean(x * 255))
        x = x + self.body(x)
        return self.add_mean(self.tail(x)) / 255


def make(feat, groups, blocks, red, scale, seed):
    m = RCAN(feat, groups, blocks, red, scale)
    archtest.randomize(m, seed)
    # Keep the mean shift as published (randomize touched it) and outputs near the 0..1 range.
    m.sub_mean.weight.data, m.sub_mean.bias.data = torch.eye(3).view(3, 3, 1, 1), -255 * torch.tensor(MEAN)
    m.add_mean.weight.data, m.add_mean.bias.data = torch.eye(3).view(3, 3, 1, 1), 255 * torch.tensor(MEAN)
    with torch.no_grad():
        m.tail[1].weight.mul_(0.05)  # the network on 0..255: bring residual outputs back to a few units
        for g in m.body[:-1]:  # residual branches small, as trained ones are: 200 blocks neither explode nor saturate
            for b in g.body[:-1]:
                b.body[2].weight.mul_(0.2)
            g.body[-1].weight.mul_(0.2)
    return m.eval()


def test_small_and_real_configurations(ws):
    for (feat, groups, blocks, red, scale, stem) in [(8, 1, 1, 4, 2, "tiny_x2"), (16, 2, 2, 4, 3, "small_x3"),
                                                     (16, 1, 2, 8, 8, "small_x8"), (64, 2, 3, 16, 4, "real_width_x4")]:
        m = make(feat, groups, blocks, red, scale, seed=feat + scale)
        sizes = [(17, 23), (1, 40), (9, 1)] if feat < 64 else [(17, 23), (1, 40)]
        archtest.check_formats(m, ws, stem, scale, sizes, tol=1e-4,
                               summary="RCAN x%d, %d groups x %d blocks, %d features, reduction %d" % (scale, groups, blocks, feat, red))


def test_real_configuration(ws):
    m = make(64, 10, 20, 16, 4, seed=7)
    archtest.check_formats(m, ws, "rcan_bix4", 4, [(17, 23)], summary="RCAN x4, 10 groups x 20 blocks, 64 features, reduction 16")


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


def bench_models():
    """Published size for benchmarks/arch_speed.py."""
    return [("RCAN x4 (10 groups x 20 blocks)", make(64, 10, 20, 16, 4, seed=1), 4)]


if __name__ == "__main__":
    archtest.main(globals())
