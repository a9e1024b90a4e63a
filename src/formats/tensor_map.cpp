#include "formats/tensor_map.hpp"

#include <cstring>

#include "core/checked_math.hpp"

namespace upres::formats {

size_t dtype_bytes(DType t) {
    switch (t) {
        case DType::f64:
        case DType::i64: return 8;
        case DType::f32:
        case DType::i32: return 4;
        case DType::f16:
        case DType::bf16:
        case DType::i16: return 2;
        case DType::i8:
        case DType::u8:
        case DType::boolean: return 1;
    }
    return 0;
}

const char* dtype_name(DType t) {
    switch (t) {
        case DType::f32: return "F32";
        case DType::f16: return "F16";
        case DType::bf16: return "BF16";
        case DType::f64: return "F64";
        case DType::i8: return "I8";
        case DType::u8: return "U8";
        case DType::i16: return "I16";
        case DType::i32: return "I32";
        case DType::i64: return "I64";
        case DType::boolean: return "BOOL";
    }
    return "?";
}

int64_t Tensor::numel() const {
    uint64_t n = 1;
    for (int64_t d : shape) n = checked_mul(n, uint64_t(d), "tensor size");
    return int64_t(n);
}

namespace {
float half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h >> 15) << 31;
    const uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int e = -1;
            uint32_t m = mant;
            do {
                ++e;
                m <<= 1;
            } while (!(m & 0x400));
            bits = sign | uint32_t(127 - 15 - e) << 23 | (m & 0x3FF) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | mant << 13;
    } else {
        bits = sign | (exp + 127 - 15) << 23 | mant << 13;
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}
}  // namespace

std::vector<float> Tensor::to_float() const {
    const size_t n = size_t(numel());
    std::vector<float> out(n);
    const uint8_t* p = data.data();
    for (size_t i = 0; i < n; ++i) {
        switch (dtype) {
            case DType::f32: std::memcpy(&out[i], p + 4 * i, 4); break;
            case DType::f64: {
                double d;
                std::memcpy(&d, p + 8 * i, 8);
                out[i] = float(d);
                break;
            }
            case DType::f16: {
                uint16_t h;
                std::memcpy(&h, p + 2 * i, 2);
                out[i] = half_to_float(h);
                break;
            }
            case DType::bf16: {
                uint16_t h;
                std::memcpy(&h, p + 2 * i, 2);
                const uint32_t bits = uint32_t(h) << 16;
                std::memcpy(&out[i], &bits, 4);
                break;
            }
            case DType::i8: out[i] = float(int8_t(p[i])); break;
            case DType::u8:
            case DType::boolean: out[i] = float(p[i]); break;
            case DType::i16: {
                int16_t v;
                std::memcpy(&v, p + 2 * i, 2);
                out[i] = float(v);
                break;
            }
            case DType::i32: {
                int32_t v;
                std::memcpy(&v, p + 4 * i, 4);
                out[i] = float(v);
                break;
            }
            case DType::i64: {
                int64_t v;
                std::memcpy(&v, p + 8 * i, 8);
                out[i] = float(v);
                break;
            }
        }
    }
    return out;
}

}  // namespace upres::formats
