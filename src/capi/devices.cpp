// Devices the model runtime can use.
#include "capi/boundary.hpp"
#include "nn/nn.hpp"

using namespace upres;
using namespace upres::capi;

extern "C" {

UPRES_API int32_t upres_cuda_device_count(int32_t* out_count) {
    return UPRES_BOUNDARY({
        require(out_count, "out_count");
        *out_count = int32_t(nn::cuda_device_count());
    });
}

}  // extern "C"
