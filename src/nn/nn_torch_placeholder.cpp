// PLACEHOLDER until the neural issue lands: libtorch is linked but no model runs yet.

#include "nn/nn.hpp"

namespace upres::nn {

bool available() { return true; }

const std::vector<MethodInfo>& methods() {
    static const std::vector<MethodInfo> list = {
        {"srcnn", "model", "SRCNN (needs a build with libtorch)"},
        {"esrgan", "model", "Real-ESRGAN x4plus (needs a build with libtorch)"},
        {"esrgan-fast", "model", "Real-ESRGAN compact x4 (needs a build with libtorch)"},
        {"model", "model", "a model file given by the option 'model' (needs a build with libtorch)"},
    };
    return list;
}

std::unique_ptr<Resampler> create(const std::string& name, const Options&) {
    for (const auto& m : methods())
        if (m.name == name)
            fail(Status::unsupported, "method '" + name + "' needs a model runtime; not implemented yet");
    return nullptr;
}

}  // namespace upres::nn
