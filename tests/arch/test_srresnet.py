#!/usr/bin/python3
"""SRResNet in BasicSR's MSRResNet form against a reference written here from the published
description: conv_first + LeakyReLU 0.1, residual blocks without batch norm (conv, ReLU, conv,
identity), pixel-shuffle upsampling (x2/x3 one step to feat x scale^2, x4 two x2 steps), conv_hr,
conv_last, plus the bilinearly upsampled input. Also: an RRDBNet next to it is still RRDBNet."""
import archtest
from archtest import F, nn, torch


class Block(nn.Module):
    def __init__(self, feat):
        super().__init__()
        self.conv1 = nn.Conv2d(feat, feat, 3, 1, 1)
        self.conv2 = nn.Conv2d(feat, feat, 3, 1, 1)

    def forward(self, x):
        return x + self.conv2(torch.relu(self.conv1(x)))


class MSRResNet(nn.Module):
    def __init__(self, ch=3, feat=64, blocks=16, scale=4):
        super().__init__()
        self.scale = scale
        self.conv_first = nn.Conv2d(ch, feat, 3, 1, 1)
        self.body = nn.Sequential(*[Block(feat) for _ in range(blocks)])
        if scale == 4:
            self.upconv1 = nn.Conv2d(feat, feat * 4, 3, 1, 1)
            self.upconv2 = nn.Conv2d(feat, feat * 4, 3, 1, 1)
        else:
            self.upconv1 = nn.Conv2d(feat, feat * scale * scale, 3, 1, 1)
        self.conv_hr = nn.Conv2d(feat, feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(feat, ch, 3, 1, 1)

    def forward(self, x):
        a = lambda t: F.leaky_relu(t, 0.1)
        y = self.body(a(self.conv_first(x)))
        if self.scale == 4:
            y = a(F.pixel_shuffle(self.upconv1(y), 2))
            y = a(F.pixel_shuffle(self.upconv2(y), 2))
        else:
            y = a(F.pixel_shuffle(self.upconv1(y), self.scale))
        y = self.conv_last(a(self.conv_hr(y)))
        return y + F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)


class StudioY(nn.Module):
    """upres runs 1-channel models on gray images as studio-range Y: (16 + 219 g) / 255 in, inverse out."""
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return (self.m((16 + 219 * x) / 255) * 255 - 16) / 219

    def state_dict(self, *a, **k):
        return self.m.state_dict(*a, **k)


def test_small_and_real_configurations(ws):
    for (ch, feat, blocks, scale, stem) in [(3, 8, 2, 2, "tiny_x2"), (3, 16, 3, 3, "small_x3"), (1, 8, 1, 4, "gray_x4"),
                                            (3, 64, 16, 4, "msrresnet_x4")]:
        m = archtest.randomize(MSRResNet(ch, feat, blocks, scale), seed=feat + scale + ch)
        if ch == 1:
            m = StudioY(m)
        sizes = [(17, 23), (1, 40), (9, 1)] if feat < 64 else [(17, 23), (1, 40)]
        archtest.check_formats(m, ws, stem, scale, sizes, channels=ch,
                               summary="SRResNet (MSRResNet) x%d, %d blocks, %d features" % (scale, blocks, feat))


def test_tiled_equals_untiled(ws):
    m = archtest.randomize(MSRResNet(3, 16, 4, 4), seed=3)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    archtest.check_tiled(path, archtest.image(70, 90), 4, tile=32)
    m = archtest.randomize(MSRResNet(3, 64, 16, 4), seed=4)
    path = archtest.save_all(ws, "tile_real", archtest.state_dict(m))[0]
    archtest.check_tiled(path, archtest.image(100, 90), 4, tile=48)


def test_rrdbnet_is_not_srresnet(ws):
    # RRDBNet shares conv_first / conv_hr / conv_last (and upconvN in the RRDBNet_arch scheme).
    class RDB(nn.Module):
        def __init__(self, nf, gc):
            super().__init__()
            for i in range(5):
                setattr(self, "conv%d" % (i + 1), nn.Conv2d(nf + i * gc, gc if i < 4 else nf, 3, 1, 1))

    class RRDB(nn.Module):
        def __init__(self, nf, gc):
            super().__init__()
            self.rdb1, self.rdb2, self.rdb3 = RDB(nf, gc), RDB(nf, gc), RDB(nf, gc)

    class R(nn.Module):
        def __init__(self, nf=8, gc=4):
            super().__init__()
            self.conv_first = nn.Conv2d(3, nf, 3, 1, 1)
            self.body = nn.Sequential(RRDB(nf, gc))
            self.conv_body = nn.Conv2d(nf, nf, 3, 1, 1)
            self.conv_up1 = nn.Conv2d(nf, nf, 3, 1, 1)
            self.conv_up2 = nn.Conv2d(nf, nf, 3, 1, 1)
            self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
            self.conv_last = nn.Conv2d(nf, 3, 3, 1, 1)

    path = archtest.save_all(ws, "rrdb", archtest.state_dict(archtest.randomize(R(), 1)))[0]
    archtest.check_detected(path, "RRDBNet x4, 1 blocks")
    m = archtest.randomize(MSRResNet(3, 8, 2, 4), seed=2)
    archtest.check_detected(archtest.save_all(ws, "srres", archtest.state_dict(m))[0], "SRResNet (MSRResNet) x4")


def test_bad_files(ws):
    sd = archtest.state_dict(archtest.randomize(MSRResNet(3, 8, 2, 4), seed=1))
    bad = dict(sd)
    del bad["body.1.conv2.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "body.1.conv2.weight")
    bad = dict(sd)
    del bad["upconv2.bias"], bad["upconv2.weight"]
    bad["upconv1.weight"], bad["upconv1.bias"] = torch.zeros(40, 8, 3, 3), torch.zeros(40)
    archtest.expect_model_error(archtest.save_all(ws, "no_upconv2", bad)[0], "upconv1.weight", "40 outputs")
    bad = dict(sd)
    bad["conv_hr.weight"] = torch.zeros(8, 5, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "conv_hr.weight", "[8, 5, 3, 3]")
    bad = dict(sd)
    bad["conv_first.weight"] = torch.zeros(1 << 20, 3, 1, 1)
    archtest.expect_model_error(archtest.save_all(ws, "wide", bad)[0], "conv_first.weight")
    bad = dict(sd)
    bad["body.0.conv1.bias"] = torch.full((8,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "body.0.conv1.bias", "NaN")


def bench_models():
    """Published size for benchmarks/arch_speed.py."""
    return [("MSRResNet x4 (64 features, 16 blocks)", archtest.randomize(MSRResNet(3, 64, 16, 4), seed=1), 4)]


if __name__ == "__main__":
    archtest.main(globals())
