// Tests of the C# binding: struct layout and constants against C, byte identity with the C API's
// outputs (bindings/reference/abi_reference.c), errors, progress, cancellation and threads.
// Exit code 1 when any check fails. Env: UPRES_REFERENCE_DIR, UPRES_SAMPLE_IMAGE.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using Upres;

static class UpresTests
{
    static int failures, checks;
    static string referenceDir = Environment.GetEnvironmentVariable("UPRES_REFERENCE_DIR");
    static string sample = Environment.GetEnvironmentVariable("UPRES_SAMPLE_IMAGE") ?? "assets/sample.png";

    static void Check(bool ok, string what)
    {
        ++checks;
        if (!ok) { ++failures; Console.Error.WriteLine("FAILED: " + what); }
    }

    static void Equal<T>(T expected, T actual, string what)
    {
        Check(EqualityComparer<T>.Default.Equals(expected, actual), what + ": expected " + expected + ", got " + actual);
    }

    static UpresException Throws(Action action, string what)
    {
        try { action(); }
        catch (UpresException e) { return e; }
        Check(false, what + ": no UpresException");
        return null;
    }

    static Dictionary<string, string> Pairs(string name)
    {
        return File.ReadAllLines(Path.Combine(referenceDir, name)).Where(l => l.Contains(' '))
                   .ToDictionary(l => l.Substring(0, l.IndexOf(' ')), l => l.Substring(l.IndexOf(' ') + 1));
    }

    static bool SameBytes(byte[] a, byte[] b) { return a.Length == b.Length && a.SequenceEqual(b); }

    static Options BicubicOptions() { return new Options().Set("edge", "reflect").Set("cubic_a", -0.75).Set("threads", 2); }

    static void AgreesWithC()
    {
        Dictionary<string, string> c = Pairs("layout.txt");
        Type t = typeof(NativeImage);
        Equal(c["sizeof.upres_image"], Marshal.SizeOf(t).ToString(), "sizeof(upres_image)");
        string[,] fields = {
            { "struct_size", "StructSize" }, { "width", "Width" }, { "height", "Height" }, { "channels", "Channels" },
            { "sample_type", "SampleType" }, { "flags", "Flags" }, { "stride_bytes", "StrideBytes" }, { "data", "Data" } };
        for (int i = 0; i < fields.GetLength(0); ++i)
            Equal(c["offsetof.upres_image." + fields[i, 0]], Marshal.OffsetOf(t, fields[i, 1]).ToString(), "offsetof " + fields[i, 0]);
        Equal(fields.GetLength(0), c.Keys.Count(k => k.StartsWith("offsetof.")), "every C field is checked");

        var constants = new Dictionary<string, long> {
            { "UPRES_OK", (long)Status.Ok }, { "UPRES_E_INVALID_ARGUMENT", (long)Status.InvalidArgument },
            { "UPRES_E_UNSUPPORTED", (long)Status.Unsupported }, { "UPRES_E_IO", (long)Status.Io },
            { "UPRES_E_FORMAT", (long)Status.Format }, { "UPRES_E_MODEL", (long)Status.Model },
            { "UPRES_E_OUT_OF_MEMORY", (long)Status.OutOfMemory }, { "UPRES_E_CANCELLED", (long)Status.Cancelled },
            { "UPRES_E_LIMIT", (long)Status.Limit }, { "UPRES_E_NOT_FOUND", (long)Status.NotFound },
            { "UPRES_E_INTERNAL", (long)Status.Internal },
            { "UPRES_SAMPLE_U8", (long)SampleType.U8 }, { "UPRES_SAMPLE_U16", (long)SampleType.U16 }, { "UPRES_SAMPLE_F32", (long)SampleType.F32 },
            { "UPRES_IMAGE_PREMULTIPLIED", (long)ImageFlags.Premultiplied }, { "UPRES_IMAGE_SRGB", (long)ImageFlags.Srgb },
            { "UPRES_METRIC_LUMA", (long)Metric.Luma }, { "UPRES_METRIC_ALL", (long)Metric.All },
            { "UPRES_OPTION_INT", 1 }, { "UPRES_OPTION_DOUBLE", 2 }, { "UPRES_OPTION_STRING", 3 },
            { "UPRES_METADATA_ICC", (long)MetadataKind.Icc }, { "UPRES_METADATA_EXIF", (long)MetadataKind.Exif },
            { "UPRES_METADATA_XMP", (long)MetadataKind.Xmp }, { "UPRES_METADATA_IPTC", (long)MetadataKind.Iptc },
            { "UPRES_FORMAT_READ", (long)FormatFlags.Read }, { "UPRES_FORMAT_WRITE", (long)FormatFlags.Write } };
        foreach (var kv in constants) Equal(c["const." + kv.Key], kv.Value.ToString(), kv.Key);
        Equal(constants.Count, c.Keys.Count(k => k.StartsWith("const.")), "every C constant is checked");

        Dictionary<string, string> f = Pairs("formats.txt");
        FileFormat[] formats = Library.FileFormats();
        Equal(f["format.count"], formats.Length.ToString(), "format count as in C");
        foreach (FileFormat format in formats)
        {
            string line;
            if (!f.TryGetValue("format." + format.Name, out line)) { Check(false, "formats.txt lacks " + format.Name); continue; }
            string[] parts = line.Split(new[] { ' ' }, 3);
            int flags = (format.CanRead ? (int)FormatFlags.Read : 0) | (format.CanWrite ? (int)FormatFlags.Write : 0);
            Equal(parts[0], flags.ToString(), format.Name + " flags as in C");
            Equal(parts[1], format.Codec, format.Name + " codec as in C");
            Equal(parts[2], string.Join(" ", format.Extensions), format.Name + " extensions as in C");
        }

        using (Bitmap src = Library.LoadFile(sample))
        using (Resampler lanczos = new Resampler("lanczos3"))
        using (Bitmap big = lanczos.Resample(src, src.Width * 4, src.Height * 4))
        {
            Equal(800, big.Width, "x4 width");
            Check(SameBytes(File.ReadAllBytes(Path.Combine(referenceDir, "lanczos3_x4.raw")), big.ToBytes()), "lanczos3 x4 byte-identical to C");
        }

        using (Bitmap src = Library.LoadFile(sample))
        using (Options options = BicubicOptions())
        using (Resampler bicubic = new Resampler("bicubic", options))
        {
            Image f32 = Image.Create(150, 130, 3, SampleType.F32);
            bicubic.Run(src, f32);
            byte[] bytes = new byte[Buffer.ByteLength(f32.Data)];
            Buffer.BlockCopy(f32.Data, 0, bytes, 0, bytes.Length);
            Check(SameBytes(File.ReadAllBytes(Path.Combine(referenceDir, "bicubic_f32.raw")), bytes), "bicubic f32 byte-identical to C");

            // A padded destination: rows 7 floats longer, padding untouched.
            int stride = 150 * 3 + 7;
            float[] padded = Enumerable.Repeat(-1f, stride * 130).ToArray();
            bicubic.Run(src, new Image(padded, 150, 130, 3, stride * 4));
            float[] packed = (float[])f32.Data;
            bool same = true, untouched = true;
            for (int y = 0; y < 130; ++y)
                for (int x = 0; x < stride; ++x)
                    if (x < 450) same &= padded[y * stride + x] == packed[y * 450 + x];
                    else untouched &= padded[y * stride + x] == -1f;
            Check(same && untouched, "padded destination rows equal the packed ones, padding untouched");

            Dictionary<string, string> m = Pairs("metrics.txt");
            using (Bitmap degraded = Library.Degrade(src, m["degrade.pipeline"], ulong.Parse(m["degrade.seed"])))
            using (Bitmap back = bicubic.Resample(degraded, src.Width, src.Height))
            {
                Check(SameBytes(File.ReadAllBytes(Path.Combine(referenceDir, "degrade.raw")), degraded.ToBytes()), "degrade byte-identical to C");
                Equal(double.Parse(m["psnr"], System.Globalization.CultureInfo.InvariantCulture), Library.Psnr(src, back, 4, Metric.Luma), "psnr");
                Equal(double.Parse(m["ssim"], System.Globalization.CultureInfo.InvariantCulture), Library.Ssim(src, back, 4, Metric.Luma), "ssim");
            }
        }
    }

    static void Errors()
    {
        UpresException e = Throws(() => Library.LoadFile("/nonexistent/missing-image.png"), "load missing file");
        if (e != null)
        {
            Equal(Status.Io, e.Status, "missing file status");
            Check(e.NativeMessage.Contains("missing-image.png"), "message names the file: " + e.NativeMessage);
        }
        e = Throws(() => Library.LoadFile(new byte[] { 1, 2, 3, 4 }), "load garbage bytes");
        if (e != null) Equal(Status.Format, e.Status, "garbage status");
        e = Throws(() => new Options().Set("threads", -3), "bad option value");
        if (e != null) Check(e.Status == Status.InvalidArgument && e.NativeMessage.Contains("threads"), "bad option: " + e.Message);
        e = Throws(() => new Resampler("no-such-method"), "unknown method");
        if (e != null) Check(e.NativeMessage.Contains("no-such-method"), "unknown method named: " + e.Message);
        Throws(() => new Image(new byte[47], 4, 4, 3), "array one byte short");
        using (Resampler r = new Resampler("bilinear"))
            Throws(() => r.Run(Image.Create(4, 4, 3, SampleType.U8), Image.Create(8, 8, 1, SampleType.U8)), "channel mismatch");
        ulong old = Library.MaxPixels;
        Library.MaxPixels = 1000;
        e = Throws(() => Bitmap.Create(100, 100, 3, SampleType.U8), "over the pixel limit");
        Library.MaxPixels = old;
        if (e != null) Equal(Status.Limit, e.Status, "limit status");
    }

    static void Cancellation()
    {
        using (Bitmap src = Library.LoadFile(sample))
        using (Resampler lanczos = new Resampler("lanczos3"))
        using (CancelToken token = new CancelToken())
        {
            int w = src.Width * 4, h = src.Height * 4;
            token.Cancel();
            Check(token.IsCancelled, "token reports cancelled");
            Check(Throws(() => lanczos.Resample(src, w, h, null, token), "cancelled token") is CancelledException, "CancelledException");
            token.Reset();
            lanczos.Resample(src, w, h, null, token).Dispose();

            int calls = 0; ulong lastDone = 0, lastTotal = 0;
            lanczos.Resample(src, w, h, (done, total) => { ++calls; lastDone = done; lastTotal = total; return true; }).Dispose();
            Check(calls > 0 && lastDone == lastTotal && lastTotal > 0, "progress reported to the end");
            Check(Throws(() => lanczos.Resample(src, w, h, (d, t) => false), "progress says stop") is CancelledException, "stop by callback");

            bool rethrown = false;
            try { lanczos.Resample(src, w, h, (d, t) => { throw new InvalidTimeZoneException("from the callback"); }); }
            catch (InvalidTimeZoneException) { rethrown = true; }
            Check(rethrown, "exception in the callback comes back out of Resample");

            // Cancel from another thread while the run waits in its callback.
            token.Reset();
            var started = new ManualResetEventSlim();
            var canceller = new Thread(() => { started.Wait(); token.Cancel(); });
            canceller.Start();
            Check(Throws(() => lanczos.Resample(src, w, h, (d, t) => { started.Set(); while (!token.IsCancelled) Thread.Yield(); return true; }, token),
                         "cancel from another thread") is CancelledException, "cancelled from another thread");
            canceller.Join();

            // One resampler on several threads gives the same bytes.
            byte[] expected;
            using (Bitmap one = lanczos.Resample(src, 333, 277)) expected = one.ToBytes();
            byte[][] results = new byte[3][];
            Thread[] threads = Enumerable.Range(0, 3).Select(i => new Thread(() => {
                using (Bitmap b = lanczos.Resample(src, 333, 277)) results[i] = b.ToBytes();
            })).ToArray();
            foreach (Thread t in threads) t.Start();
            foreach (Thread t in threads) t.Join();
            Check(results.All(r => r != null && SameBytes(expected, r)), "threads agree");
        }
    }

    static void FilesAndLibrary()
    {
        ushort[] pixels = Enumerable.Range(0, 6 * 5 * 4).Select(i => (ushort)(i * 541 % 65536)).ToArray();
        string path = Path.Combine(Path.GetTempPath(), "upres-cs-" + System.Diagnostics.Process.GetCurrentProcess().Id + ".png");
        try
        {
            Library.SaveFile(path, new Image(pixels, 6, 5, 4));
            NativeImage info = Library.ProbeFile(path);
            Check(info.Width == 6 && info.Height == 5 && info.Channels == 4 && info.SampleType == (int)SampleType.U16, "probe");
            using (Bitmap back = Library.LoadFile(path))
            {
                Check(((ushort[])back.ToImage().Data).SequenceEqual(pixels), "u16 PNG round trip");
                using (Bitmap fromMemory = Library.LoadFile(File.ReadAllBytes(path)))
                    Check(SameBytes(back.ToBytes(), fromMemory.ToBytes()), "load from memory");
                // A bitmap with its metadata (upres_file_save), and the pixels alone (upres_file_save_image).
                Library.SaveFile(path, back);
                using (Bitmap again = Library.LoadFile(path)) Check(SameBytes(back.ToBytes(), again.ToBytes()), "bitmap round trip");
                Library.SaveFileImage(path, back);
                using (Bitmap again = Library.LoadFile(path)) Check(SameBytes(back.ToBytes(), again.ToBytes()), "pixels-only round trip");
            }
        }
        finally { File.Delete(path); }

        string jpeg = Path.Combine(Path.GetTempPath(), "upres-cs-" + System.Diagnostics.Process.GetCurrentProcess().Id + ".jpg");
        try
        {
            using (Bitmap src = Library.LoadFile(sample))
            using (Options o = new Options().Set("quality", 80).Set("chroma_subsampling", "444"))
            {
                Library.SaveFile(jpeg, src, o);
                Equal(src.Width, Library.ProbeFile(jpeg).Width, "JPEG with quality 80 written");
            }
            UpresException bad = Throws(() => new Options().Set("jpeg_quality", 80), "jpeg_quality is gone");
            if (bad != null) Equal(Status.InvalidArgument, bad.Status, "jpeg_quality refused");
        }
        finally { File.Delete(jpeg); }

        Check(Library.Methods().Contains("lanczos3"), "methods list lanczos3");
        Check(Library.OptionTable().Any(o => o.Name == "threads" && o.Type == 1), "option table has threads (int)");
        Check(Library.OptionTable().Any(o => o.Name == "quality" && o.Type == 1 && o.Min == 0 && o.Max == 100), "option table has quality (int 0..100)");
        using (Options o = new Options())
        {
            Equal(1L, o.GetInt("auto_orient"), "auto_orient default");
            Equal("deflate", o.GetString("tiff_compression"), "tiff_compression default");
        }
        using (Options o = new Options().Set("edge", "wrap"))
        using (Options copy = o.Clone())
            Equal("wrap", copy.GetString("edge"), "clone keeps values");
        using (Options o = new Options()) Equal("clamp", o.GetString("edge"), "default edge");
        string[] v = Library.Version.Split('.');
        Equal((uint)(int.Parse(v[0]) * 10000 + int.Parse(v[1]) * 100 + int.Parse(v[2])), Library.VersionNumber, "version number");
        Equal((ulong)(5 * 3 * 4 * 4), Library.RequiredBytes(5, 3, 4, SampleType.F32), "required bytes");
        Check(Library.CudaDeviceCount >= 0, "CUDA device count");
    }

    static void Metadata()
    {
        using (Bitmap a = Bitmap.Create(4, 3, 3, SampleType.U8))
        using (Bitmap b = Bitmap.Create(2, 2, 1, SampleType.U16))
        {
            foreach (MetadataKind kind in Enum.GetValues(typeof(MetadataKind)))
                Equal(0, a.GetMetadata(kind).Length, "a new bitmap has no " + kind);
            Equal(1, a.Orientation, "a new bitmap's orientation");
            byte[] icc = { 1, 2, 0, 3 };
            a.SetMetadata(MetadataKind.Icc, icc);
            a.SetMetadata(MetadataKind.Xmp, System.Text.Encoding.UTF8.GetBytes("<x:xmpmeta/>"));
            a.Orientation = 6;
            Check(SameBytes(icc, a.GetMetadata(MetadataKind.Icc)), "ICC block read back");
            icc[0] = 99;
            Equal((byte)1, a.GetMetadata(MetadataKind.Icc)[0], "the block is a copy");
            b.CopyMetadataFrom(a);
            Check(SameBytes(a.GetMetadata(MetadataKind.Icc), b.GetMetadata(MetadataKind.Icc)), "copied ICC");
            Equal("<x:xmpmeta/>", System.Text.Encoding.UTF8.GetString(b.GetMetadata(MetadataKind.Xmp)), "copied XMP");
            Equal(6, b.Orientation, "copied orientation");
            b.SetMetadata(MetadataKind.Icc, new byte[0]);
            Equal(0, b.GetMetadata(MetadataKind.Icc).Length, "an empty block removes");
            b.SetMetadata(MetadataKind.Xmp, null);
            Equal(0, b.GetMetadata(MetadataKind.Xmp).Length, "null removes");
            Equal(4, a.GetMetadata(MetadataKind.Icc).Length, "the source keeps its block");
            UpresException e = Throws(() => a.GetMetadata((MetadataKind)5), "unknown metadata kind");
            if (e != null) Equal(Status.InvalidArgument, e.Status, "unknown kind refused");
            e = Throws(() => a.SetMetadata((MetadataKind)0, icc), "metadata kind 0");
            if (e != null) Equal(Status.InvalidArgument, e.Status, "kind 0 refused");
            e = Throws(() => { a.Orientation = 0; }, "orientation 0");
            if (e != null) Equal(Status.InvalidArgument, e.Status, "orientation 0 refused");
            e = Throws(() => { a.Orientation = 9; }, "orientation 9");
            if (e != null) Equal(Status.InvalidArgument, e.Status, "orientation 9 refused");
            Equal(6, a.Orientation, "orientation unchanged by refused values");
        }

        using (Bitmap src = Library.LoadFile(sample))
        using (Resampler bilinear = new Resampler("bilinear"))
        using (Bitmap big = bilinear.Resample(src, 300, 300))
        {
            Equal(1, src.Orientation, "loaded with auto_orient: nothing left to do");
            using (Options o = new Options().Set("auto_orient", 0))
                Equal(200, Library.ProbeFile(sample, o).Width, "probe with options");
            big.CopyMetadataFrom(src);
            string path = Path.Combine(Path.GetTempPath(), "upres-cs-meta-" + System.Diagnostics.Process.GetCurrentProcess().Id + ".png");
            try
            {
                Library.SaveFile(path, big);
                using (Bitmap back = Library.LoadFile(path)) Check(SameBytes(big.ToBytes(), back.ToBytes()), "load -> resample -> copy metadata -> save");
            }
            finally { File.Delete(path); }
        }

        bool webp = Library.FileFormats().Any(f => f.Name == "webp" && f.CanWrite);
        Library.CheckOutput("out.png", 20000, 10, 4);
        UpresException x = Throws(() => Library.CheckOutput("out.webp", 20000, 10, 3), "WebP over 16383 pixels");
        if (x != null && webp) Check(x.Status == Status.Limit && x.NativeMessage.Contains("16383"), "WebP limit: " + x.Message);
        if (x != null && !webp) Equal(Status.Unsupported, x.Status, "WebP not writable in this build");
        x = Throws(() => Library.CheckOutput("out.jpg", 70000, 10, 3), "JPEG over 65535 pixels");
        if (x != null) Check(x.Status == Status.Limit && x.NativeMessage.Contains("65535"), "JPEG limit: " + x.Message);
        x = Throws(() => Library.CheckOutput("out.jpg", 10, 10, 4), "alpha into JPEG");
        if (x != null) Equal(Status.InvalidArgument, x.Status, "alpha into JPEG refused");
        x = Throws(() => Library.CheckOutput("out.xyz", 10, 10, 3), "unknown extension");
        if (x != null) Equal(Status.InvalidArgument, x.Status, "unknown extension refused");

        FileFormat png = Library.FileFormats().FirstOrDefault(f => f.Name == "png");
        Check(png != null && png.CanRead && png.CanWrite && png.Extensions.Contains("png"), "png reads and writes");
        Check(Library.FileFormats().All(f => f.Codec == "libvips" || f.Codec == "stb"), "codecs are libvips or stb");
    }

    static void MethodDescriptions()
    {
        Check(Library.MethodDescribe("lanczos3").Length > 0, "lanczos3 is described");
        UpresException e = Throws(() => Library.MethodDescribe("no-such-method"), "describe an unknown method");
        if (e != null) Check(e.Status == Status.NotFound && e.NativeMessage.Contains("no-such-method"), "unknown method: " + e.Message);
        // The options reach C: "model" describes the file the option names, here a missing one.
        using (Options o = new Options().Set("model", "/nonexistent/missing-model.pth"))
        {
            e = Throws(() => Library.MethodDescribe("model", o), "describe a missing model file");
            if (e != null) Check(e.NativeMessage.Contains("missing-model.pth"), "missing model file named: " + e.Message);
        }
        if (referenceDir == null) return;
        Dictionary<string, string> c = Pairs("describe.txt");
        e = Throws(() => Library.MethodDescribe("no-such-method"), "describe an unknown method");
        if (e != null) Equal(c["unknown.status"], ((int)e.Status).ToString(), "unknown method status as in C");
        Check(c.ContainsKey("lanczos3"), "describe.txt has lanczos3");
        foreach (var kv in c.Where(kv => kv.Key != "unknown.status"))
            Equal(kv.Value, Library.MethodDescribe(kv.Key), "description of " + kv.Key + " as in C");
    }

    static void PackedDescriptor()
    {
        // upres_image_init's packing agrees with the C# side's own idea of a row.
        NativeImage packed = NativeImage.Packed(5, 3, 4, SampleType.U16, IntPtr.Zero);
        Equal((uint)Marshal.SizeOf(typeof(NativeImage)), packed.StructSize, "packed struct_size");
        Equal(5, packed.Width, "packed width");
        Equal((int)SampleType.U16, packed.SampleType, "packed sample type");
        Equal((long)Library.RequiredBytes(5, 1, 4, SampleType.U16), packed.StrideBytes, "packed stride is one row");
        UpresException e = Throws(() => NativeImage.Packed(5, 3, 7, SampleType.U8, IntPtr.Zero), "seven channels");
        if (e != null) Equal(Status.InvalidArgument, e.Status, "seven channels refused");
    }

    static int Main()
    {
        if (referenceDir != null) AgreesWithC();
        else Console.WriteLine("skipped the C comparisons: UPRES_REFERENCE_DIR is not set");
        Errors();
        Cancellation();
        FilesAndLibrary();
        Metadata();
        MethodDescriptions();
        PackedDescriptor();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Console.WriteLine("csharp: " + (checks - failures) + "/" + checks + " checks passed");
        return failures == 0 ? 0 : 1;  // a count could wrap to 0 as an exit status
    }
}
