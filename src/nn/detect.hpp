// Architecture detection from tensor names and shapes (no libtorch here, so `upres info` works in
// builds without it). Key schemes in circulation are renamed to one canonical scheme.
#pragma once
#include <string>

#include "formats/tensor_map.hpp"

namespace upres::nn {

enum class Arch { srcnn, rrdbnet, compact, torchscript };

struct Architecture {
    Arch arch = Arch::srcnn;
    int scale = 0;         // output / input size; 0 = unknown (SRCNN runs at any size)
    int in_channels = 3, out_channels = 3;
    int num_feat = 0;      // RRDBNet / compact feature channels
    int num_block = 0;     // RRDBNet blocks
    int num_grow = 0;      // RRDBNet growth channels
    int num_conv = 0;      // compact body convolutions
    int unshuffle = 1;     // RRDBNet pixel-unshuffle factor (x2plus: 2, x1: 4)
    int kernels[3] = {0, 0, 0};  // SRCNN kernel sizes
    std::string padding;   // SRCNN: "zero" / "replicate" from metadata, or ""
    formats::TensorMap tensors;  // canonical names
    std::string script_path;     // TorchScript: the archive libtorch loads
    int64_t parameters = 0;

    std::string describe() const;
};

// Throws Error(model, "<name>: unknown architecture; keys that did not match: ...").
Architecture detect(formats::ModelFile file, const std::string& name);

}  // namespace upres::nn
