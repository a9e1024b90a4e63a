#!/usr/bin/python3
"""SRVGGNetCompact (Real-ESRGAN's compact models) against a reference written here from the
published description: conv + PReLU pairs, a last conv to out_channels x scale^2, pixel shuffle,
plus the nearest-upsampled input. Also the template of a family's test (see archtest.py)."""

import archtest
from archtest import F, nn, torch


class Compact(nn.Module):
    def __init__(self, in_ch=3, feat=64, convs=16, scale=4):
        super().__init__()
        self.scale = scale
        layers = [nn.Conv2d(in_ch, feat, 3, 1, 1), nn.PReLU(feat)]
        for _ in range(convs):
            layers += [nn.Conv2d(feat, feat, 3, 1, 1), nn.PReLU(feat)]
        layers.append(nn.Conv2d(feat, in_ch * scale * scale, 3, 1, 1))
        self.body = nn.ModuleList(layers)

    def forward(self, x):
        y = x
        for layer in self.body:
            y = layer(y)
        return F.pixel_shuffle(y, self.scale) + F.interpolate(x, scale_factor=self.scale, mode="nearest")


def test_small_and_real_configurations(ws):
    for (feat, convs, scale, stem) in [(8, 2, 2, "tiny_x2"), (64, 16, 4, "x4fast_like"), (16, 4, 3, "x3")]:
        m = archtest.randomize(Compact(3, feat, convs, scale), seed=feat + scale)
        archtest.check_formats(m, ws, stem, scale, [(17, 23), (1, 40), (9, 1)],
                               summary="SRVGGNetCompact x%d, %d convs, %d features" % (scale, convs, feat))


def test_tiled_equals_untiled(ws):
    m = archtest.randomize(Compact(3, 16, 4, 2), seed=3)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    archtest.check_tiled(path, archtest.image(70, 90), 2, tile=32)


def test_bad_files(ws):
    sd = archtest.state_dict(archtest.randomize(Compact(3, 8, 2, 2), seed=1))
    bad = dict(sd)
    del bad["body.2.weight"]
    archtest.expect_model_error(archtest.save_all(ws, "missing", bad)[0], "body.2.weight")
    bad = dict(sd)
    bad["body.2.weight"] = torch.zeros(8, 5, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "shape", bad)[0], "body.2.weight", "[8, 5, 3, 3]")
    bad = dict(sd)
    bad["body.3.weight"] = torch.full((8,), float("nan"))
    archtest.expect_model_error(archtest.save_all(ws, "nan", bad)[0], "body.3.weight", "NaN")


def bench_models():
    """Published sizes for benchmarks/arch_speed.py."""
    return [("compact x4 (x4fast)", archtest.randomize(Compact(3, 64, 16, 4), seed=1), 4)]


def test_onednn_switch(ws):
    """64 features: the body runs as a oneDNN chain (Winograd, PReLU passes) unless onednn=0."""
    for convs, scale, size in [(4, 4, (37, 29)), (3, 2, (20, 70))]:
        m = archtest.randomize(Compact(3, 64, convs, scale), seed=convs + scale)
        path = archtest.save_all(ws, "onednn_%d_x%d" % (convs, scale), archtest.state_dict(m))[0]
        archtest.check_onednn_switch(path, m, archtest.image(*size), scale, "64 features, %d convs, x%d %dx%d" % (convs, scale, size[1], size[0]))


if __name__ == "__main__":
    archtest.main(globals())
