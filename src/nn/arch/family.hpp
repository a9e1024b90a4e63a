// An architecture family as the rest of upres sees it: how it is recognised from a state dict's
// keys, the hyperparameters read from shapes, the descriptor the runner reads instead of testing
// which architecture it has, and (in builds with libtorch) how its network is built.
//
// No libtorch here: detection runs in every build, so `upres info` and `upres convert` work
// without it. Adding an architecture: a folder src/nn/arch/<name>/ with a <name>.hpp declaring
// `const Family& family()` in namespace upres::nn::arch::<name>, and one line in table.cpp.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "formats/tensor_map.hpp"

namespace upres::formats::ncnn {
class Graph;
}

namespace upres::nn {

class Network;  // network.hpp (libtorch)

// How the input is padded up to a size multiple (and cropped off the output afterwards).
enum class EdgePad { replicate, reflect, zero };

// What the runner needs to know about a model, whatever its architecture.
struct Descriptor {
    std::string arch;           // the family's registry name ("rrdbnet"), written by `upres convert`
    std::string summary;        // "RRDBNet x4, 23 blocks, 64 features, growth 32"
    int scale = 1;              // output / input size; 0 = every size (works at the output size)
    bool at_output_size = false;  // the input is first enlarged to the output size (SRCNN)
    int in_channels = 3, out_channels = 3;
    // 1 channel: the network reads BT.601 studio-range Y (16..235 of 255; SRCNN, trained on
    // MATLAB's rgb2ycbcr); otherwise full-range luma, and a gray image as it is.
    bool studio_luma = false;
    // The network sees sample * gain[c] + offset[c] (samples on 0..1) and its output is mapped back
    // by the inverse; empty = identity. RCAN's 0..255 range and mean shift, Real-CUGAN pro's
    // 0.7 x + 0.15, SwinIR's img_range all are such maps.
    std::vector<float> gain, offset;
    int size_multiple = 1;      // input sizes the network needs (pixel-unshuffle, windows, U-Nets)
    // Tiles start on multiples of this (0: size_multiple), which must be a multiple of
    // size_multiple: a network that pads its windows itself (DAT) keeps the untiled run's window
    // lattice in every tile without its input being padded.
    int tile_multiple = 0;
    EdgePad multiple_pad = EdgePad::replicate;
    int pre_pad = 0;            // input padding (reflect) the upstream programs add and crop off the output
    int context = 16;           // receptive radius that tiling must give each tile (the default overlap)
    int preferred_tile = 512;   // default tile side in input pixels (bounds memory)
    bool auto_bf16_cpu = false;   // precision=auto picks bf16 on AVX512-BF16 CPUs (>= 50 dB from fp32 measured)
    bool auto_fp16_cuda = false;  // precision=auto picks fp16 on CUDA (>= 50 dB from fp32 measured)
    std::string conv_padding;   // SRCNN: "zero" / "replicate" from the file's metadata, or ""
    int64_t parameters = 0;
    int64_t macs_per_pixel = 0;  // multiply-adds per input pixel (for GFLOP/s figures); 0 = unknown
};

// A detected model: its family, descriptor and weights under the family's canonical names.
struct Model {
    const struct Family* family = nullptr;
    Descriptor desc;
    formats::TensorMap tensors;
    std::map<std::string, std::string> metadata;
    std::string path;  // TorchScript: the archive libtorch loads

    std::string describe() const;  // summary, channels and parameter count
};

// How the runner builds a network (read by the family's build function).
struct BuildSettings {
    int device_index = -1;          // -1 = CPU, else the CUDA device
    enum class Precision { fp32, bf16, fp16 } precision = Precision::fp32;
    std::string padding;            // the option "padding" (SRCNN), resolved: "zero" / "replicate"
    bool onednn = true;             // the option "onednn"
};

struct Family {
    const char* name;     // registry name: lower case, as written in converted files' metadata
    const char* title;    // for people: "RRDBNet (ESRGAN, Real-ESRGAN, ESRGAN+)"
    // Keys that mark the family, as patterns ('#' = a number, '*' = anything): the error for an
    // unknown architecture names the families whose patterns match most of a file's keys.
    std::vector<std::string> signature;
    // Renames the key schemes in circulation to the canonical one (nullptr: keys are canonical).
    formats::TensorMap (*canonical)(formats::TensorMap tensors) = nullptr;
    // True when the (canonical) keys are this family's; key predicates only, no shape checks.
    bool (*claims)(const formats::TensorMap& tensors) = nullptr;
    // Hyperparameters from shapes, every tensor the network will read checked for presence and
    // shape. Throws Error(model, "<name>: ...") naming the key.
    Descriptor (*describe)(const formats::TensorMap& tensors, const std::map<std::string, std::string>& metadata,
                           const std::string& name) = nullptr;
    // An ncnn graph of this family mapped to canonical tensor names (nullptr: not shipped as ncnn).
    // Throws formats::ncnn::Misfit when the graph is not this family's.
    formats::TensorMap (*from_ncnn)(const formats::ncnn::Graph& graph, std::map<std::string, std::string>& metadata) = nullptr;
    // The libtorch network (network.cpp in the family's folder); nullptr in builds without libtorch
    // (UPRES_NETWORK below).
    std::unique_ptr<Network> (*build)(const Model& model, const BuildSettings& settings) = nullptr;
};

// A family's build function where the build has libtorch, else nullptr.
#if UPRES_WITH_TORCH
#define UPRES_NETWORK(fn) (&fn)
#else
#define UPRES_NETWORK(fn) nullptr
#endif

// The families in precedence order (the first that claims a file's keys wins); table.cpp.
const std::vector<const Family*>& families();
const Family* find_family(const std::string& name);

// Detects the family and hyperparameters of a model file's tensors (detection.cpp). ncnn graphs
// are matched by the families' from_ncnn; TorchScript archives become the "torchscript" family.
// Throws Error(model, "<name>: unknown architecture ...") naming the nearest families and the
// keys that matched none.
Model detect(formats::ModelFile file, const std::string& name);

}  // namespace upres::nn
