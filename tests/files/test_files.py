#!/usr/bin/python3
"""Image files as people have them, through `upres upscale` end to end, against other tools:
- EXIF orientation: all 8 values, upres's pixels equal Pillow's ImageOps.exif_transpose; outputs
  say orientation 1; --no-auto-orient keeps the stored pixels and the tag.
- colour profiles: an Adobe RGB (1998) JPEG and PNG keep the same profile bytes; --to-srgb equals
  lcms2's transform through Pillow's ImageCms within 1 level; CMYK JPEGs come out RGB.
- metadata: Make, Model, DateTimeOriginal, GPS (EXIF) and XMP written by exiftool survive into
  JPEG, WebP and PNG outputs (IPTC into JPEG), with the new pixel size; TIFF outputs keep XMP (no
  EXIF yet); --strip removes them.
- formats: files written by other encoders (Pillow, cwebp, cjxl, heif-enc, ImageMagick) decode
  equal to what was written (lossless) or to Pillow's decoding (JPEG within 1); upres's outputs
  read back in Pillow; 16-bit TIFF and PNG keep 16 bits.
- bad files: truncated files, wrong extensions, absurd dimensions and decompression bombs give a
  clear error naming the file, leave nothing at the output path and stay within bounded memory;
  outputs a format cannot hold are refused before any upscaling.
usage: test_files.py UPRES_BINARY WORK_DIR. Exit 77 when Pillow / numpy are missing."""
import io
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import zlib

SKIP = 77
try:
    import numpy as np
    from PIL import Image, ImageCms, ImageOps
except ImportError as e:
    print("SKIP: this python has no Pillow/numpy (%s)" % e)
    sys.exit(SKIP)

UPRES, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
FAILURES = []
ADOBE = "/usr/share/color/icc/colord/AdobeRGB1998.icc"


def check(cond, what):
    print(("  ok    " if cond else "  FAIL  ") + what)
    if not cond:
        FAILURES.append(what)


def skip_part(what):
    print("  SKIP part: " + what)


def path(name):
    return os.path.join(WORK, name)


def upres(*args, timeout=300):
    r = subprocess.run([UPRES] + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def codecs():
    """The formats this build reads and writes (`upres formats`)."""
    rc, out = upres("formats")
    table = {}
    for line in out.splitlines()[1:]:
        parts = line.split()  # name, extensions..., read, write, codec
        if len(parts) >= 5:
            table[parts[0]] = (parts[-3] == "yes", parts[-2] == "yes", parts[-1])
    return table


FORMATS = codecs()
VIPS = FORMATS.get("webp", (False,))[0]


def decoded(src, *extra, ext="png"):
    """upres's decoding of `src`: its pixels written losslessly (nearest, scale 1) and read back."""
    out = path("decoded_%s.%s" % (os.path.basename(src).replace(".", "_"), ext))
    rc, text = upres("upscale", src, "-o", out, "--method", "nearest", "--scale", 1, *extra)
    if rc != 0:
        raise AssertionError("upres could not read %s: %s" % (src, text.strip()))
    return out


def pixels(p):
    return np.asarray(Image.open(p))


def photo(w=48, h=32, seed=0):
    """A test photograph: smooth gradients, edges and noise, no symmetry (so every orientation differs)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // (w - 1), y * 255 // (h - 1), (x + 2 * y) % 256], -1).astype(np.float64)
    img[: h // 3, : w // 4] = [250, 20, 30]
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def exiftool(*args):
    if not shutil.which("exiftool"):
        return None
    r = subprocess.run(["exiftool"] + list(args), capture_output=True, text=True, timeout=60)
    return r


def exif_fields(p):
    r = exiftool("-j", "-n", "-a", "-G1", p)
    return json.loads(r.stdout)[0] if r and r.returncode == 0 else {}


def orientation_of(p):
    """The EXIF orientation tag of a file as Pillow reads it (1 when absent)."""
    return Image.open(p).getexif().get(0x0112, 1)


# ---------------------------------------------------------------------------------- orientation
def test_orientation():
    print("== EXIF orientation, all 8 values, JPEG and PNG (against Pillow's exif_transpose)")
    base = Image.fromarray(photo())
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        for ext in ("png", "jpg"):
            src = path("orient%d.%s" % (o, ext))
            if ext == "jpg":
                base.save(src, quality=95, subsampling=0, exif=exif.tobytes())
            else:
                base.save(src, exif=exif.tobytes())
            expected = np.asarray(ImageOps.exif_transpose(Image.open(src)).convert("RGB"))
            ours_path = decoded(src)
            ours = pixels(ours_path)
            same = ours.shape == expected.shape and int(np.abs(ours.astype(int) - expected).max()) == 0
            check(same, "%s orientation %d: upres %s equals exif_transpose %s" % (ext, o, ours.shape[:2], expected.shape[:2]))
            check(orientation_of(ours_path) == 1, "%s orientation %d: the output says orientation 1 or nothing" % (ext, o))
            if o in (6, 8) and ext == "jpg":
                kept = decoded(src, "--no-auto-orient", ext="jpg")
                stored = np.asarray(Image.open(src).convert("RGB"))
                back = pixels(kept)
                check(back.shape == stored.shape, "--no-auto-orient orientation %d keeps the stored %s" % (o, stored.shape[:2]))
                check(orientation_of(kept) == o, "--no-auto-orient orientation %d: the output keeps the tag (%d)" % (o, orientation_of(kept)))
    # A phone photo: 160x120 stored, orientation 6, x2 -> 240x320 upright.
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(photo(160, 120)).save(path("phone.jpg"), quality=90, exif=exif.tobytes())
    rc, text = upres("upscale", path("phone.jpg"), "-o", path("phone_x2.jpg"), "--scale", 2)
    check(rc == 0 and Image.open(path("phone_x2.jpg")).size == (240, 320), "phone JPEG (orientation 6) x2 comes out 240x320 upright")


# ---------------------------------------------------------------------------------- colour
def test_colour():
    print("== colour profiles (Adobe RGB 1998 from colord-data)")
    if not os.path.exists(ADOBE):
        skip_part("%s absent (Debian colord-data)" % ADOBE)
        return
    icc = open(ADOBE, "rb").read()
    img = Image.fromarray(photo(64, 40, seed=3))
    for ext in ("jpg", "png"):
        src = path("adobe.%s" % ext)
        if ext == "jpg":
            img.save(src, quality=95, subsampling=0, icc_profile=icc)
        else:
            img.save(src, icc_profile=icc)
        out = path("adobe_x2.%s" % ext)
        rc, text = upres("upscale", src, "-o", out, "--scale", 2)
        check(rc == 0 and Image.open(out).info.get("icc_profile") == icc, "%s: the output carries the same profile bytes" % ext)
        # --to-srgb: the pixels lcms2 gives (Pillow's ImageCms, relative colorimetric like upres).
        theirs = ImageCms.profileToProfile(Image.open(src), ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                           ImageCms.createProfile("sRGB"), renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
        ours_path = decoded(src, "--to-srgb")
        d = int(np.abs(pixels(ours_path).astype(int) - np.asarray(theirs).astype(int)).max())
        check(d <= 1, "%s --to-srgb equals lcms2's transform within 1 level (max diff %d)" % (ext, d))
        out_icc = Image.open(ours_path).info.get("icc_profile")
        check(out_icc is not None and out_icc != icc and b"sRGB" in out_icc[:256] + out_icc,
              "%s --to-srgb: the output is tagged sRGB" % ext)
    # CMYK JPEG (Pillow writes Adobe CMYK): comes out RGB, cyan looks cyan.
    cmyk = Image.new("CMYK", (32, 16), (255, 0, 0, 0))
    cmyk.save(path("cmyk.jpg"), quality=95)
    try:
        out = pixels(decoded(path("cmyk.jpg")))
        r, g, b = [int(v) for v in out[8, 16, :3]]
        check(out.ndim == 3 and out.shape[2] == 3 and r < 80 and g > 120 and b > 180, "CMYK JPEG -> RGB, cyan is (%d, %d, %d)" % (r, g, b))
    except AssertionError as e:
        check(False, "CMYK JPEG: %s" % e)


# ---------------------------------------------------------------------------------- metadata
def test_metadata():
    print("== EXIF / XMP / IPTC survive (exiftool)")
    if not shutil.which("exiftool"):
        skip_part("no exiftool (Debian libimage-exiftool-perl)")
        return
    src = path("camera.jpg")
    Image.fromarray(photo(40, 30, seed=5)).save(src, quality=92)
    r = exiftool("-overwrite_original", "-Make=Acme", "-Model=Phone X1", "-DateTimeOriginal=2024:05:06 07:08:09",
                 "-GPSLatitude=48.8566", "-GPSLatitudeRef=N", "-GPSLongitude=2.3522", "-GPSLongitudeRef=E",
                 "-XMP-dc:Title=upres test", "-IPTC:Keywords=upscaled", src)
    check(r.returncode == 0, "exiftool tagged the source")
    for ext in ("jpg", "webp", "tif", "png"):
        out = path("camera_x2.%s" % ext)
        rc, text = upres("upscale", src, "-o", out, "--scale", 2)
        if rc != 0:
            check(False, "%s: upscale failed: %s" % (ext, text.strip()))
            continue
        f = exif_fields(out)
        values = {k.split(":")[-1]: v for k, v in f.items()}
        if ext == "tif":
            # libvips 8.14's TIFF writer has no EXIF IFD and stores IPTC as TIFF's RichTIFFIPTC
            # tag, which exiftool does not read back from a JPEG's Photoshop block: XMP only.
            check(values.get("Title") == "upres test", "tif keeps XMP dc:title (EXIF / IPTC into TIFF: not written yet)")
            continue
        check(values.get("Make") == "Acme" and values.get("Model") == "Phone X1", "%s keeps Make / Model" % ext)
        check(values.get("DateTimeOriginal") == "2024:05:06 07:08:09", "%s keeps DateTimeOriginal" % ext)
        lat = values.get("GPSLatitude")
        check(lat is not None and abs(float(lat) - 48.8566) < 1e-3, "%s keeps the GPS position (%s)" % (ext, lat))
        check(values.get("Title") == "upres test", "%s keeps XMP dc:title" % ext)
        if ext == "jpg":
            check(values.get("Keywords") == "upscaled", "%s keeps IPTC keywords" % ext)
        w = values.get("ExifImageWidth")
        check(w in (None, 80), "%s: EXIF pixel width is the new one (%s)" % (ext, w))
        stripped = path("camera_strip.%s" % ext)
        rc, text = upres("upscale", src, "-o", stripped, "--scale", 2, "--strip")
        v2 = {k.split(":")[-1]: v for k, v in exif_fields(stripped).items()}
        check(rc == 0 and "Make" not in v2 and "GPSLatitude" not in v2 and "Title" not in v2, "%s --strip removes them" % ext)


# ---------------------------------------------------------------------------------- formats
def png16(p, a):
    """A 16-bit RGB(A) PNG written here (Pillow writes 16-bit gray only)."""
    h, w, c = a.shape
    raw = b"".join(b"\0" + a[y].astype(">u2").tobytes() for y in range(h))
    def chunk(t, body):
        return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2 if c == 3 else 6, 0, 0, 0)
    open(p, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_png16(p):
    """The samples of a 16-bit PNG upres wrote (decoded here, not by the code under test)."""
    data = open(p, "rb").read()
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, t = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if t == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 16 and interlace == 0, "IHDR %s" % (body,)
            c = {0: 1, 4: 2, 2: 3, 6: 4}[ctype]
        elif t == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * c * 2
    rows, prev = [], bytearray(stride)
    bpp = c * 2
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            cc = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - cc), abs(a - cc), abs(a + b - 2 * cc)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else cc)) & 255
        rows.append(np.frombuffer(bytes(line), ">u2").reshape(w, c))
        prev = line
    return np.stack(rows)


def test_formats():
    print("== formats: files from other encoders decode as written")
    rgb = photo(50, 34, seed=7)
    rgba = np.concatenate([rgb, (np.arange(50)[None, :, None].repeat(34, 0) * 5).astype(np.uint8)], -1)
    lossless = []  # (file, expected pixels)
    Image.fromarray(rgb).save(path("pil.png"))
    lossless.append(("pil.png", rgb))
    Image.fromarray(rgba).save(path("pil_rgba.png"))
    lossless.append(("pil_rgba.png", rgba))
    if FORMATS.get("webp", (False,))[0]:
        Image.fromarray(rgba).save(path("pil_lossless.webp"), lossless=True, exact=True)  # RGB kept under alpha 0
        lossless.append(("pil_lossless.webp", rgba))
        for comp in ("raw", "tiff_lzw", "tiff_adobe_deflate"):
            Image.fromarray(rgb).save(path("pil_%s.tif" % comp), compression=comp)
            lossless.append(("pil_%s.tif" % comp, rgb))
        Image.fromarray(rgba).save(path("pil_rgba.tif"), compression="tiff_lzw")
        lossless.append(("pil_rgba.tif", rgba))
        if shutil.which("cwebp"):
            Image.fromarray(rgb).save(path("for_cwebp.png"))
            subprocess.run(["cwebp", "-quiet", "-lossless", path("for_cwebp.png"), "-o", path("cwebp.webp")], check=True)
            lossless.append(("cwebp.webp", rgb))
        else:
            skip_part("no cwebp (Debian webp)")
        if shutil.which("cjxl"):
            subprocess.run(["cjxl", "--quiet", "-d", "0", path("pil.png"), path("cjxl.jxl")], check=True, capture_output=True)
            lossless.append(("cjxl.jxl", rgb))
        else:
            skip_part("no cjxl (Debian libjxl-tools)")
        if shutil.which("heif-enc"):
            r = subprocess.run(["heif-enc", "-A", "-L", "-p", "chroma=444", path("pil.png"), "-o", path("heifenc.avif")], capture_output=True)
            if r.returncode == 0 and shutil.which("heif-convert"):
                # heif-enc 1.15's lossless still goes through YCbCr (1 level off the source): the
                # expected pixels are the format's reference decoder's (libheif's heif-convert).
                subprocess.run(["heif-convert", path("heifenc.avif"), path("heifconv_ref.png")], check=True, capture_output=True)
                lossless.append(("heifenc.avif", np.asarray(Image.open(path("heifconv_ref.png")).convert("RGB"))))
            else:
                skip_part("heif-enc cannot write lossless AVIF here: %s" % r.stderr.decode().strip()[:80])
            r = subprocess.run(["heif-enc", "-q", "90", path("pil.png"), "-o", path("heifenc.heic")], capture_output=True)
            if r.returncode == 0:
                ours = pixels(decoded(path("heifenc.heic")))
                d = np.abs(ours.astype(int) - rgb.astype(int)).mean()
                check(ours.shape == rgb.shape and d < 6, "HEIC from heif-enc decodes (mean diff %.2f from the source)" % d)
            else:
                skip_part("heif-enc cannot write HEIC here (no HEVC encoder)")
        else:
            skip_part("no heif-enc (Debian libheif-examples)")
    else:
        skip_part("built without libvips: WebP, TIFF, JPEG XL, AVIF left out")
    for name, expected in lossless:
        try:
            ours = pixels(decoded(path(name)))
            d = int(np.abs(ours.astype(int) - expected.astype(int)).max()) if ours.shape == expected.shape else -1
            check(d == 0, "%s decodes exactly as written (max diff %d)" % (name, d))
        except AssertionError as e:
            check(False, str(e))
    # JPEG: within 1 level of Pillow's decoding (both libjpeg-turbo).
    Image.fromarray(rgb).save(path("pil.jpg"), quality=85)
    Image.fromarray(rgb).save(path("pil_progressive.jpg"), quality=85, progressive=True)
    for name in ("pil.jpg", "pil_progressive.jpg"):
        d = int(np.abs(pixels(decoded(path(name))).astype(int) - pixels(path(name)).astype(int)).max())
        check(d <= 1, "%s equals Pillow's decoding within 1 (%d)" % (name, d))
    # A wrong extension: the bytes decide.
    shutil.copy(path("pil.png"), path("really_png.jpg"))
    check(np.array_equal(pixels(decoded(path("really_png.jpg"))), rgb), "a PNG named .jpg reads as the PNG it is")

    print("== 16 bits end to end")
    deep = (np.random.default_rng(2).integers(0, 65536, (20, 30, 3))).astype(np.uint16)
    png16(path("deep.png"), deep)
    rc, text = upres("upscale", path("deep.png"), "-o", path("deep_out.png"), "--method", "nearest", "--scale", 1)
    check(rc == 0 and np.array_equal(read_png16(path("deep_out.png")), deep), "16-bit PNG in, 16-bit PNG out, every sample kept")
    if VIPS:
        rc, text = upres("upscale", path("deep.png"), "-o", path("deep.tif"), "--method", "nearest", "--scale", 1)
        back = path("deep_back.png")
        rc2, _ = upres("upscale", path("deep.tif"), "-o", back, "--method", "nearest", "--scale", 1)
        check(rc == 0 and rc2 == 0 and np.array_equal(read_png16(back), deep), "16-bit TIFF out and back keeps every sample")
        gray = np.linspace(0, 1, 24 * 16, dtype=np.float32).reshape(16, 24)
        Image.fromarray(gray, mode="F").save(path("float.tif"))
        out = path("float_out.tif")
        rc, text = upres("upscale", path("float.tif"), "-o", out, "--method", "nearest", "--scale", 1)
        back = np.asarray(Image.open(out)) if rc == 0 else None
        check(back is not None and back.dtype == np.float32 and np.array_equal(back, gray), "float TIFF in, float TIFF out (Pillow reads it)")

    print("== upres's outputs read back in Pillow")
    for ext, opts in (("png", []), ("jpg", ["--quality", 95]), ("webp", []), ("webp", ["--lossless"]), ("tif", []),
                      ("jxl", []), ("avif", [])):
        fmt = {"jpg": "jpeg", "tif": "tiff"}.get(ext, ext)
        if not FORMATS.get(fmt, (False, False))[1]:
            skip_part("this build does not write %s" % ext)
            continue
        out = path("out_%s%s.%s" % (ext, "_".join(str(o) for o in opts).replace("-", ""), ext))
        rc, text = upres("upscale", path("pil.png"), "-o", out, "--method", "nearest", "--scale", 2, *opts)
        if rc != 0:
            check(False, "writing .%s %s: %s" % (ext, opts, text.strip()))
            continue
        if ext in ("jxl", "avif"):
            # Pillow 9.4 reads neither: upres reads its own file back, and the reference decoder
            # of the format (djxl / heif-convert) when Debian has it.
            ours = pixels(decoded(out))
            d = np.abs(ours.astype(int) - np.repeat(np.repeat(rgb, 2, 0), 2, 1).astype(int)).mean()
            check(ours.shape == (68, 100, 3) and d < 8, ".%s output reads back (mean diff %.2f)" % (ext, d))
            tool = {"jxl": ["djxl", out, path("djxl.png")], "avif": ["heif-convert", out, path("heifconv.png")]}[ext]
            if shutil.which(tool[0]):
                r = subprocess.run(tool, capture_output=True)
                check(r.returncode == 0 and Image.open(tool[2]).size == (100, 68), ".%s output decodes in %s" % (ext, tool[0]))
            continue
        back = Image.open(out)
        back.load()
        arr = np.asarray(back.convert("RGB"))
        ref = np.repeat(np.repeat(rgb, 2, 0), 2, 1)
        lossy = ext == "jpg" or (ext == "webp" and "--lossless" not in opts)
        d = np.abs(arr.astype(int) - ref.astype(int))
        check(back.size == (100, 68) and (d.mean() < 4 if lossy else d.max() == 0),
              ".%s %s reads back in Pillow (%s, mean diff %.2f)" % (ext, opts, back.format, d.mean()))


# ---------------------------------------------------------------------------------- bad files
def max_rss_mb_of(cmd):
    """Peak RSS (MB) of one command run in a child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return r, max(before, after) / 1024.0


def test_bad_files():
    print("== bad files: an error naming the file, nothing written, bounded memory")
    good = {"png": "pil.png", "jpg": "pil.jpg"}
    if VIPS:
        good.update({"webp": "pil_lossless.webp", "tif": "pil_tiff_lzw.tif", "jxl": "cjxl.jxl", "avif": "heifenc.avif"})
    for ext, name in good.items():
        src = path(name)
        if not os.path.exists(src):
            continue
        data = open(src, "rb").read()
        for label, bad in (("truncated", data[: len(data) // 2]), ("cut to its header", data[:40])):
            p = path("bad_%s_%s.%s" % (label.split()[0], ext, ext))
            open(p, "wb").write(bad)
            out = path("bad_out.png")
            if os.path.exists(out):
                os.remove(out)
            rc, text = upres("upscale", p, "-o", out)
            check(rc == 1 and p in text and not os.path.exists(out), "%s %s: refused naming the file, no output (%s)" %
                  (label, ext, text.strip().splitlines()[-1][:110] if text.strip() else "no message"))
    # Absurd sizes declared in headers: refused as over the limit before decoding.
    def chunk(t, body):
        return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body) & 0xFFFFFFFF)
    huge_png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    open(path("huge.png"), "wb").write(huge_png)
    rc, text = upres("upscale", path("huge.png"), "-o", path("huge_out.png"))
    check(rc == 1 and "limit" in text and "huge.png" in text, "PNG declaring 100000x100000: over the limit (%s)" % text.strip()[:100])
    jpg = bytearray(open(path("pil.jpg"), "rb").read())
    i = jpg.find(b"\xff\xc0")
    jpg[i + 5:i + 9] = struct.pack(">HH", 60000, 60000)
    open(path("huge.jpg"), "wb").write(bytes(jpg))
    rc, text = upres("upscale", path("huge.jpg"), "-o", path("huge_out.png"))
    check(rc == 1 and "limit" in text and "huge.jpg" in text, "JPEG declaring 60000x60000: over the limit (%s)" % text.strip()[:100])
    if VIPS:
        im = Image.new("RGB", (3000, 3000))
        im.save(path("bomb.webp"), lossless=True)
        im.save(path("bomb.tif"), compression="tiff_adobe_deflate")
        Image.new("RGB", (3000, 3000)).save(path("bomb.png"), optimize=True)
        for name in ("bomb.png", "bomb.webp", "bomb.tif"):
            size = os.path.getsize(path(name))
            r, mb = max_rss_mb_of([UPRES, "upscale", path(name), "-o", path("bomb_out.png"), "--set", "max_pixels=1000000"])
            text = r.stdout + r.stderr
            check(r.returncode == 1 and "limit" in text and name in text and mb < 400,
                  "%s (%d bytes for 9 Mpx) with max_pixels 1 Mpx: refused, peak RSS %.0f MB" % (name, size, mb))
    print("== outputs a format cannot hold: refused before upscaling")
    if FORMATS.get("webp", (False, False))[1]:
        rc, text = upres("upscale", path("pil.png"), "-o", path("wide.webp"), "--width", 20000, "--height", 10)
        check(rc == 1 and "16383" in text and not os.path.exists(path("wide.webp")), "WebP 20000 wide: refused with its limit (%s)" % text.strip()[:100])
    rc, text = upres("upscale", path("pil.png"), "-o", path("wide.jpg"), "--width", 70000, "--height", 10)
    check(rc == 1 and "65535" in text, "JPEG 70000 wide: refused with its limit")
    rc, text = upres("upscale", path("pil_rgba.png"), "-o", path("alpha.jpg"))
    check(rc == 1 and "alpha" in text and not os.path.exists(path("alpha.jpg")), "alpha into JPEG: refused (%s)" % text.strip()[:100])
    rc, text = upres("upscale", path("pil.png"), "-o", path("out.xyz"))
    check(rc != 0 and ".xyz" in text, "unknown output extension: refused, naming it")


def main():
    for t in (test_orientation, test_colour, test_metadata, test_formats, test_bad_files):
        try:
            t()
        except Exception as e:  # a crash in one part is a failure, the others still run
            import traceback
            traceback.print_exc()
            FAILURES.append("%s raised %s" % (t.__name__, e))
    print("%d failed" % len(FAILURES))
    for f in FAILURES:
        print("  FAILED: " + f)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
