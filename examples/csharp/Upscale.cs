// The example every language repeats: load an image, upscale it x4 with lanczos3 and, when
// $UPRES_EXAMPLE_MODEL names a model file, with that model; write PNGs.
// Usage: Upscale.exe INPUT OUTPUT_PREFIX  (writes OUTPUT_PREFIX-lanczos3-x4.png, OUTPUT_PREFIX-model-x4.png)
// The input's metadata (colour profile, EXIF, XMP, IPTC) goes into the outputs.
using System;
using Upres;

static class Upscale
{
    static void Run(Resampler resampler, Bitmap image, string output)
    {
        Library.CheckOutput(output, image.Width * 4, image.Height * 4, image.Channels);
        using (Bitmap big = resampler.Resample(image, image.Width * 4, image.Height * 4))
        {
            big.CopyMetadataFrom(image);
            Library.SaveFile(output, big);
            Console.WriteLine("wrote " + output + " (" + big.Width + "x" + big.Height + ")");
        }
    }

    static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: Upscale.exe INPUT OUTPUT_PREFIX");
            return 2;
        }
        try
        {
            using (Bitmap image = Library.LoadFile(args[0]))
            {
                using (Resampler lanczos = new Resampler("lanczos3"))
                    Run(lanczos, image, args[1] + "-lanczos3-x4.png");

                string model = Environment.GetEnvironmentVariable("UPRES_EXAMPLE_MODEL");
                if (string.IsNullOrEmpty(model))
                {
                    Console.WriteLine("model: skipped (set UPRES_EXAMPLE_MODEL to a model file)");
                    return 0;
                }
                using (Options options = new Options().Set("model", model))
                {
                    Resampler resampler;
                    try { resampler = new Resampler("model", options); }
                    catch (UpresException e) when (e.Status == Status.Unsupported)
                    {
                        Console.WriteLine("model: skipped (" + e.NativeMessage + ")");
                        return 0;
                    }
                    using (resampler) Run(resampler, image, args[1] + "-model-x4.png");
                }
            }
            return 0;
        }
        catch (UpresException e)
        {
            Console.Error.WriteLine("upscale: " + e.Message);
            return 1;
        }
    }
}
