"""The C ABI through ctypes: finding libupres, the upres_image struct, and every prototype.

Search order for the library: $UPRES_LIBRARY (a file), the CMake build folder of this checkout
(build/libupres.so), then ctypes.util.find_library("upres") (an installed copy).
"""
import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint32,
                    c_uint64, c_void_p)

OK = 0
E_INVALID_ARGUMENT = 1
E_UNSUPPORTED = 2
E_IO = 3
E_FORMAT = 4
E_MODEL = 5
E_OUT_OF_MEMORY = 6
E_CANCELLED = 7
E_LIMIT = 8
E_NOT_FOUND = 9
E_INTERNAL = 99

SAMPLE_U8 = 1
SAMPLE_U16 = 2
SAMPLE_F32 = 3

IMAGE_PREMULTIPLIED = 0x1
IMAGE_SRGB = 0x2

OPTION_INT = 1
OPTION_DOUBLE = 2
OPTION_STRING = 3

METRIC_LUMA = 1
METRIC_ALL = 2

METADATA_ICC = 1
METADATA_EXIF = 2
METADATA_XMP = 3
METADATA_IPTC = 4

FORMAT_READ = 1
FORMAT_WRITE = 2


class upres_image(ctypes.Structure):
    """A view of pixels (include/upres/upres.h); layout checked against C by the tests."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("width", c_int32),
        ("height", c_int32),
        ("channels", c_int32),
        ("sample_type", c_int32),
        ("flags", c_uint32),
        ("stride_bytes", c_int64),
        ("data", c_void_p),
    ]


PROGRESS_FN = CFUNCTYPE(c_int32, c_uint64, c_uint64, c_void_p)


def _candidates():
    env = os.environ.get("UPRES_LIBRARY")
    if env:
        yield env
        return
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    yield os.path.join(root, "build", "libupres.so")
    found = ctypes.util.find_library("upres")
    if found:
        yield found


def _load():
    errors = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            errors.append(f"{path}: not found")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise ImportError("upres: cannot load libupres (set UPRES_LIBRARY to its path): " + "; ".join(errors))


lib = _load()

_img = POINTER(upres_image)
_handle = c_void_p
_out_handle = POINTER(c_void_p)

_PROTOTYPES = {
    "upres_version": (c_uint32, []),
    "upres_version_string": (c_char_p, []),
    "upres_last_error": (c_char_p, []),
    "upres_status_name": (c_char_p, [c_int32]),
    "upres_image_init": (c_int32, [_img, c_int32, c_int32, c_int32, c_int32, c_void_p]),
    "upres_image_required_bytes": (c_int32, [c_int32, c_int32, c_int32, c_int32, POINTER(c_uint64)]),
    "upres_bitmap_create": (c_int32, [c_int32, c_int32, c_int32, c_int32, _out_handle]),
    "upres_bitmap_view": (c_int32, [_handle, _img]),
    "upres_bitmap_destroy": (None, [_handle]),
    "upres_bitmap_metadata": (c_int32, [_handle, c_int32, POINTER(c_void_p), POINTER(c_size_t)]),
    "upres_bitmap_set_metadata": (c_int32, [_handle, c_int32, c_void_p, c_size_t]),
    "upres_bitmap_orientation": (c_int32, [_handle, POINTER(c_int32)]),
    "upres_bitmap_set_orientation": (c_int32, [_handle, c_int32]),
    "upres_bitmap_copy_metadata": (c_int32, [_handle, _handle]),
    "upres_set_max_pixels": (c_int32, [c_uint64]),
    "upres_get_max_pixels": (c_uint64, []),
    "upres_options_create": (c_int32, [_out_handle]),
    "upres_options_clone": (c_int32, [_handle, _out_handle]),
    "upres_options_destroy": (None, [_handle]),
    "upres_options_set_int": (c_int32, [_handle, c_char_p, c_int64]),
    "upres_options_set_double": (c_int32, [_handle, c_char_p, c_double]),
    "upres_options_set_string": (c_int32, [_handle, c_char_p, c_char_p]),
    "upres_options_get_int": (c_int32, [_handle, c_char_p, POINTER(c_int64)]),
    "upres_options_get_double": (c_int32, [_handle, c_char_p, POINTER(c_double)]),
    "upres_options_get_string": (c_int32, [_handle, c_char_p, c_void_p, c_size_t, POINTER(c_size_t)]),
    "upres_option_count": (c_int32, [POINTER(c_int32)]),
    "upres_option_describe": (c_int32, [c_int32, POINTER(c_char_p), POINTER(c_int32), POINTER(c_double),
                                        POINTER(c_double), POINTER(c_char_p)]),
    "upres_method_count": (c_int32, [POINTER(c_int32)]),
    "upres_method_name": (c_int32, [c_int32, POINTER(c_char_p)]),
    "upres_resampler_create": (c_int32, [c_char_p, _handle, _out_handle]),
    "upres_resampler_destroy": (None, [_handle]),
    "upres_resampler_scale": (c_int32, [_handle, POINTER(c_int32)]),
    "upres_cuda_device_count": (c_int32, [POINTER(c_int32)]),
    "upres_architecture_count": (c_int32, [POINTER(c_int32)]),
    "upres_architecture_info": (c_int32, [c_int32, POINTER(c_char_p), POINTER(c_char_p)]),
    "upres_resample": (c_int32, [_handle, _img, _img, PROGRESS_FN, c_void_p, _handle]),
    "upres_resample_new": (c_int32, [_handle, _img, c_int32, c_int32, PROGRESS_FN, c_void_p, _handle,
                                     _out_handle]),
    "upres_cancel_token_create": (c_int32, [_out_handle]),
    "upres_cancel_token_destroy": (None, [_handle]),
    "upres_cancel_token_cancel": (c_int32, [_handle]),
    "upres_cancel_token_reset": (c_int32, [_handle]),
    "upres_cancel_token_is_cancelled": (c_int32, [_handle, POINTER(c_int32)]),
    "upres_model_describe": (c_int32, [c_char_p, c_void_p, c_size_t, POINTER(c_size_t)]),
    "upres_method_describe": (c_int32, [c_char_p, _handle, c_void_p, c_size_t, POINTER(c_size_t)]),
    "upres_model_convert": (c_int32, [c_char_p, c_char_p]),
    "upres_psnr": (c_int32, [_img, _img, c_int32, c_int32, POINTER(c_double)]),
    "upres_ssim": (c_int32, [_img, _img, c_int32, c_int32, POINTER(c_double)]),
    "upres_degrade": (c_int32, [_img, c_char_p, c_uint64, _out_handle]),
    "upres_file_load": (c_int32, [c_char_p, _handle, _out_handle]),
    "upres_file_load_memory": (c_int32, [c_void_p, c_size_t, _handle, _out_handle]),
    "upres_file_probe": (c_int32, [c_char_p, _handle, _img]),
    "upres_file_check_output": (c_int32, [c_char_p, c_int32, c_int32, c_int32, _handle]),
    "upres_file_save": (c_int32, [c_char_p, _handle, _handle]),
    "upres_file_save_image": (c_int32, [c_char_p, _img, _handle]),
    "upres_file_format_count": (c_int32, [POINTER(c_int32)]),
    "upres_file_format_info": (c_int32, [c_int32, POINTER(c_char_p), POINTER(c_char_p), POINTER(c_int32),
                                         POINTER(c_char_p)]),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _fn = getattr(lib, _name)
    _fn.restype = _restype
    _fn.argtypes = _argtypes
