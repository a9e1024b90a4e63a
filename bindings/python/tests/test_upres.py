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
        sample = upres.load_image(SAMPLE)
        big = upres.Resampler("lanczos3").upscale(sample, 4)
        self.assertEqual(big.shape, (800, 800, 3))
        self.assertTrue(big.tobytes() == reference_bytes("lanczos3_x4.raw"))

    def test_options_and_f32_output(self):
        sample = upres.load_image(SAMPLE)
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
        sample = upres.load_image(SAMPLE)
        degraded = upres.degrade(sample, m["degrade.pipeline"], int(m["degrade.seed"]))
        self.assertTrue(degraded.tobytes() == reference_bytes("degrade.raw"))
        back = upres.Resampler("bicubic", bicubic_options()).resample(degraded, 200, 200)
        self.assertEqual(upres.psnr(sample, back, 4, "luma"), float(m["psnr"]))
        self.assertEqual(upres.ssim(sample, back, 4, "luma"), float(m["ssim"]))

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
        sample = upres.load_image(SAMPLE)
        self.assertIsNotNone(sample.base)  # memory the library owns
        out = np.zeros((10, 10, 3), np.uint8)
        result = upres.Resampler("bilinear").resample(sample, 10, 10, out=out)
        self.assertIs(result, out)
        self.assertGreater(int(out.sum()), 0)

    def test_source_rows_with_stride(self):
        sample = upres.load_image(SAMPLE)
        crop = sample[20:120, 30:130]  # rows 200*3 bytes apart, 100 pixels wide
        self.assertFalse(crop.flags.c_contiguous)
        r = upres.Resampler("bicubic")
        np.testing.assert_array_equal(r.resample(crop, 50, 50), r.resample(np.ascontiguousarray(crop), 50, 50))

    def test_gray_2d_and_u16_round_trip(self):
        gray = (np.arange(30 * 20, dtype=np.uint32).reshape(30, 20) * 97 % 65536).astype(np.uint16)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "g.png")
            upres.save_image(path, gray)
            info = upres.probe_image(path)
            self.assertEqual((info.width, info.height, info.channels, info.dtype), (20, 30, 1, np.uint16))
            back = upres.load_image(path)
            np.testing.assert_array_equal(back[:, :, 0], gray)
            with open(path, "rb") as f:
                np.testing.assert_array_equal(upres.load_image_memory(f.read()), back)
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


class Errors(unittest.TestCase):
    def test_status_and_message(self):
        with self.assertRaises(upres.UpresError) as cm:
            upres.load_image("/nonexistent/dir/missing-image.png")
        self.assertEqual(cm.exception.status, _native.E_IO)
        self.assertEqual(cm.exception.status_name, "UPRES_E_IO")
        self.assertIn("missing-image.png", cm.exception.message)
        with self.assertRaises(upres.UpresError) as cm:
            upres.load_image_memory(b"not an image at all")
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
        self.sample = upres.load_image(SAMPLE)
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
