#!/usr/bin/python3
"""SRResNet in BasicSR's MSRResNet form against a reference written here from the published
description: conv_first + LeakyReLU 0.1, residual blocks without batch norm (conv, ReLU, conv,
identity), pixel-shuffle upsampling (x2/x3 one step to feat x scale^2, x4 two x2 steps), conv_hr,
conv_last, plus the bilinearly upsampled input. Also: an RRDBNet next to it is still RRDBNet.

And SRGAN's generator with batch norm (Ledig et al. 2017) as written from the paper's figure 4:
a k x k conv + PReLU head, residual blocks conv-BN-PReLU-conv-BN with identity skips, a conv + BN
after the blocks added to the head's output, per x2 step conv -> pixel shuffle -> PReLU, and a
k x k tail conv followed by tanh, under the two key schemes community files carry: "blocks"
(block1 ... blockM; output (tanh + 1) / 2 on 0..1 input) and "tutorial" (conv_block1,
residual_blocks.N.conv_blockK.conv_block.I, conv_block2, subpixel_convolutional_blocks.N,
conv_block3; ImageNet-normalised input, tanh output on -1..1). The BatchNorms run in eval mode
with non-trivial running statistics."""
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


def test_small_and_real_configurations(ws):
    for (ch, feat, blocks, scale, stem) in [(3, 8, 2, 2, "tiny_x2"), (3, 16, 3, 3, "small_x3"), (1, 8, 1, 4, "gray_x4"),
                                            (3, 64, 16, 4, "msrresnet_x4")]:
        m = archtest.randomize(MSRResNet(ch, feat, blocks, scale), seed=feat + scale + ch)
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


# ------------------------------------------------------------------ SRGAN with batch norm
IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def same(cin, cout, k, bias=True):
    return nn.Conv2d(cin, cout, k, 1, k // 2, bias=bias)


class Shuffle(nn.Module):
    """One upsampling step: conv to feat x r^2, pixel shuffle, PReLU (keys .conv, .prelu)."""
    def __init__(self, feat, r, k=3, slopes=1):
        super().__init__()
        self.conv = same(feat, feat * r * r, k)
        self.shuffle = nn.PixelShuffle(r)
        self.prelu = nn.PReLU(slopes)

    def forward(self, x):
        return self.prelu(self.shuffle(self.conv(x)))


class BnBlock(nn.Module):
    """The "blocks" scheme's residual block: conv1, bn1, prelu, conv2, bn2, plus the input."""
    def __init__(self, feat, k=3, slopes=1):
        super().__init__()
        self.conv1, self.bn1, self.prelu = same(feat, feat, k), nn.BatchNorm2d(feat), nn.PReLU(slopes)
        self.conv2, self.bn2 = same(feat, feat, k), nn.BatchNorm2d(feat)

    def forward(self, x):
        return x + self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))


class SrganBlocks(nn.Module):
    """block1 = head conv + PReLU, block2 ... block{B+1} residual, block{B+2} = conv + BN,
    block{B+3} = the upsampling steps then the tail conv; output (tanh + 1) / 2."""
    def __init__(self, ch=3, feat=64, blocks=5, ups=(2, 2), big=9, k=3, slopes=1):
        super().__init__()
        self.n = blocks
        self.block1 = nn.Sequential(same(ch, feat, big), nn.PReLU(slopes))
        for i in range(blocks):
            setattr(self, "block%d" % (i + 2), BnBlock(feat, k, slopes))
        setattr(self, "block%d" % (blocks + 2), nn.Sequential(same(feat, feat, k), nn.BatchNorm2d(feat)))
        setattr(self, "block%d" % (blocks + 3), nn.Sequential(*[Shuffle(feat, r, k, slopes) for r in ups], same(feat, ch, big)))

    def forward(self, x):
        h = self.block1(x)
        y = h
        for i in range(self.n):
            y = getattr(self, "block%d" % (i + 2))(y)
        y = getattr(self, "block%d" % (self.n + 2))(y)
        y = getattr(self, "block%d" % (self.n + 3))(h + y)
        return (torch.tanh(y) + 1) / 2


class ConvBlock(nn.Module):
    """The "tutorial" scheme's conv_block: Sequential(conv[, BN][, PReLU | tanh])."""
    def __init__(self, cin, cout, k, bn=False, act=None):
        super().__init__()
        layers = [same(cin, cout, k)]
        if bn:
            layers.append(nn.BatchNorm2d(cout))
        if act == "prelu":
            layers.append(nn.PReLU())
        elif act == "tanh":
            layers.append(nn.Tanh())
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x):
        return self.conv_block(x)


class TutorialBlock(nn.Module):
    def __init__(self, feat, k):
        super().__init__()
        self.conv_block1 = ConvBlock(feat, feat, k, bn=True, act="prelu")
        self.conv_block2 = ConvBlock(feat, feat, k, bn=True)

    def forward(self, x):
        return x + self.conv_block2(self.conv_block1(x))


class Tutorial(nn.Module):
    """ImageNet-normalised RGB in, tanh (-1..1) out."""
    def __init__(self, feat=64, blocks=16, scale=4, big=9, k=3):
        super().__init__()
        self.conv_block1 = ConvBlock(3, feat, big, act="prelu")
        self.residual_blocks = nn.Sequential(*[TutorialBlock(feat, k) for _ in range(blocks)])
        self.conv_block2 = ConvBlock(feat, feat, k, bn=True)
        steps = {2: 1, 4: 2, 8: 3}[scale]
        self.subpixel_convolutional_blocks = nn.Sequential(*[Shuffle(feat, 2, k) for _ in range(steps)])
        self.conv_block3 = ConvBlock(feat, 3, big, act="tanh")

    def forward(self, x):
        h = self.conv_block1(x)
        y = self.conv_block2(self.residual_blocks(h)) + h
        return self.conv_block3(self.subpixel_convolutional_blocks(y))


class TutorialGenerator(nn.Module):
    """The tutorial's SRGAN generator: the same network as `net` (keys net.*)."""
    def __init__(self, **kw):
        super().__init__()
        self.net = Tutorial(**kw)

    def forward(self, x):
        return self.net(x)


class TutorialProtocol(nn.Module):
    """How the tutorial runs its models: samples on 0..1 -> ImageNet normalisation -> network ->
    (y + 1) / 2."""
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return (self.m((x - IMAGENET_MEAN) / IMAGENET_STD) + 1) / 2

    def state_dict(self, *a, **k):
        return self.m.state_dict(*a, **k)


def srgan_random(m, seed, protocol=lambda x: x, ch=3):
    """archtest's random weights (BN running statistics and affine parameters away from identity),
    PReLU slopes around 0.25, and the tail conv scaled so that its output has a standard deviation
    of 0.6 on a test image (tanh then spans most of its range without saturating)."""
    archtest.randomize(m, seed)
    g = torch.Generator().manual_seed(seed + 1000)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.PReLU):
                mod.weight.copy_(0.25 + 0.1 * torch.randn(mod.weight.shape, generator=g))
        tail = [mod for mod in m.modules() if isinstance(mod, nn.Conv2d)][-1]
        seen = []
        hook = tail.register_forward_hook(lambda mod, i, o: seen.append(o.std().item()))
        x = torch.from_numpy(archtest.image(16, 16, ch).transpose(2, 0, 1).copy())[None]
        m(protocol(x))
        hook.remove()
        tail.weight.mul_(0.6 / seen[0])
        tail.bias.mul_(0.6 / seen[0])
    return m


def test_srgan_blocks_scheme(ws):
    for (ch, feat, blocks, ups, big, k, slopes, stem) in [
            (3, 64, 5, (2, 2), 9, 3, 1, "leftthomas_x4"),     # the published Generator's shape
            (3, 16, 2, (2,), 9, 3, 16, "blocks_x2_slopes"),  # per-channel PReLU
            (3, 8, 1, (3,), 5, 3, 1, "blocks_x3"),
            (3, 8, 3, (2, 2, 2), 9, 3, 1, "blocks_x8"),
            (1, 8, 1, (2,), 9, 3, 1, "blocks_gray_x2")]:
        m = srgan_random(SrganBlocks(ch, feat, blocks, ups, big, k, slopes), seed=feat + blocks + ch, ch=ch)
        scale = 1
        for r in ups:
            scale *= r
        sizes = [(17, 23), (1, 40)]
        ref = m  # 1-channel models take a gray image as it is
        y = archtest.reference(ref, archtest.image(17, 23, ch), scale, clamp=False)
        print("  %s: reference output spans %.3f .. %.3f (std %.3f)" % (stem, y.min(), y.max(), y.std()))
        archtest.check_formats(ref, ws, stem, scale, sizes, channels=ch,
                               summary="SRGAN SRResNet with batch norm (block1..block%d keys) x%d, %d blocks, %d features"
                               % (blocks + 3, scale, blocks, feat))


def test_srgan_tutorial_scheme(ws):
    for (feat, blocks, scale, big, k, wrapped, stem) in [
            (64, 16, 4, 9, 3, False, "tutorial_srresnet_x4"),  # the tutorial's published configuration
            (16, 3, 2, 7, 5, True, "tutorial_generator_x2"),   # the SRGAN Generator's net.* keys, other kernels
            (8, 2, 8, 9, 3, False, "tutorial_x8")]:
        net = (TutorialGenerator if wrapped else Tutorial)(feat=feat, blocks=blocks, scale=scale, big=big, k=k)
        m = TutorialProtocol(srgan_random(net, seed=feat + blocks, protocol=lambda x: (x - IMAGENET_MEAN) / IMAGENET_STD))
        y = archtest.reference(m, archtest.image(17, 23), scale, clamp=False)
        print("  %s: reference output spans %.3f .. %.3f (std %.3f)" % (stem, y.min(), y.max(), y.std()))
        archtest.check_formats(m, ws, stem, scale, [(17, 23), (1, 40)],
                               summary="SRGAN SRResNet with batch norm (conv_block / residual_blocks keys) x%d, %d blocks, %d features"
                               % (scale, blocks, feat))


def test_srgan_tiled_equals_untiled(ws):
    m = srgan_random(SrganBlocks(3, 16, 5, (2, 2)), seed=5)
    path = archtest.save_all(ws, "tile_blocks", archtest.state_dict(m))[0]
    archtest.check_tiled(path, archtest.image(70, 90), 4, tile=32)
    m = TutorialProtocol(srgan_random(Tutorial(feat=16, blocks=4, scale=4), seed=6))
    path = archtest.save_all(ws, "tile_tutorial", archtest.state_dict(m))[0]
    archtest.check_tiled(path, archtest.image(70, 90), 4, tile=32)


def test_srgan_bad_files(ws):
    sd = archtest.state_dict(srgan_random(SrganBlocks(3, 8, 2, (2, 2)), seed=1))
    bad = dict(sd)
    del bad["block3.bn2.running_var"]
    archtest.expect_model_error(archtest.save_all(ws, "no_var", bad)[0], "block3.bn2.running_var")
    bad = dict(sd)
    bad["block4.1.running_mean"] = torch.zeros(7)
    archtest.expect_model_error(archtest.save_all(ws, "bn_shape", bad)[0], "block4.1.running_mean", "[7]", "[8]")
    bad = dict(sd)
    bad["block2.conv2.weight"] = torch.zeros(8, 6, 3, 3)
    archtest.expect_model_error(archtest.save_all(ws, "conv_shape", bad)[0], "block2.conv2.weight", "[8, 6, 3, 3]")
    bad = dict(sd)
    bad["block2.bn1.running_var"] = -torch.ones(8)
    archtest.expect_model_error(archtest.save_all(ws, "neg_var", bad)[0], "block2.bn1.running_var", "negative")
    bad = dict(sd)
    bad["block5.0.conv.weight"], bad["block5.0.conv.bias"] = torch.zeros(40, 8, 3, 3), torch.zeros(40)
    archtest.expect_model_error(archtest.save_all(ws, "up_shape", bad)[0], "block5.0.conv.weight", "40 outputs")
    bad = dict(sd)
    bad["block2.prelu.weight"] = torch.ones(3)
    archtest.expect_model_error(archtest.save_all(ws, "slopes", bad)[0], "block2.prelu.weight", "3 slopes")
    sd = archtest.state_dict(srgan_random(Tutorial(feat=8, blocks=2, scale=2), seed=2))
    bad = dict(sd)
    del bad["residual_blocks.1.conv_block2.conv_block.1.running_var"]
    archtest.expect_model_error(archtest.save_all(ws, "tut_no_var", bad)[0], "residual_blocks.1.conv_block2.conv_block.1.running_var")
    bad = dict(sd)
    bad["conv_block2.conv_block.1.weight"] = torch.ones(9)
    archtest.expect_model_error(archtest.save_all(ws, "tut_bn", bad)[0], "conv_block2.conv_block.1.weight", "[9]")
    bad = dict(sd)
    bad["conv_block1.conv_block.0.weight"] = torch.zeros(8, 1, 9, 9)
    archtest.expect_model_error(archtest.save_all(ws, "tut_gray", bad)[0], "conv_block1.conv_block.0.weight", "RGB")


def bench_models():
    """Published size for benchmarks/arch_speed.py."""
    return [("MSRResNet x4 (64 features, 16 blocks)", archtest.randomize(MSRResNet(3, 64, 16, 4), seed=1), 4),
            ("SRGAN SRResNet x4 with batch norm (64 features, 16 blocks)",
             srgan_random(SrganBlocks(3, 64, 16, (2, 2), 9, 3, 1), seed=1).eval(), 4)]


if __name__ == "__main__":
    archtest.main(globals())
