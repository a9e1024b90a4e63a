// upres for C#: a safe API over the C ABI (Native.cs). Handles are SafeHandles, released by
// Dispose or the finalizer; failures throw UpresException with the library's status and message;
// managed pixel arrays are pinned only for the duration of a call. Written for Mono and .NET 6+.
using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Upres
{
    public enum Status
    {
        Ok = 0, InvalidArgument = 1, Unsupported = 2, Io = 3, Format = 4, Model = 5,
        OutOfMemory = 6, Cancelled = 7, Limit = 8, NotFound = 9, Internal = 99,
    }

    public enum SampleType { U8 = 1, U16 = 2, F32 = 3 }

    [Flags]
    public enum ImageFlags : uint { None = 0, Premultiplied = 0x1, Srgb = 0x2 }

    public enum Metric { Luma = 1, All = 2 }

    /// <summary>The metadata blocks a Bitmap carries from file to file (UPRES_METADATA_*).</summary>
    public enum MetadataKind
    {
        /// <summary>The ICC colour profile the pixels are encoded in.</summary>
        Icc = 1,
        /// <summary>EXIF, from its TIFF header on (no "Exif\0\0" prefix).</summary>
        Exif = 2,
        /// <summary>The XMP packet.</summary>
        Xmp = 3,
        /// <summary>IPTC-IIM records.</summary>
        Iptc = 4,
    }

    /// <summary>What this build can do with a file format (UPRES_FORMAT_*).</summary>
    [Flags]
    public enum FormatFlags { None = 0, Read = 1, Write = 2 }

    /// <summary>A file format this build knows (upres_file_format_info).</summary>
    public sealed class FileFormat
    {
        public string Name;
        /// <summary>The file extensions that name it, without dots ("jpg", "jpeg", ...).</summary>
        public string[] Extensions;
        /// <summary>The library that reads it (else writes it): "libvips" or "stb".</summary>
        public string Codec;
        public bool CanRead;
        public bool CanWrite;
    }

    /// <summary>A failed upres call: the C status and upres_last_error()'s message.</summary>
    public class UpresException : Exception
    {
        public UpresException(int status, string message) : base(message + " (" + Library.StatusName(status) + ")")
        {
            StatusCode = status;
            NativeMessage = message;
        }
        public int StatusCode { get; private set; }
        public Status Status { get { return (Status)StatusCode; } }
        public string NativeMessage { get; private set; }
    }

    /// <summary>The run was cancelled by a token or by the progress callback.</summary>
    public sealed class CancelledException : UpresException
    {
        public CancelledException(string message) : base((int)Status.Cancelled, message) { }
    }

    internal static class Util
    {
        // The message is per thread and valid until the next upres call here: read it at once.
        internal static void Check(int status)
        {
            if (status == 0) return;
            string message = Utf8(Native.upres_last_error());
            if (status == (int)Status.Cancelled) throw new CancelledException(message);
            throw new UpresException(status, message);
        }

        internal static byte[] CString(string value, string what)
        {
            if (value == null) throw new ArgumentNullException(what);
            if (value.IndexOf('\0') >= 0) throw new UpresException((int)Status.InvalidArgument, what + " contains a NUL character");
            byte[] bytes = Encoding.UTF8.GetBytes(value);
            Array.Resize(ref bytes, bytes.Length + 1);
            return bytes;
        }

        internal static string Utf8(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) ++n;
            byte[] bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes);
        }

        internal static string FromBuffer(byte[] buffer, ulong length)
        {
            return Encoding.UTF8.GetString(buffer, 0, (int)Math.Min(length, (ulong)buffer.Length - 1));
        }

        internal static int SampleSize(SampleType t) { return t == SampleType.U8 ? 1 : t == SampleType.U16 ? 2 : 4; }
    }

    /// <summary>Something upres can read pixels from: a managed Image or a library-owned Bitmap.</summary>
    public abstract class ImageSource
    {
        internal ImageSource() { }
        /// <summary>Makes the pixels addressable for one call; dispose the pin after it.</summary>
        internal abstract Pin Acquire();
    }

    /// <summary>A descriptor valid while the pin lives (GCHandle or SafeHandle reference).</summary>
    internal sealed class Pin : IDisposable
    {
        internal NativeImage View;
        private GCHandle array;
        private SafeHandle owner;

        internal Pin(NativeImage view, GCHandle array, SafeHandle owner) { View = view; this.array = array; this.owner = owner; }

        public void Dispose()
        {
            if (array.IsAllocated) array.Free();
            if (owner != null) { owner.DangerousRelease(); owner = null; }
        }
    }

    /// <summary>Pixels in a managed array (byte[], ushort[] or float[]): rows of Width * Channels
    /// samples, StrideBytes apart. Pinned only during a call.</summary>
    public sealed class Image : ImageSource
    {
        public Array Data { get; private set; }
        public int Width { get; private set; }
        public int Height { get; private set; }
        public int Channels { get; private set; }
        public SampleType SampleType { get; private set; }
        public long StrideBytes { get; private set; }
        public ImageFlags Flags { get; set; }

        private Image(Array data, SampleType type, int width, int height, int channels, long strideBytes)
        {
            if (data == null) throw new ArgumentNullException("data");
            if (width <= 0 || height <= 0) throw new UpresException((int)Status.InvalidArgument, "image: width and height must be positive");
            if (channels < 1 || channels > 4) throw new UpresException((int)Status.InvalidArgument, "image: channels must be 1 to 4");
            int size = Util.SampleSize(type);
            long row = (long)width * channels * size;
            if (strideBytes == 0) strideBytes = row;
            if (strideBytes < row || strideBytes % size != 0)
                throw new UpresException((int)Status.InvalidArgument, "image: stride must be at least a row and a multiple of the sample size");
            long needed = (height - 1) * strideBytes + row;
            if (Buffer.ByteLength(data) < needed)
                throw new UpresException((int)Status.InvalidArgument,
                    "image " + width + "x" + height + "x" + channels + ": needs " + needed + " bytes, the array has " + Buffer.ByteLength(data));
            Data = data; SampleType = type; Width = width; Height = height; Channels = channels; StrideBytes = strideBytes;
        }

        public Image(byte[] data, int width, int height, int channels, long strideBytes = 0)
            : this(data, SampleType.U8, width, height, channels, strideBytes) { }
        public Image(ushort[] data, int width, int height, int channels, long strideBytes = 0)
            : this(data, SampleType.U16, width, height, channels, strideBytes) { }
        public Image(float[] data, int width, int height, int channels, long strideBytes = 0)
            : this(data, SampleType.F32, width, height, channels, strideBytes) { }

        /// <summary>A zeroed, tightly packed image of that shape.</summary>
        public static Image Create(int width, int height, int channels, SampleType type)
        {
            long n = checked((long)width * height * channels);
            switch (type)
            {
                case SampleType.U8: return new Image(new byte[n], width, height, channels);
                case SampleType.U16: return new Image(new ushort[n], width, height, channels);
                default: return new Image(new float[n], width, height, channels);
            }
        }

        internal override Pin Acquire()
        {
            GCHandle pinned = GCHandle.Alloc(Data, GCHandleType.Pinned);
            NativeImage view = NativeImage.Empty();
            view.Width = Width; view.Height = Height; view.Channels = Channels; view.SampleType = (int)SampleType;
            view.Flags = (uint)Flags; view.StrideBytes = StrideBytes; view.Data = pinned.AddrOfPinnedObject();
            return new Pin(view, pinned, null);
        }
    }

    /// <summary>Pixels owned by upres (decoded files, results). Dispose frees them; readers may
    /// share a bitmap between threads. A bitmap loaded from a file carries its metadata (ICC
    /// profile, EXIF, XMP, IPTC, orientation) to the file it is saved as (Library.SaveFile); a new
    /// one has none until CopyMetadataFrom or SetMetadata.</summary>
    public sealed class Bitmap : ImageSource, IDisposable
    {
        private readonly BitmapHandle handle;
        private readonly NativeImage view;

        internal Bitmap(BitmapHandle handle)
        {
            this.handle = handle;
            NativeImage v = NativeImage.Empty();
            Util.Check(Native.upres_bitmap_view(handle, ref v));
            view = v;
        }

        /// <summary>A zeroed bitmap (refused with Status.Limit above the max-pixels limit).</summary>
        public static Bitmap Create(int width, int height, int channels, SampleType type)
        {
            BitmapHandle h;
            Util.Check(Native.upres_bitmap_create(width, height, channels, (int)type, out h));
            return new Bitmap(h);
        }

        public int Width { get { return view.Width; } }
        public int Height { get { return view.Height; } }
        public int Channels { get { return view.Channels; } }
        public SampleType SampleType { get { return (SampleType)view.SampleType; } }
        public long StrideBytes { get { return view.StrideBytes; } }

        /// <summary>The pixels without row padding (native byte order).</summary>
        public byte[] ToBytes()
        {
            int row = Width * Channels * Util.SampleSize(SampleType);
            byte[] bytes = new byte[(long)row * Height];
            using (Pin pin = Acquire())
                for (int y = 0; y < Height; ++y)
                    Marshal.Copy(new IntPtr(pin.View.Data.ToInt64() + y * StrideBytes), bytes, y * row, row);
            return bytes;
        }

        /// <summary>A managed copy.</summary>
        public Image ToImage()
        {
            Image image = Image.Create(Width, Height, Channels, SampleType);
            byte[] bytes = ToBytes();
            Buffer.BlockCopy(bytes, 0, image.Data, 0, bytes.Length);
            return image;
        }

        /// <summary>A copy of the metadata block of one kind; empty when the bitmap has none.</summary>
        public byte[] GetMetadata(MetadataKind kind)
        {
            bool added = false;
            handle.DangerousAddRef(ref added);  // the block lives in the bitmap: keep it while copying
            if (!added) throw new ObjectDisposedException("Bitmap");
            try
            {
                IntPtr data; UIntPtr size;
                Util.Check(Native.upres_bitmap_metadata(handle, (int)kind, out data, out size));
                byte[] bytes = new byte[(int)size.ToUInt64()];
                if (bytes.Length > 0) Marshal.Copy(data, bytes, 0, bytes.Length);
                return bytes;
            }
            finally { handle.DangerousRelease(); }
        }

        /// <summary>Replaces the block of one kind with a copy of data (at most 64 MiB); null or
        /// empty removes it.</summary>
        public void SetMetadata(MetadataKind kind, byte[] data)
        {
            int size = data == null ? 0 : data.Length;
            Util.Check(Native.upres_bitmap_set_metadata(handle, (int)kind, size == 0 ? null : data, new UIntPtr((uint)size)));
        }

        /// <summary>The EXIF orientation (1..8) the pixels still need to be shown upright: 1 unless
        /// the file was loaded with "auto_orient" = 0. Setting anything outside 1..8 throws.</summary>
        public int Orientation
        {
            get { int o; Util.Check(Native.upres_bitmap_orientation(handle, out o)); return o; }
            set { Util.Check(Native.upres_bitmap_set_orientation(handle, value)); }
        }

        /// <summary>Gives this bitmap every metadata block and the orientation of source (a
        /// resampled copy keeps the original's).</summary>
        public void CopyMetadataFrom(Bitmap source)
        {
            if (source == null) throw new ArgumentNullException("source");
            Util.Check(Native.upres_bitmap_copy_metadata(handle, source.handle));
        }

        internal BitmapHandle Handle { get { return handle; } }

        internal override Pin Acquire()
        {
            bool added = false;
            handle.DangerousAddRef(ref added);  // the bitmap cannot be freed during the call
            if (!added) throw new ObjectDisposedException("Bitmap");
            return new Pin(view, default(GCHandle), handle);
        }

        public void Dispose() { handle.Dispose(); }
    }

    /// <summary>Named, typed settings. Build on one thread; upres copies what it takes.</summary>
    public sealed class Options : IDisposable
    {
        internal readonly OptionsHandle Handle;

        public Options() { Util.Check(Native.upres_options_create(out Handle)); }
        private Options(OptionsHandle h) { Handle = h; }

        public Options Set(string name, long value) { Util.Check(Native.upres_options_set_int(Handle, Util.CString(name, "name"), value)); return this; }
        public Options Set(string name, int value) { return Set(name, (long)value); }
        public Options Set(string name, double value) { Util.Check(Native.upres_options_set_double(Handle, Util.CString(name, "name"), value)); return this; }
        public Options Set(string name, string value)
        {
            Util.Check(Native.upres_options_set_string(Handle, Util.CString(name, "name"), Util.CString(value, "value")));
            return this;
        }

        public long GetInt(string name) { long v; Util.Check(Native.upres_options_get_int(Handle, Util.CString(name, "name"), out v)); return v; }
        public double GetDouble(string name) { double v; Util.Check(Native.upres_options_get_double(Handle, Util.CString(name, "name"), out v)); return v; }
        public string GetString(string name)
        {
            byte[] key = Util.CString(name, "name");
            UIntPtr length;
            Util.Check(Native.upres_options_get_string(Handle, key, null, UIntPtr.Zero, out length));
            byte[] buffer = new byte[(int)length.ToUInt64() + 1];
            Util.Check(Native.upres_options_get_string(Handle, key, buffer, new UIntPtr((uint)buffer.Length), out length));
            return Util.FromBuffer(buffer, length.ToUInt64());
        }

        public Options Clone() { OptionsHandle h; Util.Check(Native.upres_options_clone(Handle, out h)); return new Options(h); }
        public void Dispose() { Handle.Dispose(); }

        internal static OptionsHandle Of(Options options) { return options == null ? OptionsHandle.None : options.Handle; }
    }

    /// <summary>Cancels runs from any thread.</summary>
    public sealed class CancelToken : IDisposable
    {
        internal readonly CancelTokenHandle Handle;
        public CancelToken() { Util.Check(Native.upres_cancel_token_create(out Handle)); }
        public void Cancel() { Util.Check(Native.upres_cancel_token_cancel(Handle)); }
        public void Reset() { Util.Check(Native.upres_cancel_token_reset(Handle)); }
        public bool IsCancelled { get { int v; Util.Check(Native.upres_cancel_token_is_cancelled(Handle, out v)); return v != 0; } }
        public void Dispose() { Handle.Dispose(); }
        internal static CancelTokenHandle Of(CancelToken t) { return t == null ? CancelTokenHandle.None : t.Handle; }
    }

    /// <summary>Progress: (done, total) -> true to go on, false to cancel.</summary>
    public delegate bool Progress(ulong done, ulong total);

    /// <summary>Adapts a Progress to the C callback. An exception inside it cancels the run and
    /// is rethrown after the call: managed exceptions never cross native frames.</summary>
    internal sealed class ProgressBridge
    {
        private readonly Progress progress;
        private ExceptionDispatchInfo error;
        internal readonly Native.ProgressFn Callback;  // a field: alive as long as the bridge

        internal ProgressBridge(Progress progress)
        {
            this.progress = progress;
            Callback = progress == null ? null : new Native.ProgressFn(Call);
        }

        private int Call(ulong done, ulong total, IntPtr user)
        {
            if (error != null) return 1;
            try { return progress(done, total) ? 0 : 1; }
            catch (Exception e) { error = ExceptionDispatchInfo.Capture(e); return 1; }
        }

        internal void Finish(int status)
        {
            GC.KeepAlive(Callback);  // the delegate must outlive the native call that used it
            if (error != null) error.Throw();
            Util.Check(status);
        }
    }

    /// <summary>A configured resampler; immutable, so any number of threads may run it at once.</summary>
    public sealed class Resampler : IDisposable
    {
        private readonly ResamplerHandle handle;

        /// <summary>"lanczos3", "bicubic", ... or a model ("srcnn", "esrgan", or "model" with the
        /// option "model" naming a file). The options are copied.</summary>
        public Resampler(string method, Options options = null)
        {
            Util.Check(Native.upres_resampler_create(Util.CString(method, "method"), Options.Of(options), out handle));
        }

        public int NativeScale { get { int s; Util.Check(Native.upres_resampler_scale(handle, out s)); return s; } }

        /// <summary>Resamples src into dst (same channels; sample types may differ).</summary>
        public void Run(ImageSource src, Image dst, Progress progress = null, CancelToken cancel = null)
        {
            ProgressBridge bridge = new ProgressBridge(progress);
            int status;
            using (Pin s = src.Acquire())
            using (Pin d = dst.Acquire())
                status = Native.upres_resample(handle, ref s.View, ref d.View, bridge.Callback, IntPtr.Zero, CancelToken.Of(cancel));
            bridge.Finish(status);
        }

        /// <summary>Resamples src into a new bitmap of width x height.</summary>
        public Bitmap Resample(ImageSource src, int width, int height, Progress progress = null, CancelToken cancel = null)
        {
            ProgressBridge bridge = new ProgressBridge(progress);
            BitmapHandle result;
            int status;
            using (Pin s = src.Acquire())
                status = Native.upres_resample_new(handle, ref s.View, width, height, bridge.Callback, IntPtr.Zero,
                                                   CancelToken.Of(cancel), out result);
            bridge.Finish(status);
            return new Bitmap(result);
        }

        public void Dispose() { handle.Dispose(); }
    }

    public sealed class OptionInfo
    {
        public string Name; public int Type; public double Min; public double Max; public string Help;
    }

    /// <summary>Library-wide functions: version, methods, files, evaluation, limits.</summary>
    public static class Library
    {
        public static string Version { get { return Util.Utf8(Native.upres_version_string()); } }
        public static uint VersionNumber { get { return Native.upres_version(); } }
        /// <summary>CUDA devices models can run on (option "device": "cuda:0" .. "cuda:N-1"); 0 without CUDA.</summary>
        public static int CudaDeviceCount { get { int n; Util.Check(Native.upres_cuda_device_count(out n)); return n; } }
        public static string StatusName(int status) { return Util.Utf8(Native.upres_status_name(status)); }

        public static ulong MaxPixels
        {
            get { return Native.upres_get_max_pixels(); }
            set { Util.Check(Native.upres_set_max_pixels(value)); }
        }

        public static string[] Methods()
        {
            List<string> names = new List<string>();
            int n;
            Util.Check(Native.upres_method_count(out n));
            for (int i = 0; i < n; ++i)
            {
                IntPtr name;
                Util.Check(Native.upres_method_name(i, out name));
                names.Add(Util.Utf8(name));
            }
            return names.ToArray();
        }

        public static OptionInfo[] OptionTable()
        {
            List<OptionInfo> table = new List<OptionInfo>();
            int n;
            Util.Check(Native.upres_option_count(out n));
            for (int i = 0; i < n; ++i)
            {
                IntPtr name, help; int type; double min, max;
                Util.Check(Native.upres_option_describe(i, out name, out type, out min, out max, out help));
                table.Add(new OptionInfo { Name = Util.Utf8(name), Type = type, Min = min, Max = max, Help = Util.Utf8(help) });
            }
            return table.ToArray();
        }

        public static ulong RequiredBytes(int width, int height, int channels, SampleType type)
        {
            ulong n;
            Util.Check(Native.upres_image_required_bytes(width, height, channels, (int)type, out n));
            return n;
        }

        /// <summary>Decodes an image file into a bitmap with the file's metadata: PNG, JPEG, WebP,
        /// TIFF, JPEG XL, AVIF, HEIC, GIF, BMP, TGA, PSD, HDR as this build reads them (FileFormats).
        /// Options: "max_pixels", "auto_orient" (default 1: EXIF orientation applied), "to_srgb".</summary>
        public static Bitmap LoadFile(string path, Options options = null)
        {
            BitmapHandle h;
            Util.Check(Native.upres_file_load(Util.CString(path, "path"), Options.Of(options), out h));
            return new Bitmap(h);
        }

        /// <summary>Decodes an image file held in memory (options as LoadFile(path)).</summary>
        public static Bitmap LoadFile(byte[] file, Options options = null)
        {
            if (file == null) throw new ArgumentNullException("file");
            BitmapHandle h;
            Util.Check(Native.upres_file_load_memory(file, new UIntPtr((uint)file.Length), Options.Of(options), out h));
            return new Bitmap(h);
        }

        /// <summary>Width, height (after the EXIF orientation unless "auto_orient" is 0), channels
        /// and sample type from a file's header (Data is zero).</summary>
        public static NativeImage ProbeFile(string path, Options options = null)
        {
            NativeImage info = NativeImage.Empty();
            Util.Check(Native.upres_file_probe(Util.CString(path, "path"), Options.Of(options), ref info));
            return info;
        }

        /// <summary>Throws when the format path names (by its extension) cannot hold an image of this
        /// size and channels: Status.Limit with the format's limit in the message (WebP over 16383
        /// pixels a side, JPEG over 65535, ...), Status.InvalidArgument for alpha into JPEG or an
        /// unknown extension. Call it before a long upscale; saving checks the same.</summary>
        public static void CheckOutput(string path, int width, int height, int channels, Options options = null)
        {
            Util.Check(Native.upres_file_check_output(Util.CString(path, "path"), width, height, channels, Options.Of(options)));
        }

        /// <summary>Writes a bitmap by extension (.png, .jpg, .webp, .tif, .jxl, .avif, .bmp, .tga,
        /// .hdr as this build can) with its metadata: the ICC profile embedded, EXIF (with the new size
        /// and the orientation), XMP and IPTC where the format holds them, unless "strip" is 1.
        /// Options: "quality", "lossless", "chroma_subsampling", "progressive", "tiff_compression".
        /// Never leaves a partial file.</summary>
        public static void SaveFile(string path, Bitmap bitmap, Options options = null)
        {
            if (bitmap == null) throw new ArgumentNullException("bitmap");
            Util.Check(Native.upres_file_save(Util.CString(path, "path"), bitmap.Handle, Options.Of(options)));
        }

        /// <summary>Writes managed pixels by extension (no metadata).</summary>
        public static void SaveFile(string path, Image image, Options options = null)
        {
            SaveFileImage(path, image, options);
        }

        /// <summary>Writes the pixels of any image alone (a Bitmap without its metadata).</summary>
        public static void SaveFileImage(string path, ImageSource image, Options options = null)
        {
            if (image == null) throw new ArgumentNullException("image");
            byte[] p = Util.CString(path, "path");
            int status;
            using (Pin pin = image.Acquire())
                status = Native.upres_file_save_image(p, ref pin.View, Options.Of(options));
            Util.Check(status);
        }

        /// <summary>The file formats this build knows, with what it can do with each.</summary>
        public static FileFormat[] FileFormats()
        {
            int n;
            Util.Check(Native.upres_file_format_count(out n));
            FileFormat[] formats = new FileFormat[n];
            for (int i = 0; i < n; ++i)
            {
                IntPtr name, extensions, codec; int flags;
                Util.Check(Native.upres_file_format_info(i, out name, out extensions, out flags, out codec));
                formats[i] = new FileFormat {
                    Name = Util.Utf8(name),
                    Extensions = (Util.Utf8(extensions) ?? "").Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries),
                    Codec = Util.Utf8(codec) ?? "",
                    CanRead = (flags & (int)FormatFlags.Read) != 0,
                    CanWrite = (flags & (int)FormatFlags.Write) != 0,
                };
            }
            return formats;
        }

        public static double Psnr(ImageSource a, ImageSource b, int border = 0, Metric metric = Metric.Luma)
        {
            double v; int status;
            using (Pin pa = a.Acquire())
            using (Pin pb = b.Acquire())
                status = Native.upres_psnr(ref pa.View, ref pb.View, border, (int)metric, out v);
            Util.Check(status);
            return v;
        }

        public static double Ssim(ImageSource a, ImageSource b, int border = 0, Metric metric = Metric.Luma)
        {
            double v; int status;
            using (Pin pa = a.Acquire())
            using (Pin pb = b.Acquire())
                status = Native.upres_ssim(ref pa.View, ref pb.View, border, (int)metric, out v);
            Util.Check(status);
            return v;
        }

        /// <summary>Degrades src by e.g. "blur:0.2-3; down:4; noise:1-25; jpeg:30-95".</summary>
        public static Bitmap Degrade(ImageSource src, string pipeline, ulong seed)
        {
            byte[] p = Util.CString(pipeline, "pipeline");
            BitmapHandle h; int status;
            using (Pin pin = src.Acquire())
                status = Native.upres_degrade(ref pin.View, p, seed, out h);
            Util.Check(status);
            return new Bitmap(h);
        }

        public static string ModelDescribe(string path)
        {
            byte[] p = Util.CString(path, "path");
            UIntPtr length;
            Util.Check(Native.upres_model_describe(p, null, UIntPtr.Zero, out length));
            byte[] buffer = new byte[(int)length.ToUInt64() + 1];
            Util.Check(Native.upres_model_describe(p, buffer, new UIntPtr((uint)buffer.Length), out length));
            return Util.FromBuffer(buffer, length.ToUInt64());
        }

        /// <summary>One line about a method (see Methods()): what a classical filter is; for a named
        /// model its scale, architecture and the file found on the model search path (options may set
        /// "model_path"). A named model whose file is missing throws with Status.NotFound.</summary>
        public static string MethodDescribe(string method, Options options = null)
        {
            byte[] m = Util.CString(method, "method");
            OptionsHandle o = Options.Of(options);
            UIntPtr length;
            Util.Check(Native.upres_method_describe(m, o, null, UIntPtr.Zero, out length));
            byte[] buffer = new byte[(int)length.ToUInt64() + 1];
            Util.Check(Native.upres_method_describe(m, o, buffer, new UIntPtr((uint)buffer.Length), out length));
            return Util.FromBuffer(buffer, length.ToUInt64());
        }

        public static void ModelConvert(string srcPath, string dstPath)
        {
            Util.Check(Native.upres_model_convert(Util.CString(srcPath, "path"), Util.CString(dstPath, "path")));
        }
    }
}
