#include "nn/arch/torchscript/torchscript.hpp"

namespace upres::nn::arch::torchscript {

const Family& family() {
    static const Family f{"torchscript", "TorchScript program (runs only with the option torchscript=1)",
                          {}, nullptr, nullptr, nullptr, nullptr, UPRES_NETWORK(build)};
    return f;
}

}  // namespace upres::nn::arch::torchscript
