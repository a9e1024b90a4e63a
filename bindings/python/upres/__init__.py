"""upres for Python: image upscaling through the library's C ABI, with ctypes and numpy.

Images are numpy arrays of shape (height, width, channels) or (height, width) for gray, with
dtype uint8, uint16 or float32 (nominal range [0, 1]). They are passed to the library without
copying: each row must be contiguous (pixels then channels) and rows may be any positive stride
apart (a slice of rows/columns of a larger image works). Results are new arrays; images loaded
from files are arrays over memory the library owns, freed when the last array using it goes; they
are Bitmap arrays, which also carry the file's metadata (ICC profile, EXIF, XMP, IPTC, orientation)
to the file they are saved as.

Every failure raises UpresError (CancelledError for a cancelled run) with the library's status
and message. A Resampler is immutable and may be used from several threads at once (the library
runs without the GIL); a CancelToken may be cancelled from any thread.
"""
import ctypes
import os
from collections import namedtuple
from ctypes import byref, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint64, c_void_p

import numpy as np

from . import _native
from ._native import lib

__all__ = [
    "UpresError", "CancelledError", "Options", "Resampler", "CancelToken", "Bitmap", "ImageInfo", "FileFormat",
    "load_file", "load_file_memory", "probe_file", "check_output", "save_file", "file_formats",
    "psnr", "ssim", "degrade",
    "model_describe", "method_describe", "model_convert", "methods", "architectures", "option_table", "version", "version_number",
    "cuda_device_count",
    "set_max_pixels", "get_max_pixels", "required_bytes",
]

_DTYPES = {
    np.dtype(np.uint8): _native.SAMPLE_U8,
    np.dtype(np.uint16): _native.SAMPLE_U16,
    np.dtype(np.float32): _native.SAMPLE_F32,
}
_SAMPLE_DTYPES = {v: k for k, v in _DTYPES.items()}


class UpresError(Exception):
    """A failed upres call: .status (UPRES_E_* value), .status_name, .message."""

    def __init__(self, status, message):
        super().__init__(f"{message} ({_status_name(status)})")
        self.status = status
        self.status_name = _status_name(status)
        self.message = message


class CancelledError(UpresError):
    """The run was cancelled through a CancelToken or the progress callback."""


def _status_name(status):
    return lib.upres_status_name(status).decode()


def _error(status):
    # The message is per thread and valid until the next upres call here: read it at once.
    message = (lib.upres_last_error() or b"").decode("utf-8", "replace")
    cls = CancelledError if status == _native.E_CANCELLED else UpresError
    return cls(status, message)


def _check(status):
    if status != _native.OK:
        raise _error(status)


def _text(value, what):
    data = os.fsencode(value) if isinstance(value, (str, bytes, os.PathLike)) else None
    if data is None:
        raise TypeError(f"{what} must be a str or path, not {type(value).__name__}")
    if b"\0" in data:
        raise UpresError(_native.E_INVALID_ARGUMENT, f"{what} contains a NUL byte")
    return data


def version():
    """The linked library's version, "MAJOR.MINOR.PATCH"."""
    return lib.upres_version_string().decode()


def version_number():
    return lib.upres_version()


def cuda_device_count():
    """How many CUDA devices models can run on (option "device": "cuda:0" .. "cuda:N-1"); 0 without CUDA."""
    out = c_int32()
    _check(lib.upres_cuda_device_count(byref(out)))
    return out.value


def architectures():
    """The architecture families this build detects in model files, in precedence order, as
    (name, title) pairs: ("rrdbnet", "RRDBNet (ESRGAN, Real-ESRGAN)"), ..."""
    n = c_int32()
    _check(lib.upres_architecture_count(byref(n)))
    out = []
    for i in range(n.value):
        name, title = c_char_p(), c_char_p()
        _check(lib.upres_architecture_info(i, byref(name), byref(title)))
        out.append((name.value.decode(), title.value.decode()))
    return out


def methods():
    """The method names this build knows."""
    n = c_int32()
    _check(lib.upres_method_count(byref(n)))
    names = []
    for i in range(n.value):
        name = c_char_p()
        _check(lib.upres_method_name(i, byref(name)))
        names.append(name.value.decode())
    return names


def set_max_pixels(max_pixels):
    """Process-wide limit on width * height of every image upres allocates or accepts."""
    _check(lib.upres_set_max_pixels(max_pixels))


def get_max_pixels():
    return lib.upres_get_max_pixels()


def required_bytes(width, height, channels, dtype):
    out = c_uint64()
    _check(lib.upres_image_required_bytes(width, height, channels, _sample_type(dtype), byref(out)))
    return out.value


def _sample_type(dtype):
    dtype = np.dtype(dtype)
    if dtype not in _DTYPES:
        raise UpresError(_native.E_INVALID_ARGUMENT, f"dtype {dtype} is not uint8, uint16 or float32")
    return _DTYPES[dtype]


# ------------------------------------------------------------------ images


def _view(array, writable=False, flags=0):
    """An upres_image over a numpy array's own memory (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"an image must be a numpy array, not {type(array).__name__}")
    if array.ndim == 2:
        height, width = array.shape
        channels = 1
        pixel_stride, channel_stride = array.strides[1], array.itemsize
    elif array.ndim == 3:
        height, width, channels = array.shape
        pixel_stride, channel_stride = array.strides[1], array.strides[2]
    else:
        raise UpresError(_native.E_INVALID_ARGUMENT, f"an image has shape (H, W) or (H, W, C), not {array.shape}")
    sample_type = _sample_type(array.dtype)
    if not array.dtype.isnative:
        raise UpresError(_native.E_INVALID_ARGUMENT, "samples must be in native byte order")
    if not 1 <= channels <= 4:
        raise UpresError(_native.E_INVALID_ARGUMENT, f"an image has 1 to 4 channels, not {channels}")
    if height == 0 or width == 0:
        raise UpresError(_native.E_INVALID_ARGUMENT, f"an image cannot be empty ({array.shape})")
    row_stride = array.strides[0]
    if (channel_stride != array.itemsize or pixel_stride != channels * array.itemsize
            or (height > 1 and row_stride < width * pixel_stride)):
        raise UpresError(_native.E_INVALID_ARGUMENT,
                         f"rows must be contiguous and positive-strided (strides {array.strides}); "
                         "use numpy.ascontiguousarray")
    if writable and not array.flags.writeable:
        raise UpresError(_native.E_INVALID_ARGUMENT, "the destination array is read-only")
    image = _native.upres_image()
    image.struct_size = ctypes.sizeof(_native.upres_image)
    image.width, image.height, image.channels = width, height, channels
    image.sample_type = sample_type
    image.flags = flags
    image.stride_bytes = row_stride if height > 1 else width * pixel_stride
    image.data = array.ctypes.data
    return image


class _Bitmap:
    """Owns an upres_bitmap; numpy arrays made from it keep it alive (through .base)."""

    def __init__(self, handle):
        self._handle = c_void_p(handle)
        view = _native.upres_image()
        view.struct_size = ctypes.sizeof(_native.upres_image)
        status = lib.upres_bitmap_view(self._handle, byref(view))
        if status != _native.OK:
            error = _error(status)
            lib.upres_bitmap_destroy(self._handle)
            self._handle = None
            raise error
        dtype = _SAMPLE_DTYPES[view.sample_type]
        shape = (view.height, view.width, view.channels)
        strides = (view.stride_bytes, view.channels * dtype.itemsize, dtype.itemsize)
        self.__array_interface__ = {
            "version": 3,
            "shape": shape,
            "typestr": dtype.str,
            "strides": strides,
            "data": (view.data, False),
        }
        self.layout = (view.data, shape, strides, dtype)  # what a whole-bitmap array looks like

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            lib.upres_bitmap_destroy(self._handle)
            self._handle = None


def _take_bitmap(handle):
    return np.asarray(_Bitmap(handle.value))


_METADATA_KINDS = {"icc": _native.METADATA_ICC, "exif": _native.METADATA_EXIF, "xmp": _native.METADATA_XMP,
                   "iptc": _native.METADATA_IPTC}


def _metadata_kind(kind):
    """A kind by name ("icc", "exif", "xmp", "iptc") or METADATA_* value (checked by the library)."""
    if isinstance(kind, str):
        if kind.lower() not in _METADATA_KINDS:
            raise UpresError(_native.E_INVALID_ARGUMENT,
                             f"metadata kind {kind!r} is not one of {', '.join(_METADATA_KINDS)}")
        return _METADATA_KINDS[kind.lower()]
    return int(kind)


class Bitmap(np.ndarray):
    """An (H, W, C) numpy array over pixels the library owns (what load_file returns), carrying the
    metadata upres keeps with them: .icc, .exif, .xmp, .iptc (bytes, b"" when absent; assign bytes
    to replace a block, b"" or None to remove it) and .orientation (the EXIF orientation 1..8 the
    pixels still need: 1 unless loaded with auto_orient=0). save_file writes them.

    Views of a Bitmap (slices, crops) share its metadata; Bitmap.from_array copies any array into
    a new Bitmap without metadata (copy_metadata_from gives it another's)."""

    def __array_finalize__(self, obj):
        self._owner = getattr(obj, "_owner", None)

    @classmethod
    def _wrap(cls, handle):
        owner = _Bitmap(handle.value)
        array = np.asarray(owner).view(cls)
        array._owner = owner
        return array

    @classmethod
    def from_array(cls, array):
        """A new Bitmap (no metadata) holding a copy of an image array ((H, W) gray gives (H, W, 1))."""
        view = _view(array)
        handle = c_void_p()
        _check(lib.upres_bitmap_create(view.width, view.height, view.channels, view.sample_type, byref(handle)))
        bitmap = cls._wrap(handle)
        bitmap.view(np.ndarray)[...] = array if array.ndim == 3 else array[:, :, None]
        return bitmap

    def _handle(self):
        if self._owner is None:
            raise UpresError(_native.E_INVALID_ARGUMENT,
                             "this array is not over an upres bitmap (make one with Bitmap.from_array)")
        return self._owner._handle

    def _is_whole(self):
        """True when this array is exactly its bitmap's pixels (not a view of part of them)."""
        if self._owner is None:
            return False
        data, shape, strides, dtype = self._owner.layout
        return (self.__array_interface__["data"][0] == data and self.shape == shape and self.strides == strides
                and self.dtype == dtype)

    def metadata(self, kind):
        """The block of one kind ("icc", "exif", "xmp", "iptc" or METADATA_*) as bytes, b"" when absent."""
        data, size = c_void_p(), c_size_t()
        _check(lib.upres_bitmap_metadata(self._handle(), _metadata_kind(kind), byref(data), byref(size)))
        return ctypes.string_at(data.value, size.value) if size.value else b""

    def set_metadata(self, kind, data):
        """Replaces the block of one kind with a copy of data (bytes-like); b"" or None removes it."""
        kind = _metadata_kind(kind)
        data = bytes(data) if data is not None else b""
        _check(lib.upres_bitmap_set_metadata(self._handle(), kind, data if data else None, len(data)))

    def copy_metadata_from(self, other):
        """Gives this bitmap every metadata block and the orientation of another Bitmap."""
        if not isinstance(other, Bitmap):
            raise TypeError(f"metadata comes from a Bitmap, not {type(other).__name__}")
        _check(lib.upres_bitmap_copy_metadata(self._handle(), other._handle()))

    @property
    def orientation(self):
        out = c_int32()
        _check(lib.upres_bitmap_orientation(self._handle(), byref(out)))
        return out.value

    @orientation.setter
    def orientation(self, value):
        _check(lib.upres_bitmap_set_orientation(self._handle(), int(value)))

    icc = property(lambda self: self.metadata("icc"), lambda self, v: self.set_metadata("icc", v),
                   doc="The ICC colour profile the pixels are encoded in (bytes, b\"\" when absent).")
    exif = property(lambda self: self.metadata("exif"), lambda self, v: self.set_metadata("exif", v),
                    doc="EXIF from its TIFF header on (no \"Exif\\0\\0\" prefix), b\"\" when absent.")
    xmp = property(lambda self: self.metadata("xmp"), lambda self, v: self.set_metadata("xmp", v),
                   doc="The XMP packet (bytes), b\"\" when absent.")
    iptc = property(lambda self: self.metadata("iptc"), lambda self, v: self.set_metadata("iptc", v),
                    doc="IPTC-IIM records (bytes), b\"\" when absent.")


# ----------------------------------------------------------------- options


class Options:
    """Named, typed settings (upres_option_table() lists them). Build on one thread."""

    def __init__(self, **values):
        handle = c_void_p()
        _check(lib.upres_options_create(byref(handle)))
        self._handle = handle
        for name, value in values.items():
            self.set(name, value)

    def set(self, name, value):
        """Sets by the Python type: int -> integer option, float -> real, str -> string."""
        key = _text(name, "option name")
        if isinstance(value, (bool, int, np.integer)):
            _check(lib.upres_options_set_int(self._handle, key, int(value)))
        elif isinstance(value, (float, np.floating)):
            _check(lib.upres_options_set_double(self._handle, key, float(value)))
        else:
            _check(lib.upres_options_set_string(self._handle, key, _text(value, f"option {name}")))
        return self

    def set_all(self, values):
        for name, value in values.items():
            self.set(name, value)
        return self

    def get_int(self, name):
        out = c_int64()
        _check(lib.upres_options_get_int(self._handle, _text(name, "option name"), byref(out)))
        return out.value

    def get_double(self, name):
        out = c_double()
        _check(lib.upres_options_get_double(self._handle, _text(name, "option name"), byref(out)))
        return out.value

    def get_string(self, name):
        key, length = _text(name, "option name"), c_size_t()
        _check(lib.upres_options_get_string(self._handle, key, None, 0, byref(length)))
        buffer = ctypes.create_string_buffer(length.value + 1)
        _check(lib.upres_options_get_string(self._handle, key, buffer, len(buffer), byref(length)))
        return buffer.value.decode()

    def clone(self):
        copy = Options.__new__(Options)
        handle = c_void_p()
        _check(lib.upres_options_clone(self._handle, byref(handle)))
        copy._handle = handle
        return copy

    def close(self):
        if getattr(self, "_handle", None) is not None:
            lib.upres_options_destroy(self._handle)
            self._handle = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _options_handle(options):
    """None, an Options, or a dict of values -> (handle or None, object to keep alive)."""
    if options is None:
        return None, None
    if isinstance(options, dict):
        options = Options(**options)
    if not isinstance(options, Options):
        raise TypeError("options must be an Options or a dict")
    return options._handle, options


OptionInfo = namedtuple("OptionInfo", "name type min max help")


def option_table():
    """Every option: name, type ("int", "double", "string"), bounds and help."""
    kinds = {_native.OPTION_INT: "int", _native.OPTION_DOUBLE: "double", _native.OPTION_STRING: "string"}
    table = []
    count = c_int32()
    _check(lib.upres_option_count(byref(count)))
    for i in range(count.value):
        name, help_, kind, lo, hi = c_char_p(), c_char_p(), c_int32(), c_double(), c_double()
        _check(lib.upres_option_describe(i, byref(name), byref(kind), byref(lo), byref(hi), byref(help_)))
        table.append(OptionInfo(name.value.decode(), kinds.get(kind.value, "?"), lo.value, hi.value,
                                (help_.value or b"").decode()))
    return table


# ------------------------------------------------------------- resampling


class CancelToken:
    """Cancels runs from any thread; runs sharing it stop at their next check."""

    def __init__(self):
        handle = c_void_p()
        _check(lib.upres_cancel_token_create(byref(handle)))
        self._handle = handle

    def cancel(self):
        _check(lib.upres_cancel_token_cancel(self._handle))

    def reset(self):
        _check(lib.upres_cancel_token_reset(self._handle))

    @property
    def cancelled(self):
        out = c_int32()
        _check(lib.upres_cancel_token_is_cancelled(self._handle, byref(out)))
        return bool(out.value)

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            lib.upres_cancel_token_destroy(self._handle)
            self._handle = None


class _Progress:
    """A C progress callback around a Python callable. An exception inside it cancels the run and
    is re-raised once the library has returned (it never propagates through C)."""

    def __init__(self, fn):
        self.fn = fn
        self.error = None
        self.c_fn = _native.PROGRESS_FN(self._call) if fn is not None else _native.PROGRESS_FN()

    def _call(self, done, total, _user):
        if self.error is not None:
            return 1
        try:
            return 1 if self.fn(done, total) is False else 0
        except BaseException as e:  # noqa: B036 - stored and re-raised after the C call
            self.error = e
            return 1

    def finish(self, status):
        if self.error is not None:
            raise self.error
        _check(status)


class Resampler:
    """A classical filter ("lanczos3", "bicubic", ...) or a model ("srcnn", "esrgan", or "model"
    with the option model=PATH). Immutable: share it between threads freely."""

    def __init__(self, method, options=None, **values):
        if values:  # keyword options on top of `options`
            if options is None or isinstance(options, dict):
                options = Options(**{**(options or {}), **values})
            else:
                options = options.clone().set_all(values)
        handle_opts, _keep = _options_handle(options)
        handle = c_void_p()
        _check(lib.upres_resampler_create(_text(method, "method"), handle_opts, byref(handle)))
        self._handle = handle
        self.method = method

    @property
    def native_scale(self):
        """The native integer scale (4 for an x4 model), 0 when any size is native."""
        out = c_int32()
        _check(lib.upres_resampler_scale(self._handle, byref(out)))
        return out.value

    def resample(self, src, width, height, *, out=None, dtype=None, progress=None, cancel=None, flags=0):
        """Resamples src to width x height. Writes into `out` when given (an array of that shape,
        any supported dtype) and returns it; else returns a new array of `dtype` (default src's).
        progress(done, total) returning False cancels; cancel is a CancelToken."""
        src_view = _view(src, flags=flags)
        if out is None:
            shape = (height, width) if src.ndim == 2 else (height, width, src.shape[2])
            out = np.empty(shape, dtype=src.dtype if dtype is None else np.dtype(dtype))
        dst_view = _view(out, writable=True, flags=flags)
        if (dst_view.width, dst_view.height) != (width, height):
            raise UpresError(_native.E_INVALID_ARGUMENT,
                             f"out is {dst_view.width}x{dst_view.height}, not {width}x{height}")
        callback = _Progress(progress)
        token = cancel._handle if cancel is not None else None
        status = lib.upres_resample(self._handle, byref(src_view), byref(dst_view), callback.c_fn, None, token)
        callback.finish(status)
        return out

    def upscale(self, src, factor, **kwargs):
        """resample() to factor times src's width and height."""
        return self.resample(src, src.shape[1] * factor, src.shape[0] * factor, **kwargs)

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            lib.upres_resampler_destroy(self._handle)
            self._handle = None


# ------------------------------------------------------------------- files


ImageInfo = namedtuple("ImageInfo", "width height channels dtype")
FileFormat = namedtuple("FileFormat", "name extensions codec read write")


def _merged(options, values):
    """`options` (None, dict or Options) with keyword options on top."""
    if not values:
        return options
    if options is None or isinstance(options, dict):
        return Options(**{**(options or {}), **values})
    return options.clone().set_all(values)


def load_file(path, options=None, **values):
    """Decodes an image file into a Bitmap, an (H, W, C) array with the file's metadata: PNG, JPEG,
    WebP, TIFF, JPEG XL, AVIF, HEIC, GIF, BMP, TGA, PSD, HDR as this build reads them (file_formats()).
    Options: max_pixels, auto_orient (default 1: EXIF orientation applied), to_srgb (1: converted
    to sRGB through the file's ICC profile)."""
    handle_opts, _keep = _options_handle(_merged(options, values))
    handle = c_void_p()
    _check(lib.upres_file_load(_text(path, "path"), handle_opts, byref(handle)))
    return Bitmap._wrap(handle)


def load_file_memory(data, options=None, **values):
    """Decodes an image file held in a bytes-like object (options as load_file)."""
    handle_opts, _keep = _options_handle(_merged(options, values))
    buffer = (ctypes.c_char * len(data)).from_buffer_copy(data) if not isinstance(data, bytes) else data
    handle = c_void_p()
    _check(lib.upres_file_load_memory(buffer, len(data), handle_opts, byref(handle)))
    return Bitmap._wrap(handle)


def probe_file(path, options=None, **values):
    """Reads only the header of an image file: width and height (after orientation unless
    auto_orient=0), channels, dtype."""
    handle_opts, _keep = _options_handle(_merged(options, values))
    info = _native.upres_image()
    info.struct_size = ctypes.sizeof(_native.upres_image)
    _check(lib.upres_file_probe(_text(path, "path"), handle_opts, byref(info)))
    return ImageInfo(info.width, info.height, info.channels, _SAMPLE_DTYPES[info.sample_type])


def check_output(path, width, height, channels, options=None, **values):
    """Raises UpresError when the format `path` names (by its extension) cannot hold an image of
    that size and channels (status E_LIMIT for WebP over 16383 pixels a side, JPEG over 65535, ...;
    E_INVALID_ARGUMENT for alpha into JPEG or an unknown extension). Call it before a long upscale."""
    handle_opts, _keep = _options_handle(_merged(options, values))
    _check(lib.upres_file_check_output(_text(path, "path"), width, height, channels, handle_opts))


def save_file(path, image, options=None, *, metadata=None, **values):
    """Writes by extension (.png, .jpg, .webp, .tif, .jxl, .avif, .bmp, .tga, .hdr as this build can:
    file_formats()); options e.g. quality=95, lossless=1, chroma_subsampling="444", progressive=1,
    tiff_compression="lzw", strip=1. Never leaves a partial file.

    A Bitmap (from load_file, or a view of one) is written with its metadata: the ICC profile is
    embedded and EXIF (with the new size and orientation), XMP and IPTC copied where the format holds
    them. metadata=BITMAP takes them from another Bitmap instead, e.g. the image a result was
    resampled from. Any other array is written as pixels alone."""
    handle_opts, _keep = _options_handle(_merged(options, values))
    key = _text(path, "path")
    source = metadata
    if source is None and isinstance(image, Bitmap) and image._owner is not None:
        source = image
    if source is None:
        _check(lib.upres_file_save_image(key, byref(_view(image)), handle_opts))
        return
    if not isinstance(source, Bitmap):
        raise TypeError(f"metadata must be a Bitmap (from load_file), not {type(source).__name__}")
    if image is source and image._is_whole():
        _check(lib.upres_file_save(key, image._handle(), handle_opts))
        return
    # Pixels that are not one whole bitmap (a crop, a resampled array): a bitmap of their own that
    # takes the source's metadata.
    copy = Bitmap.from_array(image)
    copy.copy_metadata_from(source)
    _check(lib.upres_file_save(key, copy._handle(), handle_opts))


def file_formats():
    """The file formats this build knows: FileFormat(name, extensions (tuple), codec ("libvips" or
    "stb"), read, write)."""
    n = c_int32()
    _check(lib.upres_file_format_count(byref(n)))
    formats = []
    for i in range(n.value):
        name, extensions, codec, flags = c_char_p(), c_char_p(), c_char_p(), c_int32()
        _check(lib.upres_file_format_info(i, byref(name), byref(extensions), byref(flags), byref(codec)))
        formats.append(FileFormat(name.value.decode(), tuple(extensions.value.decode().split()),
                                  (codec.value or b"").decode(), bool(flags.value & _native.FORMAT_READ),
                                  bool(flags.value & _native.FORMAT_WRITE)))
    return formats


def model_describe(path):
    """A one-line description of a model file (works without libtorch)."""
    key, length = _text(path, "path"), c_size_t()
    _check(lib.upres_model_describe(key, None, 0, byref(length)))
    buffer = ctypes.create_string_buffer(length.value + 1)
    _check(lib.upres_model_describe(key, buffer, len(buffer), byref(length)))
    return buffer.value.decode("utf-8", "replace")


def method_describe(method, options=None, **values):
    """A one-line description of a method (see methods()): what a classical filter is; for a named
    model its scale, architecture and the file found on the model search path (e.g.
    model_path=...). A named model whose file is missing raises UpresError with status
    UPRES_E_NOT_FOUND, saying where upres looked."""
    if values:  # keyword options on top of `options`, as in Resampler
        if options is None or isinstance(options, dict):
            options = Options(**{**(options or {}), **values})
        else:
            options = options.clone().set_all(values)
    handle, _keep = _options_handle(options)
    key, length = _text(method, "method"), c_size_t()
    _check(lib.upres_method_describe(key, handle, None, 0, byref(length)))
    buffer = ctypes.create_string_buffer(length.value + 1)
    _check(lib.upres_method_describe(key, handle, buffer, len(buffer), byref(length)))
    return buffer.value.decode("utf-8", "replace")


def model_convert(src_path, dst_path):
    """Reads a model in any supported format and writes it as .safetensors."""
    _check(lib.upres_model_convert(_text(src_path, "path"), _text(dst_path, "path")))


# ------------------------------------------------------------- evaluation

_METRIC_MODES = {"luma": _native.METRIC_LUMA, "all": _native.METRIC_ALL}


def _metric(fn, a, b, border, mode):
    if mode not in _METRIC_MODES:
        raise UpresError(_native.E_INVALID_ARGUMENT, f"mode must be 'luma' or 'all', not {mode!r}")
    out = c_double()
    _check(fn(byref(_view(a)), byref(_view(b)), border, _METRIC_MODES[mode], byref(out)))
    return out.value


def psnr(a, b, border=0, mode="luma"):
    """PSNR in dB (peak 255) after cropping `border` pixels; inf for identical images."""
    return _metric(lib.upres_psnr, a, b, border, mode)


def ssim(a, b, border=0, mode="luma"):
    """SSIM (11x11 Gaussian window, sigma 1.5) after cropping `border` pixels."""
    return _metric(lib.upres_ssim, a, b, border, mode)


def degrade(src, pipeline, seed=0):
    """Degrades src by e.g. "blur:0.2-3; down:4; noise:1-25; jpeg:30-95" (same seed, same result)."""
    handle = c_void_p()
    _check(lib.upres_degrade(byref(_view(src)), _text(pipeline, "pipeline"), seed, byref(handle)))
    result = _take_bitmap(handle)
    return result[:, :, 0] if src.ndim == 2 else result

