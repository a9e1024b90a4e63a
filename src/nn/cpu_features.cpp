#include "nn/cpu_features.hpp"

#if UPRES_WITH_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace upres::nn {

namespace {

#if UPRES_WITH_DNNL
// oneDNN's ISA values are bit sets, each containing the bits of the ones it extends.
bool onednn_has(dnnl::cpu_isa isa) {
    const unsigned have = unsigned(dnnl::get_effective_cpu_isa()), need = unsigned(isa);
    return (have & need) == need;
}
#endif

}  // namespace

bool cpu_runs_bf16() {
    static const bool yes = [] {
#if defined(__x86_64__)
        if (!__builtin_cpu_supports("avx512bf16")) return false;
#if UPRES_WITH_DNNL
        return onednn_has(dnnl::cpu_isa::avx512_core_bf16);
#else
        return true;
#endif
#else
        return false;
#endif
    }();
    return yes;
}

bool cpu_runs_blocked_onednn() {
#if UPRES_WITH_DNNL
    static const bool yes = onednn_has(dnnl::cpu_isa::avx512_core);
    return yes;
#else
    return false;
#endif
}

}  // namespace upres::nn
