// What the CPU offers the neural code, as oneDNN sees it: ONEDNN_MAX_CPU_ISA lowers it too, so one
// machine can run the paths a smaller CPU takes (ONEDNN_MAX_CPU_ISA=AVX2 ctest ...).
#pragma once

namespace upres::nn {

// bf16 arithmetic (AVX512-BF16): precision "bf16" on the CPU needs it, "auto" picks it with it.
bool cpu_runs_bf16();

// oneDNN's JIT kernels for the blocked nChw16c f32 layout (AVX-512, avx512_core): the oneDNN chains
// (onednn_chain.hpp) and the RRDBNet trunk run only with them. Without them oneDNN falls back to its
// reference kernels, a hundred times slower than ATen's convolutions, so the networks use ATen.
// False in builds without oneDNN.
bool cpu_runs_blocked_onednn();

}  // namespace upres::nn
