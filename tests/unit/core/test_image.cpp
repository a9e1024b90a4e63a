#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>

#include "core/image.hpp"

using namespace upres;

TEST_CASE("validate_shape refuses bad sizes before allocating") {
    CHECK_THROWS_AS(validate_shape(0, 10, 3, 1, "img"), Error);
    CHECK_THROWS_AS(validate_shape(10, -1, 3, 1, "img"), Error);
    CHECK_THROWS_AS(validate_shape(10, 10, 0, 1, "img"), Error);
    CHECK_THROWS_AS(validate_shape(10, 10, 5, 1, "img"), Error);
    CHECK_THROWS_AS(validate_shape(10, 10, 3, 7, "img"), Error);
    try {
        validate_shape(100000, 100000, 3, 1, "big.png");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.status() == Status::limit);
        CHECK(std::string(e.what()).find("big.png") != std::string::npos);
    }
    CHECK_NOTHROW(validate_shape(100, 100, 4, 3, "img"));
    CHECK_THROWS_AS(validate_shape(100, 100, 4, 3, "img", 9999), Error);
}

TEST_CASE("validate_view checks stride and data") {
    Image img = Image::allocate(7, 5, 3, SampleType::u16);
    ImageView v = img.view();
    CHECK(v.desc.stride == 7 * 3 * 2);
    CHECK_NOTHROW(validate_view(v, "v"));
    ImageView bad = v;
    bad.desc.stride = 7 * 3 * 2 - 2;
    CHECK_THROWS_AS(validate_view(bad, "v"), Error);
    bad = v;
    bad.desc.stride = 43;  // not a multiple of the sample size
    CHECK_THROWS_AS(validate_view(bad, "v"), Error);
    bad = v;
    bad.data = nullptr;
    CHECK_THROWS_AS(validate_view(bad, "v"), Error);
    bad = v;
    bad.desc.flags = 0x80;
    CHECK_THROWS_AS(validate_view(bad, "v"), Error);
}

TEST_CASE("allocation is zeroed and aligned, and the pixel limit is enforced") {
    Image img = Image::allocate(3, 2, 4, SampleType::f32);
    CHECK(reinterpret_cast<uintptr_t>(img.data()) % 64 == 0);
    for (int y = 0; y < 2; ++y)
        for (int i = 0; i < 12; ++i) CHECK(img.view().row_as<float>(y)[i] == 0.0f);
    const uint64_t old = default_max_pixels();
    set_default_max_pixels(100);
    CHECK_THROWS_AS(Image::allocate(11, 10, 1, SampleType::u8), Error);
    CHECK_NOTHROW(Image::allocate(10, 10, 1, SampleType::u8));
    set_default_max_pixels(old);
}

TEST_CASE("convert_samples round-trips u8 through u16 and f32 exactly") {
    Image a = Image::allocate(256, 1, 1, SampleType::u8);
    for (int i = 0; i < 256; ++i) a.data()[i] = uint8_t(i);
    for (SampleType t : {SampleType::u16, SampleType::f32}) {
        Image mid = Image::allocate(256, 1, 1, t);
        Image back = Image::allocate(256, 1, 1, SampleType::u8);
        convert_samples(a.view(), mid.view());
        convert_samples(mid.view(), back.view());
        CHECK(std::memcmp(a.data(), back.data(), 256) == 0);
    }
    Image w = Image::allocate(2, 1, 1, SampleType::u16);
    convert_samples(a.view().desc.width == 256 ? ImageView{{2, 1, 1, SampleType::u8, 0, 2}, a.data() + 254} : a.view(),
                    w.view());
    CHECK(w.view().row_as<uint16_t>(0)[1] == 65535);
}
