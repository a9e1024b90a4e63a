// Image files: round trips per format and sample type, readers for what stb cannot write (made by
// Pillow), and bad files that must fail cleanly without leaving anything behind. The checks written
// for stb_image's weaknesses run on the stb codec itself (it reads PNG and JPEG in builds without
// libvips), and the same files through the public loader, whichever codec it uses.
// tests/files/test_files.py covers the libvips formats, orientation, profiles and metadata.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "io/file_bytes.hpp"
#include "io/formats.hpp"
#include "io/image_file.hpp"
#include "io/stb_codec.hpp"
#include "test_support.hpp"

using namespace upres;

namespace {

Image gradient(int w, int h, int ch, SampleType t) {
    Image im = Image::allocate(w, h, ch, t);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w * ch; ++x) {
            const double v = double((x * 37 + y * 91) % 1000) / 999.0;
            if (t == SampleType::u8) im.view().row(y)[x] = uint8_t(std::lround(v * 255));
            if (t == SampleType::u16) im.view().row_as<uint16_t>(y)[x] = uint16_t(std::lround(v * 65535));
            if (t == SampleType::f32) im.view().row_as<float>(y)[x] = float(v * 4.0);  // HDR: beyond 1
        }
    return im;
}

bool same_bytes(const Image& a, const Image& b) {
    return a.desc().same_shape(b.desc()) &&
           std::memcmp(a.data(), b.data(), size_t(a.desc().stride) * size_t(a.desc().height)) == 0;
}

Status status_of_load(const std::string& path, uint64_t max_pixels = 0) {
    try {
        io::load_pixels(path, max_pixels);
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find(path) != std::string::npos);  // the message names the file
        return e.status();
    }
    return Status::ok;
}

// The same through the stb codec alone.
Image stb_load(const std::string& path, uint64_t max_pixels = 0) {
    const std::vector<uint8_t> bytes = io::read_file(path);
    return io::stb_decode(bytes.data(), bytes.size(), path, max_pixels);
}

Status status_of_stb(const std::string& path) {
    try {
        stb_load(path);
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find(path) != std::string::npos);
        return e.status();
    }
    return Status::ok;
}

// The message a failed stb decoding gives ("" when it decodes).
std::string error_of_stb(const std::string& path) {
    try {
        stb_load(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// Saves `image` to `path` and returns the file's bytes.
std::string saved_bytes(const std::string& path, const Image& image) {
    io::save_image(path, image.view());
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

int files_in(const std::string& dir) {
    int n = 0;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
        closedir(d);
    }
    return n;
}

}  // namespace

TEST_CASE("PNG round trips are exact for u8 and u16, for 1-4 channels") {
    for (SampleType t : {SampleType::u8, SampleType::u16})
        for (int ch = 1; ch <= 4; ++ch) {
            CAPTURE(ch);
            Image im = gradient(23, 17, ch, t);
            const std::string p = test::temp_path("rt_" + std::to_string(ch) + sample_type_name(t) + ".png");
            io::save_image(p, im.view());
            const ImageDesc d = io::probe_image(p);
            CHECK(d.width == 23);
            CHECK(d.channels == ch);
            CHECK(d.type == t);
            CHECK(same_bytes(io::load_pixels(p), im));
        }
}

TEST_CASE("BMP and TGA are exact for u8; JPEG is close; HDR keeps floats") {
    Image rgb = gradient(32, 24, 3, SampleType::u8);
    for (const char* ext : {"bmp", "tga"}) {
        const std::string p = test::temp_path(std::string("rt.") + ext);
        io::save_image(p, rgb.view());
        CHECK(same_bytes(io::load_pixels(p), rgb));
    }
    const std::string jp = test::temp_path("rt.jpg");
    io::SaveOptions q95;
    q95.quality = 95;
    io::save_image(jp, rgb.view(), nullptr, q95);
    Image back = io::load_pixels(jp);
    REQUIRE(back.desc().same_shape(rgb.desc()));
    double err = 0;
    for (int y = 0; y < 24; ++y)
        for (int x = 0; x < 96; ++x) err += std::fabs(double(back.view().row(y)[x]) - rgb.view().row(y)[x]);
    CHECK(err / (24 * 96) < 6.0);
    Image hdr = gradient(16, 8, 3, SampleType::f32);
    const std::string hp = test::temp_path("rt.hdr");
    io::save_image(hp, hdr.view());
    Image hb = io::load_pixels(hp);
    REQUIRE(hb.desc().type == SampleType::f32);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 16; ++x) {
            // RGBE shares one exponent per pixel: each channel keeps 8 bits relative to the largest.
            const float* a = hdr.view().row_as<float>(y) + 3 * x;
            const float* b = hb.view().row_as<float>(y) + 3 * x;
            const float top = std::max({a[0], a[1], a[2]});
            for (int c = 0; c < 3; ++c) CHECK(std::fabs(a[c] - b[c]) <= top / 128.0f);
        }
}

TEST_CASE("GIF written by Pillow is read") {
    UPRES_SKIP_UNLESS_PYTHON("PIL");
    const std::string gif = test::temp_path("pil.gif");
    REQUIRE(test::run_python("-c \"from PIL import Image; im = Image.new('RGB', (19, 11), (200, 30, 60)); "
                             "im.save('" + gif + "')\"") == 0);
    Image g = io::load_pixels(gif);
    CHECK(g.desc().width == 19);
    CHECK(g.desc().height == 11);
    const uint8_t* px = g.view().row(5) + 3 * g.desc().channels;
    CHECK(px[0] == 200);
    CHECK(px[1] == 30);
}

TEST_CASE("PSD, raw and PackBits, is read as the format lays it out") {
    // Pillow cannot write PSD, so the files are made here from the format's layout: a 26-byte
    // header (8-bit RGB), three empty sections, a compression tag, then each channel's plane whole.
    const int w = 5, h = 3;
    auto psd_header = [](int width, int height) {
        std::string s = "8BPS";
        auto be = [&s](uint64_t v, int bytes) {
            for (int i = bytes - 1; i >= 0; --i) s += char((v >> (8 * i)) & 0xFF);
        };
        be(1, 2), be(0, 6), be(3, 2), be(uint32_t(height), 4), be(uint32_t(width), 4), be(8, 2), be(3, 2);
        be(0, 4), be(0, 4), be(0, 4);
        return s;
    };
    auto sample = [](int c, int x, int y) { return uint8_t(40 * c + 7 * x + 50 * y + 1); };
    std::string raw = psd_header(w, h) + std::string("\0\0", 2);
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) raw += char(sample(c, x, y));
    // PackBits: per row a literal run (count - 1, then the bytes); the row lengths come first.
    std::string rows, lengths;
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < h; ++y) {
            rows += char(w - 1);
            for (int x = 0; x < w; ++x) rows += char(sample(c, x, y));
            lengths += std::string("\0", 1) + char(w + 1);
        }
    const std::string packbits = psd_header(w, h) + std::string("\0\1", 2) + lengths + rows;
    for (const auto& [name, bytes] : {std::pair<std::string, std::string>{"psd_raw.psd", raw}, {"psd_packbits.psd", packbits}}) {
        CAPTURE(name);
        const std::string path = test::temp_path(name);
        write_file(path, bytes);
        const Image im = io::load_pixels(path);
        REQUIRE(im.desc().width == w);
        REQUIRE(im.desc().height == h);
        const int n = im.desc().channels;
        REQUIRE(n >= 3);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int c = 0; c < 3; ++c) CHECK(im.view().row(y)[x * n + c] == sample(c, x, y));
    }
}

TEST_CASE("bad files fail with the right status, naming the file") {
    const std::string dir = test::temp_path("bad_io");
    mkdir(dir.c_str(), 0777);
    Image rgb = gradient(40, 30, 3, SampleType::u8);
    const std::string good = dir + "/good.png";
    const std::string bytes = saved_bytes(good, rgb);
    write_file(dir + "/truncated.png", bytes.substr(0, bytes.size() / 2));
    write_file(dir + "/text.png", "hello, I am text\n");
    write_file(dir + "/empty.png", "");
    // Keep the valid signature and IHDR but claim 100000 x 100000 pixels.
    std::string huge = bytes;
    const unsigned char dims[8] = {0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0};
    huge.replace(16, 8, reinterpret_cast<const char*>(dims), 8);
    write_file(dir + "/huge.png", huge);
    std::string zero = bytes;
    zero.replace(16, 8, std::string(8, '\0'));
    write_file(dir + "/zero.png", zero);

    CHECK(status_of_load(dir + "/truncated.png") == Status::format);
    CHECK(status_of_load(dir + "/text.png") == Status::format);
    CHECK(status_of_load(dir + "/empty.png") == Status::format);
    CHECK(status_of_load(dir + "/huge.png") == Status::limit);
    CHECK(status_of_load(dir + "/zero.png") == Status::format);
    CHECK(status_of_load(dir + "/missing.png") == Status::io);
    CHECK(status_of_load(dir) == Status::io);                      // a folder
    CHECK(status_of_load(good, 100) == Status::limit);             // per-call limit
    CHECK(status_of_load(good) == Status::ok);
}

TEST_CASE("JPEG Huffman tables stb_image 2.27 would overflow are refused before it decodes") {
    // stb 2.27 fills 257-entry arrays from a DHT segment's code counts without checking their sum:
    // these files write past them (found by tests/fuzz/fuzz_image; caught by the ASan/UBSan build).
    const std::string dir = test::temp_path("bad_jpeg");
    mkdir(dir.c_str(), 0777);
    const std::string good = dir + "/good.jpg";
    const std::string jpeg = saved_bytes(good, gradient(24, 16, 3, SampleType::u8));
    REQUIRE(jpeg.compare(0, 2, "\xFF\xD8") == 0);

    // A DC table declaring 300 codes (16 counts, then 300 symbol bytes), right after SOI.
    std::string counts(16, '\0');
    counts[14] = char(45);
    counts[15] = char(255);
    const std::string dht = std::string("\xFF\xC4\x01\x3F\x00", 5) + counts + std::string(300, '\x01');
    REQUIRE(dht.size() == 2 + 0x13F);
    write_file(dir + "/dht300.jpg", jpeg.substr(0, 2) + dht + jpeg.substr(2));
    // The same behind fill bytes before SOI, which stb skips.
    write_file(dir + "/filled.jpg", std::string(5, '\xFF') + jpeg.substr(1, 1) + dht + jpeg.substr(2));
    // A segment that ends with the file: stb reads the missing counts as 0, eight 0xFF counts are left.
    write_file(dir + "/cut.jpg", std::string("\xFF\xD8\xFF\xC4\x01\x40\x10", 7) + std::string(8, '\xFF'));
    for (const char* name : {"/dht300.jpg", "/filled.jpg", "/cut.jpg"}) {
        CAPTURE(name);
        CHECK(status_of_stb(dir + name) == Status::format);
        CHECK(error_of_stb(dir + name).find("Huffman table") != std::string::npos);
        CHECK(status_of_load(dir + name) == Status::format);  // whichever codec reads JPEG
    }
    CHECK(status_of_stb(good) == Status::ok);
    CHECK(status_of_load(good) == Status::ok);
}

TEST_CASE("Radiance HDR scanlines stb_image 2.27 would decode forever are refused") {
    // stb's run-length loop only moves on a non-zero count and reads past the end of the file as 0.
    const std::string dir = test::temp_path("bad_hdr");
    mkdir(dir.c_str(), 0777);
    const std::string head = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 12\n";
    std::string scanline = "\x02\x02";
    scanline += std::string(1, '\0') + std::string(1, char(12));
    for (int c = 0; c < 4; ++c) scanline += std::string(1, char(128 + 12)) + std::string(1, char(100 + c));  // one run per channel
    write_file(dir + "/good.hdr", head + scanline + scanline);
    // The second scanline's first channel: a literal count of 0.
    write_file(dir + "/zero.hdr", head + scanline + scanline.substr(0, 4) + std::string(1, '\0') + scanline.substr(4));
    write_file(dir + "/cut.hdr", head + scanline + scanline.substr(0, 7));
    // stb compares header lines as C strings: a NUL byte ends the line for it, and so for the check.
    const std::string nul_head = "#?RADIANCE\n" + std::string("FORMAT=32-bit_rle_rgbe\0junk", 27) + "\n\n-Y 2 +X 12\n";
    write_file(dir + "/nul.hdr", nul_head + scanline + scanline.substr(0, 4) + std::string(1, '\0') + scanline.substr(4));
    const Image good = io::load_pixels(dir + "/good.hdr");
    REQUIRE(good.desc().width == 12);
    REQUIRE(good.desc().height == 2);
    // RGBE bytes (100, 101, 102, exponent 103) everywhere: blue is 102 * 2^(103 - 136) (Radiance
    // decoders differ by adding 0.5 to the byte or not: within 0.5 %).
    CHECK(good.view().row_as<float>(1)[3 * 11 + 2] == doctest::Approx(102 * std::ldexp(1.0, 103 - 136)).epsilon(0.005));
    // Flat pixels (width under 8): 4 x 2 needs 32 bytes; stb would leave the missing ones unwritten.
    const std::string flat_head = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 4\n";
    write_file(dir + "/flat.hdr", flat_head + std::string(32, char(100)));
    write_file(dir + "/flat_cut.hdr", flat_head + std::string(20, char(100)));
    CHECK(status_of_load(dir + "/flat.hdr") == Status::ok);
    // A run-length file whose second scanline is not run-length: stb starts over, reading flat pixels.
    write_file(dir + "/restart_cut.hdr", head + scanline + std::string(8, char(100)));
    for (const char* name : {"/zero.hdr", "/cut.hdr", "/nul.hdr", "/flat_cut.hdr", "/restart_cut.hdr"}) {
        CAPTURE(name);
        CHECK(status_of_load(dir + name) == Status::format);
    }
}

TEST_CASE("PNG chunks past the end of the file and unknown critical chunks are refused first") {
    // stb 2.27 allocates an IDAT chunk's declared length before reading it, and reports an unknown
    // critical chunk through one static buffer shared by all threads.
    const std::string dir = test::temp_path("bad_png_chunks");
    mkdir(dir.c_str(), 0777);
    const std::string good = dir + "/good.png";
    const std::string png = saved_bytes(good, gradient(8, 8, 3, SampleType::u8));
    const size_t after_ihdr = 8 + 12 + 13;
    REQUIRE(png.compare(12, 4, "IHDR") == 0);  // signature, IHDR length, then its type
    // An IDAT declaring 1 GiB, in a file of a few hundred bytes.
    write_file(dir + "/huge_idat.png", png.substr(0, after_ihdr) + std::string("\x40\x00\x00\x00IDAT", 8) + png.substr(after_ihdr));
    // A critical chunk (upper-case first letter) no decoder knows, with a valid length and a dummy CRC.
    write_file(dir + "/critical.png", png.substr(0, after_ihdr) + std::string("\x00\x00\x00\x01QXYZ\x00\x00\x00\x00\x00", 13) +
                                          png.substr(after_ihdr));
    // A PPM (stb can read them; upres documents no such format and leaves stb's reader out).
    write_file(dir + "/image.ppm", std::string("P6\n2 1\n255\n") + std::string(6, '\x7f'));
    const std::pair<const char*, const char*> cases[] = {
        {"/huge_idat.png", "past the end of the file"}, {"/critical.png", "critical chunk 'QXYZ' is not known"}, {"/image.ppm", ""}};
    for (const auto& [name, says] : cases) {
        CAPTURE(name);
        CHECK(status_of_stb(dir + name) == Status::format);
        CHECK(error_of_stb(dir + name).find(says) != std::string::npos);
        CHECK(status_of_load(dir + name) == Status::format);
    }
    CHECK(status_of_stb(good) == Status::ok);
    CHECK(status_of_load(good) == Status::ok);
}

TEST_CASE("a PNG whose data inflates far past its image is refused before stb allocates it") {
    // An 8 x 8 PNG whose IDAT inflates to 64 MiB (64 kB of zlib stream). stb 2.27 grows its buffer
    // to the whole stream and accepts the extra data; the allocation ceiling stops it at 16 MiB.
    UPRES_SKIP_UNLESS_PYTHON("zlib");
    const std::string bomb = test::temp_path("bomb.png"), fine = test::temp_path("bomb_control.png");
    REQUIRE(test::run_python(
                "-c \"import struct, zlib\n"
                "def chunk(t, b): return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b))\n"
                "def png(raw): return b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 8, 8, 8, 2, 0, 0, 0)) + "
                "chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')\n"
                "open('" + bomb + "', 'wb').write(png(bytes(64 << 20)))\n"
                "open('" + fine + "', 'wb').write(png(bytes(8 * 25)))\"") == 0);
    CHECK(status_of_stb(fine) == Status::ok);  // the same file, with exactly the image's data
    CHECK(status_of_stb(bomb) == Status::format);
    CHECK(error_of_stb(bomb).find("expands far past the image") != std::string::npos);
    // libspng stops at the image's end: the extra data is no allocation (and no error) there.
    CHECK(status_of_load(fine) == Status::ok);
    const Status via_loader = status_of_load(bomb);
    CHECK((via_loader == Status::ok || via_loader == Status::format));
}

TEST_CASE("BMP palette indices past the palette read as black, not as stack memory") {
    // stb 2.27 looks such indices up in a 256-entry palette on the stack that it filled only up to
    // the file's palette size; stb is built with zeroed locals (src/io/CMakeLists.txt).
    const std::string path = test::temp_path("short_palette.bmp");
    std::string bmp = "BM";
    auto le = [&bmp](uint32_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) bmp += char((v >> (8 * i)) & 0xFF);
    };
    const uint32_t offset = 14 + 40 + 2 * 4, rows = 2, row_bytes = 4;
    le(offset + rows * row_bytes, 4), le(0, 4), le(offset, 4);                 // file header
    le(40, 4), le(4, 4), le(rows, 4), le(1, 2), le(8, 2), le(0, 4), le(rows * row_bytes, 4);
    le(2835, 4), le(2835, 4), le(2, 4), le(0, 4);                              // 4 x 2, 8-bit, 2 colours
    bmp += std::string("\x1E\x14\x0A\x00\x3C\x32\x28\x00", 8);              // BGR0: (10,20,30), (40,50,60)
    for (uint32_t y = 0; y < rows; ++y) bmp += std::string("\x00\x01\xC8\xFF", 4);  // indices 0, 1, 200, 255
    write_file(path, bmp);
    const Image im = io::load_pixels(path);
    REQUIRE(im.desc().width == 4);
    REQUIRE(im.desc().channels == 3);
    for (int y = 0; y < 2; ++y) {
        const uint8_t* px = im.view().row(y);
        CHECK(px[0] == 10);
        CHECK(px[4] == 50);
        for (int i = 6; i < 12; ++i) CHECK(px[i] == 0);
    }
}

TEST_CASE("progressive and subsampled JPEGs by Pillow decode as Pillow decodes them") {
    // Progressive files define Huffman tables between scans: the check before stb walks them all.
    UPRES_SKIP_UNLESS_PYTHON("PIL, numpy");
    const std::string jpg = test::temp_path("pil_progressive.jpg"), png = test::temp_path("pil_progressive.png");
    REQUIRE(test::run_python("-c \"import numpy as np; from PIL import Image; y, x = np.mgrid[0:37, 0:53]; "
                             "a = np.stack([x * 4, y * 6, (x + y) * 2], -1).astype(np.uint8); "
                             "Image.fromarray(a).save('" + jpg + "', quality=85, progressive=True, subsampling=2); "
                             "Image.open('" + jpg + "').convert('RGB').save('" + png + "')\"") == 0);
    const Image ours = io::load_pixels(jpg), pillow = io::load_pixels(png);
    REQUIRE(ours.desc().same_shape(pillow.desc()));
    int worst = 0;
    for (int y = 0; y < 37; ++y)
        for (int x = 0; x < 53 * 3; ++x) worst = std::max(worst, std::abs(ours.view().row(y)[x] - pillow.view().row(y)[x]));
    // stb and libjpeg differ in IDCT and chroma upsampling: a few levels, never a different image.
    // libvips decodes with libjpeg-turbo, as Pillow does: within 1.
    CHECK(worst <= (io::format_named("jpeg")->reads == io::Codec::vips ? 1 : 12));
}

TEST_CASE("a failed save leaves nothing behind and keeps an existing file intact") {
    const std::string dir = test::temp_path("save_fail_" + std::to_string(getpid()));
    mkdir(dir.c_str(), 0777);
    Image rgb = gradient(8, 8, 3, SampleType::u8);
    CHECK_THROWS_AS(io::save_image(dir + "/x.xyz", rgb.view()), Error);  // unknown format
    CHECK_THROWS_AS(io::save_image(dir + "/no/such/dir/x.png", rgb.view()), Error);
    CHECK(files_in(dir) == 0);
    // Replacing an existing file is atomic: a failed replacement leaves the old bytes.
    const std::string target = dir + "/keep.png";
    io::save_image(target, rgb.view());
    const ImageDesc before = io::probe_image(target);
    mkdir((dir + "/blocker.png").c_str(), 0777);  // renaming a file over a folder fails
    CHECK_THROWS_AS(io::save_image(dir + "/blocker.png", rgb.view()), Error);
    CHECK(files_in(dir) == 2);  // keep.png and the blocker folder, no temporary file
    CHECK(io::probe_image(target).width == before.width);
}

TEST_CASE("outputs a format cannot hold are refused before anything is written, naming the limit") {
    auto refusal = [](const std::string& path, int32_t w, int32_t h, int32_t c) -> std::pair<Status, std::string> {
        try {
            io::check_output(path, w, h, c);
        } catch (const Error& e) {
            return {e.status(), e.what()};
        }
        return {Status::ok, ""};
    };
    CHECK(refusal("a.jpg", 70000, 10, 3).first == Status::limit);
    CHECK(refusal("a.jpg", 70000, 10, 3).second.find("65535") != std::string::npos);
    CHECK(refusal("a.jpg", 100, 10, 4).first == Status::invalid_argument);
    CHECK(refusal("a.jpg", 100, 10, 4).second.find("alpha") != std::string::npos);
    CHECK(refusal("a.JPEG", 100, 10, 3).first == Status::ok);
    CHECK(refusal("a.png", 100000, 10, 4).first == Status::ok);
    CHECK(refusal("a.xyz", 10, 10, 3).first == Status::invalid_argument);
    CHECK(refusal("noextension", 10, 10, 3).first == Status::invalid_argument);
    if (io::format_named("webp")->writes != io::Codec::none) {
        CHECK(refusal("a.webp", 16383, 16383, 4).first == Status::ok);
        CHECK(refusal("a.webp", 16384, 10, 3).first == Status::limit);
        CHECK(refusal("a.webp", 16384, 10, 3).second.find("16383") != std::string::npos);
    } else {
        CHECK(refusal("a.webp", 10, 10, 3).first == Status::unsupported);
    }
    CHECK(refusal("a.heic", 10, 10, 3).first == Status::unsupported);  // read only
}

TEST_CASE("every writable format round-trips: lossless ones exactly, with the ICC profile and EXIF where they hold them") {
    Image rgb = gradient(29, 21, 3, SampleType::u8);
    Image deep = gradient(29, 21, 4, SampleType::u16);
    ImageMetadata meta;
    meta.icc = std::string("not a real profile, only bytes to carry");
    for (const auto& f : io::file_formats()) {
        if (f.writes == io::Codec::none || f.reads == io::Codec::none) continue;
        const std::string ext = std::string(f.extensions).substr(0, std::string(f.extensions).find(' '));
        CAPTURE(ext);
        const std::string p = test::temp_path("every." + ext);
        io::SaveOptions lossless;
        lossless.lossless = true;
        io::save_image(p, rgb.view(), nullptr, lossless);
        const io::LoadedImage back = io::load_image(p);
        REQUIRE(back.image.desc().width == 29);
        REQUIRE(back.image.desc().height == 21);
        const std::string n = f.name;
        if (n == "png" || n == "bmp" || n == "tga" || n == "tiff" || n == "webp" || n == "jxl") CHECK(same_bytes(back.image, rgb));
        if (f.deep && n != "hdr" && n != "avif") {
            const std::string dp = test::temp_path("every_deep." + ext);
            io::save_image(dp, deep.view(), nullptr, lossless);
            const Image d = io::load_pixels(dp);
            CHECK(d.desc().type == SampleType::u16);
            CHECK(same_bytes(d, deep));
        }
    }
    // A profile travels through the formats libvips writes (it checks nothing about the bytes
    // when it embeds them in PNG / TIFF; JPEG and WebP parse it, so those need a real profile:
    // tests/files/test_files.py).
    if (io::format_named("tiff")->writes == io::Codec::vips) {
        const std::string p = test::temp_path("icc.tif");
        io::save_image(p, rgb.view(), &meta);
        CHECK(io::load_image(p).metadata.icc == meta.icc);
    }
}
