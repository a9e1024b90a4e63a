#!/usr/bin/python3
"""SPAN (Swift Parameter-free Attention Network, Wan et al. 2024) against a reference written here
from the paper and the official code's key scheme: Conv3XC convolutions held in their training form
(1x1 -> 3x3 -> 1x1 plus a 1x1 skip) and re-parameterised into one 3x3 convolution for inference,
six SPAB blocks with SiLU and the parameter-free attention, conv_cat over four feature maps, a
pixel-shuffle upsampler; with or without the input mean shift (the `no_norm` buffer)."""

import archtest
from archtest import F, nn, torch

MEAN = (0.4488, 0.4371, 0.4040)


class Conv3XC(nn.Module):
    """Training-form parts; forward uses the 3x3 kernel they compose to (the inference form). The
    eval_conv parameter exists only so that the state dict has the official keys: it is never read
    here, and the tests store garbage in it."""

    def __init__(self, c_in, c_out, gain=2):
        super().__init__()
        self.sk = nn.Conv2d(c_in, c_out, 1)
        self.conv = nn.Sequential(nn.Conv2d(c_in, c_in * gain, 1), nn.Conv2d(c_in * gain, c_out * gain, 3),
                                  nn.Conv2d(c_out * gain, c_out, 1))
        self.eval_conv = nn.Conv2d(c_in, c_out, 3, padding=1)

    def fused(self):
        w1, w2, w3 = (self.conv[i].weight.double() for i in range(3))
        b1, b2, b3 = (self.conv[i].bias.double() for i in range(3))
        # (w3 . w2 . w1)[o, i, y, x] = sum_b sum_a w3[o, b] w2[b, a, y, x] w1[a, i]
        w = torch.tensordot(w3[:, :, 0, 0], torch.tensordot(w2, w1[:, :, 0, 0], dims=([1], [0])), dims=([1], [0]))
        w = w.permute(0, 3, 1, 2).clone()
        b = w3[:, :, 0, 0] @ (b2 + w2.sum((2, 3)) @ b1) + b3
        w[:, :, 1, 1] += self.sk.weight.double()[:, :, 0, 0]
        b = b + self.sk.bias.double()
        return w.float(), b.float()

    def forward(self, x):
        w, b = self.fused()
        return F.conv2d(x, w, b, padding=1)


class SPAB(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1_r, self.c2_r, self.c3_r = Conv3XC(c, c), Conv3XC(c, c), Conv3XC(c, c)

    def forward(self, x):
        out1 = F.silu(self.c1_r(x))  # the official SiLU is in place: the block's second output is activated
        out3 = self.c3_r(F.silu(self.c2_r(out1)))
        return (out3 + x) * (torch.sigmoid(out3) - 0.5), out1


class SPAN(nn.Module):
    def __init__(self, in_ch=3, out_ch=3, feat=48, scale=4, norm=True):
        super().__init__()
        self.scale, self.norm = scale, norm
        if not norm:
            self.register_buffer("no_norm", torch.zeros(1))
        self.conv_1 = Conv3XC(in_ch, feat)
        for i in range(1, 7):
            setattr(self, "block_%d" % i, SPAB(feat))
        self.conv_cat = nn.Conv2d(4 * feat, feat, 1)
        self.conv_2 = Conv3XC(feat, feat)
        self.upsampler = nn.Sequential(nn.Conv2d(feat, out_ch * scale * scale, 3, padding=1), nn.PixelShuffle(scale))

    def forward(self, x):
        if self.norm:
            x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) * 255.0
        f = self.conv_1(x)
        b1, _ = self.block_1(f)
        b = b1
        for i in range(2, 7):
            b, out1 = getattr(self, "block_%d" % i)(b)
        y = self.conv_cat(torch.cat([f, self.conv_2(b), b1, out1], 1))
        return self.upsampler(y)


def make(feat, scale, norm, seed, in_ch=3):
    m = archtest.randomize(SPAN(in_ch, in_ch, feat, scale, norm), seed=seed)
    with torch.no_grad():
        if norm:  # inputs are ~255x larger: keep the first layer's outputs moderate
            for p in m.conv_1.parameters():
                p.mul_(1.0 / 255)
        g = torch.Generator().manual_seed(seed + 1000)
        for mod in m.modules():  # stale eval_conv weights: garbage that must be ignored
            if isinstance(mod, Conv3XC):
                mod.eval_conv.weight.copy_(50 * torch.randn(mod.eval_conv.weight.shape, generator=g))
                mod.eval_conv.bias.copy_(50 * torch.randn(mod.eval_conv.bias.shape, generator=g))
    return m


def test_small_and_real_configurations(ws):
    configs = [(8, 2, True, "tiny_x2"), (48, 4, True, "span_x4_48"), (48, 4, False, "span_x4_48_nonorm"),
               (52, 3, False, "span_x3_52"), (16, 1, True, "x1")]
    for feat, scale, norm, stem in configs:
        m = make(feat, scale, norm, seed=feat + scale)
        sizes = [(17, 23), (1, 40), (9, 1)] if feat < 48 else [(17, 23), (1, 40)]
        archtest.check_formats(m, ws, stem, scale, sizes,
                               summary="SPAN x%d, %d features, %s" % (scale, feat, "norm" if norm else "no norm"))


def test_eval_conv_only_export(ws):
    """A file with only eval_conv (no training-form parts) runs with the stored kernels."""
    m = make(8, 2, True, seed=9)
    sd = archtest.state_dict(m)
    for mod_name, mod in m.named_modules():
        if isinstance(mod, Conv3XC):
            w, b = mod.fused()
            sd[mod_name + ".eval_conv.weight"], sd[mod_name + ".eval_conv.bias"] = w.detach(), b.detach()
            for k in [k for k in sd if k.startswith(mod_name + ".sk.") or k.startswith(mod_name + ".conv.")]:
                del sd[k]
    path = archtest.save_all(ws, "evalonly", sd)[0]
    x = archtest.image(17, 23)
    archtest.check_close("eval_conv-only export 23x17", archtest.run(path, x, 2), archtest.reference(m, x, 2))


def test_tiled_equals_untiled(ws):
    m = make(48, 4, True, seed=3)
    path = archtest.save_all(ws, "tile", archtest.state_dict(m))[0]
    archtest.check_tiled(path, archtest.image(300, 560), 4, tile=512)
    archtest.check_tiled(path, archtest.image(70, 90), 4, tile=32)


def test_bad_files(ws):
    sd = archtest.state_dict(make(8, 2, True, seed=1))
    def refused(stem, bad, *fragments):
        archtest.expect_model_error(archtest.save_all(ws, stem, bad)[0], *fragments)
    bad = dict(sd)
    del bad["block_3.c2_r.conv.1.weight"]
    refused("missing", bad, "block_3.c2_r.conv.1.weight")
    bad = dict(sd)
    del bad["conv_cat.bias"]
    refused("missing_bias", bad, "conv_cat.bias")
    bad = dict(sd)
    bad["block_2.c3_r.sk.weight"] = torch.zeros(8, 5, 1, 1)
    refused("shape", bad, "block_2.c3_r.sk.weight", "[8, 5, 1, 1]")
    bad = dict(sd)
    bad["upsampler.0.weight"] = torch.zeros(13, 8, 3, 3)
    refused("upsampler", bad, "upsampler.0.weight")
    bad = dict(sd)
    bad["conv_1.conv.0.weight"] = torch.zeros(1 << 20, 3, 1, 1)  # a 1M-wide mid layer: refused before any allocation
    refused("wide", bad, "conv_1.conv.0.weight", "outside")
    bad = dict(sd)
    bad["conv_1.sk.weight"] = torch.zeros(100000, 3, 1, 1)  # feature width 100000
    refused("wide_feat", bad, "conv_1.sk.weight", "outside")
    bad = dict(sd)
    bad["block_4.c1_r.conv.2.bias"] = torch.full((8,), float("nan"))
    refused("nan", bad, "block_4.c1_r.conv.2.bias", "NaN")


def test_onednn_switch(ws):
    """48 features (x4: the upsampler's 48 outputs in the chain too) and 32 features x2 (the
    upsampler's 12 in ATen): the chain unless onednn=0."""
    for feat, scale, norm, size in [(48, 4, True, (37, 29)), (32, 2, False, (20, 70))]:
        m = make(feat, scale, norm, seed=feat + 7)
        path = archtest.save_all(ws, "onednn_%d_x%d" % (feat, scale), archtest.state_dict(m))[0]
        archtest.check_onednn_switch(path, m, archtest.image(*size), scale, "%d features x%d %dx%d" % (feat, scale, size[1], size[0]))


if __name__ == "__main__":
    archtest.main(globals())
