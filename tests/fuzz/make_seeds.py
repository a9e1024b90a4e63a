"""Writes small seed corpora for the fuzz targets, made by Python and PyTorch (never by upres):
torch.save checkpoints in both formats, their pickles, zip variants and safetensors files, and
small images in every format upres reads (Pillow).

usage: make_seeds.py OUTDIR      (creates OUTDIR/<target>/ for each target)
A future fuzz_ncnn target gets its seeds from a make_ncnn_seeds() added here.
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch

out = sys.argv[1]
torch.manual_seed(1)


def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def saved(obj, zip_format=True):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=zip_format)
    return buf.getvalue()


def repack(data, compression):
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", compression) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    return buf.getvalue()


base = torch.randn(3, 2)
checkpoints = {
    "plain": collections.OrderedDict(w=torch.randn(2, 1, 1, 1), b=torch.tensor([1.5, -2.0])),
    "dtypes": {"h": torch.ones(2).half(), "bf": torch.ones(2).bfloat16(), "d": torch.ones(1).double(),
               "i": torch.tensor([7]), "t": base.t(), "v": base[1:]},
    "wrapped": {"params_ema": {"module.x": torch.zeros(1)}, "params": {"x": torch.ones(1)}, "iter": 3},
}
for name, obj in checkpoints.items():
    z = saved(obj)
    legacy = saved(obj, zip_format=False)
    put("fuzz_pth", name + ".zip.pth", z)
    put("fuzz_pth", name + ".legacy.pth", legacy)
    put("fuzz_zip", name + ".zip", z)
    with zipfile.ZipFile(io.BytesIO(z)) as zf:
        pkl = [n for n in zf.namelist() if n.endswith("data.pkl")][0]
        put("fuzz_pickle", name + ".data.pkl", zf.read(pkl))
put("fuzz_zip", "deflated.zip", repack(saved(checkpoints["plain"]), zipfile.ZIP_DEFLATED))
put("fuzz_pth", "deflated.pth", repack(saved(checkpoints["plain"]), zipfile.ZIP_DEFLATED))
for proto in (2, 3, 4, 5):
    put("fuzz_pickle", "mixed.p%d.pkl" % proto, pickle.dumps(
        {"a": [1, -2, 1 << 70, 2.5, None, True], "b": ("x", b"y", (1, 2, 3)), "c": collections.OrderedDict(k=1)},
        protocol=proto))
put("fuzz_pickle", "evil.pkl", pickle.dumps({"x": (os.system, ("true",))}, protocol=2))


def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


put("fuzz_safetensors", "two.safetensors", safetensors(
    {"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)), "n": ("I64", [], struct.pack("<q", 5))},
    {"arch": "srcnn", "scale": "2"}))
put("fuzz_safetensors", "half.safetensors", safetensors({"h": ("F16", [3], b"\x00\x3c\x00\x40\x00\xc0")}))
put("fuzz_pth", "st.safetensors", safetensors({"module.w": ("BF16", [1], b"\x80\x3f")}))


def ncnn_compact(feat=4, scale=2):
    """A tiny SRVGGNetCompact graph (one body conv) as fuzz_ncnn's input: .param, NUL, .bin."""
    out_ch = 3 * scale * scale
    lines = [
        "Input in 0 1 data",
        "Split sp 1 2 data d0 d1",
        "Convolution c0 1 1 d1 a 0=%d 1=3 4=1 5=1 6=%d" % (feat, 3 * feat * 9),
        "PReLU p0 1 1 a b 0=%d" % feat,
        "Convolution c1 1 1 b c 0=%d 1=3 4=1 5=1 6=%d" % (feat, feat * feat * 9),
        "PReLU p1 1 1 c d 0=%d" % feat,
        "Convolution c2 1 1 d e 0=%d 1=3 4=1 5=1 6=%d" % (out_ch, out_ch * feat * 9),
        "PixelShuffle ps 1 1 e f 0=%d" % scale,
        "Interp up 1 1 d0 g 0=1 1=%d.0 2=%d.0" % (scale, scale),
        "BinaryOp add 2 1 f g output",
    ]
    param = "7767517\n%d %d\n" % (len(lines), 11) + "\n".join(lines) + "\n"
    blob = b""
    for cin, cout in ((3, feat), (feat, feat), (feat, out_ch)):
        blob += struct.pack("<I", 0) + struct.pack("<%df" % (cin * cout * 9), *([0.01] * (cin * cout * 9)))
        blob += struct.pack("<%df" % cout, *([0.0] * cout))
        if cout == feat:
            blob += struct.pack("<%df" % feat, *([0.25] * feat))
    return param.encode() + b"\0" + blob


put("fuzz_ncnn", "compact.ncnn", ncnn_compact())
param = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "models",
                     "realesr-animevideov3-x4.param")
if os.path.exists(param):  # the real graph's text with a truncated .bin: exercises the layer matcher
    put("fuzz_ncnn", "animevideov3-text.ncnn", open(param, "rb").read() + b"\0" + b"\x47\x6b\x30\x01" * 64)


def make_image_seeds():
    """Small images in every format upres reads, written by Pillow, or by hand where Pillow has no
    writer (Radiance HDR, PSD)."""
    import numpy
    from PIL import Image

    rng = numpy.random.default_rng(1)

    def pil(im, fmt, **kw):
        buf = io.BytesIO()
        im.save(buf, fmt, **kw)
        return buf.getvalue()

    rgb = Image.fromarray(rng.integers(0, 255, (9, 13, 3), dtype=numpy.uint8))
    rgba = Image.fromarray(rng.integers(0, 255, (7, 5, 4), dtype=numpy.uint8))
    gray, palette = rgb.convert("L"), rgb.convert("P")
    seeds = {
        "rgb.png": pil(rgb, "PNG"), "rgba.png": pil(rgba, "PNG"), "gray.png": pil(gray, "PNG"),
        "palette.png": pil(palette, "PNG"),
        "gray16.png": pil(Image.fromarray(rng.integers(0, 65535, (6, 4)).astype(numpy.int32), "I"), "PNG"),
        "baseline.jpg": pil(rgb, "JPEG", quality=80), "progressive.jpg": pil(rgb, "JPEG", progressive=True),
        "gray.jpg": pil(gray, "JPEG"), "420.jpg": pil(rgb, "JPEG", subsampling=2),
        "rgb.bmp": pil(rgb, "BMP"), "palette.bmp": pil(palette, "BMP"), "rgba.bmp": pil(rgba, "BMP"),
        "rgb.tga": pil(rgb, "TGA"), "rle.tga": pil(rgba, "TGA", compression="tga_rle"),
        "one.gif": pil(palette, "GIF"),
    }
    buf = io.BytesIO()
    palette.save(buf, "GIF", save_all=True, append_images=[rgb.rotate(90).convert("P")])
    seeds["two-frames.gif"] = buf.getvalue()
    # Radiance HDR: flat RGBE pixels, and run-length scanlines (width 12: 2, 2, 0, 12, four runs).
    seeds["flat.hdr"] = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 3 +X 9\n" + rng.integers(0, 255, 108).astype(numpy.uint8).tobytes()
    rle_line = bytes([2, 2, 0, 12]) + b"".join(bytes([128 + 12, 100 + c]) for c in range(4))
    seeds["rle.hdr"] = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 12\n" + rle_line * 2

    def psd(compression, w=4, h=3, channels=3):  # 8-bit RGB; empty colour-mode, resource and layer sections
        head = b"8BPS" + struct.pack(">H6xHIIHH", 1, channels, h, w, 8, 3) + struct.pack(">III", 0, 0, 0)
        if compression == 0:
            return head + struct.pack(">H", 0) + rng.integers(0, 255, w * h * channels).astype(numpy.uint8).tobytes()
        rows = [bytes([w - 1]) + rng.integers(0, 255, w).astype(numpy.uint8).tobytes() for _ in range(h * channels)]
        return head + struct.pack(">H", 1) + b"".join(struct.pack(">H", len(r)) for r in rows) + b"".join(rows)

    seeds["raw.psd"], seeds["rle.psd"] = psd(0), psd(1)

    # The libvips formats, with orientation, profiles and metadata, written by Pillow and by the
    # formats' own encoders and tools where Debian has them (each skipped when absent).
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Acme"
    seeds.update({
        "exif6.jpg": pil(rgb, "JPEG", exif=exif.tobytes()), "exif6.png": pil(rgb, "PNG", exif=exif.tobytes()),
        "cmyk.jpg": pil(rgb.convert("CMYK"), "JPEG"),
        "lossy.webp": pil(rgb, "WEBP", quality=70), "lossless.webp": pil(rgba, "WEBP", lossless=True),
        "exif.webp": pil(rgb, "WEBP", exif=exif.tobytes()),
        "raw.tif": pil(rgb, "TIFF"), "lzw.tif": pil(rgba, "TIFF", compression="tiff_lzw"),
        "deflate.tif": pil(gray, "TIFF", compression="tiff_adobe_deflate"),
        "float.tif": pil(Image.fromarray(rng.random((5, 7)).astype(numpy.float32), "F"), "TIFF"),
        "gray16.tif": pil(Image.fromarray(rng.integers(0, 65535, (6, 4)).astype(numpy.uint16), "I;16"), "TIFF"),
    })
    icc = "/usr/share/color/icc/colord/AdobeRGB1998.icc"
    if os.path.exists(icc):
        seeds["adobe.jpg"] = pil(rgb, "JPEG", icc_profile=open(icc, "rb").read())
    import shutil
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src.png")
        rgb.resize((16, 12)).save(src)
        tools = {"cwebp.webp": ["cwebp", "-quiet", "-q", "60", src, "-o"], "cjxl.jxl": ["cjxl", "--quiet", src],
                 "cjxl_lossless.jxl": ["cjxl", "--quiet", "-d", "0", src], "heif.avif": ["heif-enc", "-A", src, "-o"],
                 "heif.heic": ["heif-enc", src, "-o"], "magick.tif": ["convert-im6.q16", src, "-compress", "zip"],
                 "magick16.png": ["convert-im6.q16", src, "-depth", "16"]}
        for name, cmd in tools.items():
            if not shutil.which(cmd[0]):
                continue
            dst = os.path.join(tmp, name)
            if subprocess.run(cmd + [dst], capture_output=True).returncode == 0 and os.path.exists(dst):
                seeds[name] = open(dst, "rb").read()
        if shutil.which("exiftool"):
            dst = os.path.join(tmp, "tagged.jpg")
            open(dst, "wb").write(seeds["baseline.jpg"])
            if subprocess.run(["exiftool", "-q", "-overwrite_original", "-Make=Acme", "-GPSLatitude=48.85", "-XMP-dc:Title=t",
                               "-IPTC:Keywords=k", dst], capture_output=True).returncode == 0:
                seeds["exiftool.jpg"] = open(dst, "rb").read()
    for name, data in seeds.items():
        put("fuzz_image", name, data)


make_image_seeds()
print("seeds written to", out)
