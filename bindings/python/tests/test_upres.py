"""The Python binding: ABI layout against C, byte identity with the C API's outputs (written by
bindings/reference/abi_reference.c), zero-copy arrays, errors, progress and cancellation.
Run: UPRES_REFERENCE_DIR=... PYTHONPATH=bindings/python /usr/bin/python3 -m unittest discover -s bindings/python/tests
"""
import ctypes
import os
import tempfile
import threading
import unittest

import numpy as np

import upres
from upres import _native

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.environ.get("UPRES_SAMPLE_IMAGE", os.path.join(HERE, "..", "..", "..", "assets", "sample.png"))
REFERENCE = os.environ.get("UPRES_REFERENCE_DIR")


def read_pairs(name):
    with open(os.path.join(REFERENCE, name)) as f:
        return dict(line.rstrip("\n").split(" ", 1) for line in f if " " in line)


def reference_bytes(name):
    with open(os.path.join(REFERENCE, name), "rb") as f:
        return f.read()


def bicubic_options():
    return upres.Options(edge="reflect", cubic_a=-0.75, threads=2)


@unittest.skipUnless(REFERENCE, "UPRES_REFERENCE_DIR is not set (CTest sets it after abi_reference)")
class AgreesWithC(unittest.TestCase):
    def test_struct_layout(self):
        c = read_pairs("layout.txt")
        image = _native.upres_image
        self.assertEqual(int(c["sizeof.upres_image"]), ctypes.sizeof(image))
        self.assertEqual(int(c["alignof.upres_image"]), ctypes.alignment(image))
        fields = [name for name, _ in image._fields_]
        self.assertEqual(sorted(fields), sorted(k.split(".")[-1] for k in c if k.startswith("offsetof.")))
        for name in fields:
            self.assertEqual(int(c[f"offsetof.upres_image.{name}"]), getattr(image, name).offset, name)

    def test_constants(self):
        c = {k[len("const.UPRES_"):]: int(v) for k, v in read_pairs("layout.txt").items() if k.startswith("const.")}
        for name, value in c.items():
            self.assertEqual(getattr(_native, name), value, name)

    def test_lanczos3_x4_is_byte_identical(self):
        sample = upres.load_file(SAMPLE)
        big = upres.Resampler("lanczos3").upscale(sample, 4)
        self.assertEqual(big.shape, (800, 800, 3))
        self.assertTrue(big.tobytes() == reference_bytes("lanczos3_x4.raw"))

    def test_options_and_f32_output(self):
        sample = upres.load_file(SAMPLE)
        out = upres.Resampler("bicubic", bicubic_options()).resample(sample, 150, 130, dtype=np.float32)
        self.assertEqual(out.dtype, np.float32)
        self.assertTrue(out.tobytes() == reference_bytes("bicubic_f32.raw"))
        # Into a padded destination: a view of the left columns of a wider array (strides passed).
        wide = np.full((130, 157, 3), -1, np.float32)
        upres.Resampler("bicubic", {"edge": "reflect"}, cubic_a=-0.75, threads=2).resample(
            sample, 150, 130, out=wide[:, :150])
        np.testing.assert_array_equal(wide[:, :150], out)
        self.assertTrue((wide[:, 150:] == -1).all())

    def test_evaluation(self):
        m = read_pairs("metrics.txt")
        sample = upres.load_file(SAMPLE)
        degraded = upres.degrade(sample, m["degrade.pipeline"], int(m["degrade.seed"]))
        self.assertTrue(degraded.tobytes() == reference_bytes("degrade.raw"))
        back = upres.Resampler("bicubic", bicubic_options()).resample(degraded, 200, 200)
        self.assertEqual(upres.psnr(sample, back, 4, "luma"), float(m["psnr"]))
        self.assertEqual(upres.ssim(sample, back, 4, "luma"), float(m["ssim"]))

    def test_file_formats(self):
        c = read_pairs("formats.txt")
        formats = upres.file_formats()
        self.assertEqual(int(c["format.count"]), len(formats))
        for f in formats:
            flags, codec, extensions = c[f"format.{f.name}"].split(" ", 2)
            self.assertEqual(int(flags), (_native.FORMAT_READ if f.read else 0) | (_native.FORMAT_WRITE if f.write else 0))
            self.assertEqual(codec, f.codec, f.name)
            self.assertEqual(tuple(extensions.split()), f.extensions, f.name)

    def test_method_descriptions(self):
        c = read_pairs("describe.txt")
        self.assertIn("lanczos3", c)
        for name, text in c.items():
            if name != "unknown.status":
                self.assertEqual(upres.method_describe(name), text, name)
        with self.assertRaises(upres.UpresError) as cm:
            upres.method_describe("no-such-method")
        self.assertEqual(cm.exception.status, int(c["unknown.status"]))


class Arrays(unittest.TestCase):
    def test_no_copy_in_or_out(self):
        sample = upres.load_file(SAMPLE)
        self.assertIsNotNone(sample.base)  # memory the library owns
        out = np.zeros((10, 10, 3), np.uint8)
        result = upres.Resampler("bilinear").resample(sample, 10, 10, out=out)
        self.assertIs(result, out)
        self.assertGreater(int(out.sum()), 0)

    def test_source_rows_with_stride(self):
        sample = upres.load_file(SAMPLE)
        crop = sample[20:120, 30:130]  # rows 200*3 bytes apart, 100 pixels wide
        self.assertFalse(crop.flags.c_contiguous)
        r = upres.Resampler("bicubic")
        np.testing.assert_array_equal(r.resample(crop, 50, 50), r.resample(np.ascontiguousarray(crop), 50, 50))

    def test_gray_2d_and_u16_round_trip(self):
        gray = (np.arange(30 * 20, dtype=np.uint32).reshape(30, 20) * 97 % 65536).astype(np.uint16)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "g.png")
            upres.save_file(path, gray)
            info = upres.probe_file(path)
            self.assertEqual((info.width, info.height, info.channels, info.dtype), (20, 30, 1, np.uint16))
            back = upres.load_file(path)
            np.testing.assert_array_equal(back[:, :, 0], gray)
            with open(path, "rb") as f:
                np.testing.assert_array_equal(upres.load_file_memory(f.read()), back)
        self.assertEqual(upres.Resampler("nearest").resample(gray, 40, 60).shape, (60, 40))

    def test_arrays_upres_cannot_take(self):
        r = upres.Resampler("bilinear")
        with self.assertRaises(upres.UpresError):
            r.resample(np.zeros((4, 4, 3), np.int32), 8, 8)
        with self.assertRaises(upres.UpresError):
            r.resample(np.zeros((4, 4, 3), np.uint8)[:, ::-1], 8, 8)  # negative stride
        with self.assertRaises(upres.UpresError):
            r.resample(np.zeros((4, 4, 5), np.uint8), 8, 8)
        readonly = np.zeros((8, 8, 3), np.uint8)
        readonly.flags.writeable = False
        with self.assertRaises(upres.UpresError):
            r.resample(np.zeros((4, 4, 3), np.uint8), 8, 8, out=readonly)


def webp_writable():
    return any(f.name == "webp" and f.write for f in upres.file_formats())


class Files(unittest.TestCase):
    def test_loaded_bitmap_is_an_array_with_metadata(self):
        sample = upres.load_file(SAMPLE)
        self.assertIsInstance(sample, upres.Bitmap)
        self.assertIsInstance(sample, np.ndarray)
        self.assertEqual(sample.shape, (200, 200, 3))
        self.assertEqual(sample.orientation, 1)  # auto_orient (the default) leaves nothing to do
        for kind in ("icc", "exif", "xmp", "iptc"):
            self.assertIsInstance(sample.metadata(kind), bytes)
        self.assertEqual(upres.load_file(SAMPLE, auto_orient=0, max_pixels=40000).shape, (200, 200, 3))
        with self.assertRaises(upres.UpresError) as cm:
            upres.load_file(SAMPLE, max_pixels=100)
        self.assertEqual(cm.exception.status, _native.E_LIMIT)
        info = upres.probe_file(SAMPLE, auto_orient=0)
        self.assertEqual((info.width, info.height, info.channels, info.dtype), (200, 200, 3, np.uint8))

    def test_metadata_get_set_copy_remove(self):
        a = upres.Bitmap.from_array(np.full((3, 4, 3), 7, np.uint8))
        self.assertTrue((a == 7).all())
        for kind in ("icc", "exif", "xmp", "iptc", _native.METADATA_ICC):
            self.assertEqual(a.metadata(kind), b"")  # a new bitmap has none
        self.assertEqual(a.orientation, 1)
        a.icc = b"profile\0bytes"
        a.set_metadata("xmp", bytearray(b"<x:xmpmeta/>"))
        a.exif = b"MM\0*"
        a.orientation = 6
        self.assertEqual(a.icc, b"profile\0bytes")
        self.assertEqual(a.metadata(_native.METADATA_XMP), b"<x:xmpmeta/>")
        self.assertEqual(a[1:, 2:].icc, a.icc)  # views share their bitmap's metadata
        b = upres.Bitmap.from_array(np.zeros((5, 5), np.uint16))
        self.assertEqual(b.shape, (5, 5, 1))
        b.copy_metadata_from(a)
        self.assertEqual((b.icc, b.exif, b.xmp, b.iptc, b.orientation), (a.icc, a.exif, a.xmp, b"", 6))
        b.icc = b""
        b.xmp = None
        self.assertEqual((b.icc, b.xmp, a.icc), (b"", b"", b"profile\0bytes"))
        for bad in (0, 5):
            with self.assertRaises(upres.UpresError) as cm:
                a.metadata(bad)
            self.assertEqual(cm.exception.status, _native.E_INVALID_ARGUMENT)
            with self.assertRaises(upres.UpresError):
                a.set_metadata(bad, b"x")
        with self.assertRaises(upres.UpresError):
            a.metadata("gps")
        for bad in (0, 9):
            with self.assertRaises(upres.UpresError) as cm:
                a.orientation = bad
            self.assertEqual(cm.exception.status, _native.E_INVALID_ARGUMENT)
        self.assertEqual(a.orientation, 6)
        with self.assertRaises(upres.UpresError):
            np.zeros((2, 2, 3), np.uint8).view(upres.Bitmap).icc
        with self.assertRaises(TypeError):
            a.copy_metadata_from(np.zeros((2, 2, 3), np.uint8))

    def test_save_file_paths(self):
        sample = upres.load_file(SAMPLE)
        big = upres.Resampler("bilinear").upscale(sample, 2)
        self.assertNotIsInstance(big, upres.Bitmap)
        with tempfile.TemporaryDirectory() as tmp:
            cases = {
                "whole.png": (sample, {}),                           # the bitmap itself
                "crop.png": (sample[10:60, 20:90], {}),              # a view: copied, metadata kept
                "big.png": (big, {"metadata": sample}),              # a result with its source's metadata
                "plain.png": (np.ascontiguousarray(big), {}),       # pixels alone
            }
            for name, (image, kwargs) in cases.items():
                path = os.path.join(tmp, name)
                upres.save_file(path, image, **kwargs)
                np.testing.assert_array_equal(upres.load_file(path), image, name)
            path = os.path.join(tmp, "q.jpg")
            upres.save_file(path, sample, quality=80, chroma_subsampling="444")
            self.assertEqual(upres.probe_file(path).width, 200)
            with self.assertRaises(upres.UpresError) as cm:
                upres.save_file(path, sample, jpeg_quality=80)  # renamed "quality"
            self.assertEqual(cm.exception.status, _native.E_INVALID_ARGUMENT)
            with self.assertRaises(TypeError):
                upres.save_file(path, big, metadata=big)
            bad = os.path.join(tmp, "x.xyz")
            with self.assertRaises(upres.UpresError) as cm:
                upres.save_file(bad, sample)
            self.assertEqual(cm.exception.status, _native.E_INVALID_ARGUMENT)
            self.assertFalse(os.path.exists(bad))

    def test_check_output(self):
        self.assertIsNone(upres.check_output("out.png", 20000, 10, 4))
        with self.assertRaises(upres.UpresError) as cm:
            upres.check_output("out.webp", 20000, 10, 3)
        if webp_writable():
            self.assertEqual(cm.exception.status, _native.E_LIMIT)
            self.assertIn("16383", cm.exception.message)
        else:
            self.assertEqual(cm.exception.status, _native.E_UNSUPPORTED)
        with self.assertRaises(upres.UpresError) as cm:
            upres.check_output("out.jpg", 70000, 10, 3)
        self.assertEqual(cm.exception.status, _native.E_LIMIT)
        self.assertIn("65535", cm.exception.message)
        for path, channels in (("out.jpg", 4), ("out.xyz", 3)):
            with self.assertRaises(upres.UpresError) as cm:
                upres.check_output(path, 10, 10, channels)
            self.assertEqual(cm.exception.status, _native.E_INVALID_ARGUMENT, path)

    def test_file_formats(self):
        formats = {f.name: f for f in upres.file_formats()}
        self.assertTrue(formats["png"].read and formats["png"].write)
        self.assertIn("png", formats["png"].extensions)
        self.assertIn("jpg", formats["jpeg"].extensions)
        for f in formats.values():
            self.assertIn(f.codec, ("libvips", "stb"), f.name)


class Errors(unittest.TestCase):
    def test_status_and_message(self):
        with self.assertRaises(upres.UpresError) as cm:
            upres.load_file("/nonexistent/dir/missing-image.png")
        self.assertEqual(cm.exception.status, _native.E_IO)
        self.assertEqual(cm.exception.status_name, "UPRES_E_IO")
        self.assertIn("missing-image.png", cm.exception.message)
        with self.assertRaises(upres.UpresError) as cm:
            upres.load_file_memory(b"not an image at all")
        self.assertEqual(cm.exception.status, _native.E_FORMAT)
        with self.assertRaises(upres.UpresError) as cm:
            upres.Options(threads=-1)
        self.assertEqual(cm.exception.status, _native.E_INVALID_ARGUMENT)
        self.assertIn("threads", cm.exception.message)
        with self.assertRaises(upres.UpresError) as cm:
            upres.Resampler("no-such-method")
        self.assertIn("no-such-method", cm.exception.message)
        with self.assertRaises(upres.UpresError):
            upres.degrade(np.zeros((8, 8, 3), np.uint8), "smear:1")

    def test_limit(self):
        old = upres.get_max_pixels()
        try:
            upres.set_max_pixels(1000)
            with self.assertRaises(upres.UpresError) as cm:
                upres.Resampler("bilinear").resample(np.zeros((10, 10, 3), np.uint8), 100, 100)
            self.assertEqual(cm.exception.status, _native.E_LIMIT)
        finally:
            upres.set_max_pixels(old)


class Cancellation(unittest.TestCase):
    def setUp(self):
        self.sample = upres.load_file(SAMPLE)
        self.lanczos = upres.Resampler("lanczos3")

    def test_progress_reports_and_cancels(self):
        calls = []
        self.lanczos.upscale(self.sample, 4, progress=lambda done, total: calls.append((done, total)))
        self.assertGreater(len(calls), 0)
        self.assertEqual(calls[-1][0], calls[-1][1])
        with self.assertRaises(upres.CancelledError):
            self.lanczos.upscale(self.sample, 4, progress=lambda done, total: False)

    def test_exception_in_callback_comes_back(self):
        def boom(done, total):
            raise KeyError("from the callback")
        with self.assertRaises(KeyError):
            self.lanczos.upscale(self.sample, 4, progress=boom)

    def test_token(self):
        token = upres.CancelToken()
        token.cancel()
        self.assertTrue(token.cancelled)
        with self.assertRaises(upres.CancelledError) as cm:
            self.lanczos.upscale(self.sample, 4, cancel=token)
        self.assertEqual(cm.exception.status, _native.E_CANCELLED)
        token.reset()
        self.lanczos.upscale(self.sample, 2, cancel=token)

    def test_cancel_from_another_thread_and_shared_resampler(self):
        token = upres.CancelToken()
        started = threading.Event()

        def wait_for_cancel(done, total):
            started.set()
            while not token.cancelled:
                pass
            return True

        canceller = threading.Thread(target=lambda: (started.wait(), token.cancel()))
        canceller.start()
        with self.assertRaises(upres.CancelledError):
            self.lanczos.upscale(self.sample, 4, progress=wait_for_cancel, cancel=token)
        canceller.join()

        results = [None] * 3
        def run(i):
            results[i] = self.lanczos.resample(self.sample, 333, 277)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results[1:]:
            np.testing.assert_array_equal(r, results[0])


class Library(unittest.TestCase):
    def test_version_methods_options(self):
        major, minor, patch = (int(part) for part in upres.version().split("."))
        self.assertEqual(upres.version_number(), major * 10000 + minor * 100 + patch)
        devices = upres.cuda_device_count()
        self.assertIsInstance(devices, int)
        self.assertGreaterEqual(devices, 0)
        self.assertIn("lanczos3", upres.methods())
        families = dict(upres.architectures())
        self.assertIn("rrdbnet", families)
        self.assertIn("ESRGAN", families["rrdbnet"])
        names = {o.name: o for o in upres.option_table()}
        self.assertEqual(names["threads"].type, "int")
        self.assertEqual((names["quality"].type, names["quality"].min, names["quality"].max), ("int", 0, 100))
        self.assertEqual(names["tiff_compression"].type, "string")
        self.assertNotIn("jpeg_quality", names)
        self.assertEqual(upres.Options().get_int("auto_orient"), 1)
        self.assertEqual(upres.Options().get_string("chroma_subsampling"), "auto")
        options = upres.Options(edge="wrap")
        self.assertEqual(options.clone().get_string("edge"), "wrap")
        self.assertEqual(upres.Options().get_string("edge"), "clamp")
        self.assertEqual(upres.required_bytes(5, 3, 4, np.float32), 5 * 3 * 4 * 4)

    def test_method_describe(self):
        self.assertTrue(upres.method_describe("lanczos3"))
        with self.assertRaises(upres.UpresError) as cm:
            upres.method_describe("no-such-method")
        self.assertEqual(cm.exception.status, _native.E_NOT_FOUND)
        self.assertIn("no-such-method", cm.exception.message)
        # The options reach C: "model" describes the file the option names, here a missing one.
        for options in (upres.Options(model="/nonexistent/missing-model.pth"),
                        {"model": "/nonexistent/missing-model.pth"}):
            with self.assertRaises(upres.UpresError) as cm:
                upres.method_describe("model", options)
            self.assertIn("missing-model.pth", cm.exception.message)
        with self.assertRaises(upres.UpresError) as cm:
            upres.method_describe("model", model="/nonexistent/missing-model.pth")
        self.assertIn("missing-model.pth", cm.exception.message)


if __name__ == "__main__":
    unittest.main()
