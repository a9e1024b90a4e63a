// Built instead of the libtorch code when UPRES_WITH_TORCH=OFF: the same entry points, and every
// model request answers UPRES_E_UNSUPPORTED.
#include "nn/nn.hpp"

namespace upres::nn {

bool available() { return false; }

int cuda_device_count() { return 0; }

int cuda_index(const std::string& device) {
    if (device == "cpu") return -1;
    fail(Status::unsupported, "device '" + device + "': this upres was built without libtorch");
}

std::unique_ptr<Resampler> create(const std::string& name, const Options&) {
    for (const auto& m : methods())
        if (m.name == name)
            fail(Status::unsupported, "method '" + name + "' needs a model runtime; this upres was built without libtorch");
    return nullptr;
}

}  // namespace upres::nn
