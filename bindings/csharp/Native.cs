// The upres C ABI (include/upres/upres.h) as P/Invoke declarations. Blittable signatures only:
// handles are SafeHandles, strings go in as NUL-terminated UTF-8 byte arrays and come out as
// IntPtr, the one public struct is declared with its C layout (checked against C by the tests).
using System;
using System.Runtime.InteropServices;

namespace Upres
{
    /// <summary>upres_image: a view of pixels. Layout fixed by the C ABI.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeImage
    {
        public uint StructSize;
        public int Width;
        public int Height;
        public int Channels;
        public int SampleType;
        public uint Flags;
        public long StrideBytes;
        public IntPtr Data;

        public static NativeImage Empty()
        {
            return new NativeImage { StructSize = (uint)Marshal.SizeOf(typeof(NativeImage)) };
        }

        /// <summary>A tightly packed descriptor of pixels at data, filled by C (upres_image_init):
        /// for memory the binding does not own (another native library's buffer). Managed arrays
        /// go through Image instead, which pins them for each call.</summary>
        public static NativeImage Packed(int width, int height, int channels, SampleType type, IntPtr data)
        {
            NativeImage image = Empty();
            Util.Check(Native.upres_image_init(ref image, width, height, channels, (int)type, data));
            return image;
        }
    }

    /// <summary>A handle whose zero value means "none"; released with its upres_*_destroy.</summary>
    public abstract class UpresHandle : SafeHandle
    {
        protected UpresHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
    }

    public sealed class BitmapHandle : UpresHandle
    {
        protected override bool ReleaseHandle() { Native.upres_bitmap_destroy(handle); return true; }
    }

    public sealed class OptionsHandle : UpresHandle
    {
        /// <summary>Passed for "no options" (NULL in C); owns nothing.</summary>
        internal static readonly OptionsHandle None = new OptionsHandle();
        protected override bool ReleaseHandle() { Native.upres_options_destroy(handle); return true; }
    }

    public sealed class ResamplerHandle : UpresHandle
    {
        protected override bool ReleaseHandle() { Native.upres_resampler_destroy(handle); return true; }
    }

    public sealed class CancelTokenHandle : UpresHandle
    {
        internal static readonly CancelTokenHandle None = new CancelTokenHandle();
        protected override bool ReleaseHandle() { Native.upres_cancel_token_destroy(handle); return true; }
    }

    internal static class Native
    {
        private const string Lib = "upres";
        private const CallingConvention Cdecl = CallingConvention.Cdecl;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int ProgressFn(ulong done, ulong total, IntPtr userData);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint upres_version();
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr upres_version_string();
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr upres_last_error();
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr upres_status_name(int status);

        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_image_init(ref NativeImage image, int width, int height, int channels, int sampleType, IntPtr data);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_image_required_bytes(int width, int height, int channels, int sampleType, out ulong bytes);

        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_bitmap_create(int width, int height, int channels, int sampleType, out BitmapHandle bitmap);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_bitmap_view(BitmapHandle bitmap, ref NativeImage view);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void upres_bitmap_destroy(IntPtr bitmap);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_bitmap_metadata(BitmapHandle bitmap, int kind, out IntPtr data, out UIntPtr size);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_bitmap_set_metadata(BitmapHandle bitmap, int kind, byte[] data, UIntPtr size);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_bitmap_orientation(BitmapHandle bitmap, out int orientation);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_bitmap_set_orientation(BitmapHandle bitmap, int orientation);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_bitmap_copy_metadata(BitmapHandle dst, BitmapHandle src);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_set_max_pixels(ulong maxPixels);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern ulong upres_get_max_pixels();

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_options_create(out OptionsHandle options);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_options_clone(OptionsHandle options, out OptionsHandle copy);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void upres_options_destroy(IntPtr options);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_options_set_int(OptionsHandle options, byte[] name, long value);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_options_set_double(OptionsHandle options, byte[] name, double value);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_options_set_string(OptionsHandle options, byte[] name, byte[] value);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_options_get_int(OptionsHandle options, byte[] name, out long value);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_options_get_double(OptionsHandle options, byte[] name, out double value);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_options_get_string(OptionsHandle options, byte[] name, byte[] buffer, UIntPtr capacity, out UIntPtr length);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_option_count(out int count);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_option_describe(int index, out IntPtr name, out int type, out double min, out double max, out IntPtr help);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_method_count(out int count);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_method_name(int index, out IntPtr name);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_resampler_create(byte[] method, OptionsHandle options, out ResamplerHandle resampler);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void upres_resampler_destroy(IntPtr resampler);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_resampler_scale(ResamplerHandle resampler, out int scale);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_cuda_device_count(out int count);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_architecture_count(out int count);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_architecture_info(int index, out IntPtr name, out IntPtr title);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_resample(ResamplerHandle resampler, ref NativeImage src, ref NativeImage dst,
                                                  ProgressFn progress, IntPtr userData, CancelTokenHandle cancel);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_resample_new(ResamplerHandle resampler, ref NativeImage src, int width, int height,
                                                      ProgressFn progress, IntPtr userData, CancelTokenHandle cancel, out BitmapHandle bitmap);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_cancel_token_create(out CancelTokenHandle token);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void upres_cancel_token_destroy(IntPtr token);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_cancel_token_cancel(CancelTokenHandle token);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_cancel_token_reset(CancelTokenHandle token);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_cancel_token_is_cancelled(CancelTokenHandle token, out int cancelled);

        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_model_describe(byte[] path, byte[] buffer, UIntPtr capacity, out UIntPtr length);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_method_describe(byte[] method, OptionsHandle options, byte[] buffer, UIntPtr capacity, out UIntPtr length);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_model_convert(byte[] srcPath, byte[] dstPath);

        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_psnr(ref NativeImage a, ref NativeImage b, int border, int channelsMode, out double db);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_ssim(ref NativeImage a, ref NativeImage b, int border, int channelsMode, out double ssim);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_degrade(ref NativeImage src, byte[] pipeline, ulong seed, out BitmapHandle bitmap);

        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_file_load(byte[] path, OptionsHandle options, out BitmapHandle bitmap);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_file_load_memory(byte[] data, UIntPtr size, OptionsHandle options, out BitmapHandle bitmap);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_file_probe(byte[] path, OptionsHandle options, ref NativeImage info);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_file_check_output(byte[] path, int width, int height, int channels, OptionsHandle options);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_file_save(byte[] path, BitmapHandle bitmap, OptionsHandle options);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_file_save_image(byte[] path, ref NativeImage image, OptionsHandle options);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int upres_file_format_count(out int count);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern int upres_file_format_info(int index, out IntPtr name, out IntPtr extensions, out int flags, out IntPtr codec);
    }
}
