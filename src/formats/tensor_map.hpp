// The neutral result of every model-file reader: named tensors as plain bytes, plus string
// metadata. No libtorch here, so each reader compiles fast and can be fuzzed on its own.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace upres::formats {

namespace ncnn {
class Graph;
}

enum class DType { f32, f16, bf16, f64, i8, u8, i16, i32, i64, boolean };

size_t dtype_bytes(DType t);
const char* dtype_name(DType t);

struct Tensor {
    DType dtype = DType::f32;
    std::vector<int64_t> shape;   // row-major, contiguous
    std::vector<uint8_t> data;    // little-endian, numel * dtype_bytes bytes

    int64_t numel() const;
    // Values converted to float (f16/bf16/f64/integers widened or narrowed).
    std::vector<float> to_float() const;
};

// Keys sorted by name; values own their bytes.
using TensorMap = std::map<std::string, Tensor>;

struct ModelFile {
    std::string format;                          // "pth-zip", "pth-legacy", "safetensors", "ncnn", "torchscript", ...
    TensorMap tensors;
    std::map<std::string, std::string> metadata;  // safetensors __metadata__, ...
    // ncnn: the layer graph, whose weights get their names when an architecture's matcher
    // recognises it (nn::detect); `tensors` is empty until then.
    std::shared_ptr<const ncnn::Graph> graph;
};

}  // namespace upres::formats
