// The image core: a descriptor, a borrowed view and an owning image. Every size is validated and
// overflow-checked, and a max-pixels limit refuses absurd images before anything is allocated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/error.hpp"

namespace upres {

// Values match UPRES_SAMPLE_*.
enum class SampleType : int32_t { u8 = 1, u16 = 2, f32 = 3 };

// Flag bits match UPRES_IMAGE_*.
enum ImageFlags : uint32_t {
    kPremultiplied = 0x1u,
    kSrgb = 0x2u,
    kKnownFlags = 0x3u,
};

size_t sample_bytes(SampleType type);
const char* sample_type_name(SampleType type);
bool is_valid_sample_type(int32_t value);

struct ImageDesc {
    int32_t width = 0;
    int32_t height = 0;
    int32_t channels = 0;
    SampleType type = SampleType::u8;
    uint32_t flags = 0;
    int64_t stride = 0;  // bytes between row starts

    uint64_t pixels() const { return uint64_t(width) * uint64_t(height); }
    size_t pixel_bytes() const { return size_t(channels) * sample_bytes(type); }
    size_t row_bytes() const { return size_t(width) * pixel_bytes(); }
    bool has_alpha() const { return channels == 2 || channels == 4; }
    bool same_shape(const ImageDesc& o) const {
        return width == o.width && height == o.height && channels == o.channels && type == o.type;
    }
};

// Borrowed pixels. The view never owns or frees data.
struct ImageView {
    ImageDesc desc;
    uint8_t* data = nullptr;

    uint8_t* row(int64_t y) const { return data + y * desc.stride; }
    template <class T>
    T* row_as(int64_t y) const { return reinterpret_cast<T*>(row(y)); }
};

// Process-wide default max-pixels limit (atomic; settable through the C ABI).
uint64_t default_max_pixels();
void set_default_max_pixels(uint64_t limit);
constexpr uint64_t kBuiltinMaxPixels = uint64_t(1) << 28;
// Never accept a side longer than this, whatever the pixel limit (keeps int32 index math safe).
constexpr int32_t kMaxSide = 1 << 24;

// Checks width, height, channels, type and flags; `what` names the image in messages.
// max_pixels == 0 means the process default.
void validate_shape(int32_t width, int32_t height, int32_t channels, int32_t type, const char* what,
                    uint64_t max_pixels = 0);
// Also checks the stride and the data pointer.
void validate_view(const ImageView& view, const char* what, uint64_t max_pixels = 0);
// Bytes of a tightly packed image (validated).
uint64_t packed_bytes(int32_t width, int32_t height, int32_t channels, SampleType type);

// An image that owns its pixels (64-byte aligned rows, tightly packed).
class Image {
public:
    Image() = default;
    // Validates the shape against the limit before allocating; contents zeroed.
    static Image allocate(int32_t width, int32_t height, int32_t channels, SampleType type,
                          uint64_t max_pixels = 0);

    const ImageDesc& desc() const { return view_.desc; }
    ImageView view() const { return view_; }
    uint8_t* data() const { return view_.data; }
    bool empty() const { return view_.data == nullptr; }
    void set_flags(uint32_t flags) { view_.desc.flags = flags; }

private:
    struct Free {
        void operator()(uint8_t* p) const;
    };
    std::unique_ptr<uint8_t, Free> storage_;
    ImageView view_;
};

// Copies pixels between views of the same width/height/channels, converting the sample type
// (u8 <-> u16 <-> f32 with [0,1] nominal float range; integer results rounded and clamped).
void convert_samples(const ImageView& src, const ImageView& dst);
// A tightly packed copy of `src` in sample type `type` (converted as convert_samples does).
Image converted_copy(const ImageView& src, SampleType type);

}  // namespace upres
