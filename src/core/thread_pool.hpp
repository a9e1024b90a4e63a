// Parallel loops over row ranges. Work is split into equal contiguous chunks so results never
// depend on the thread count (each output element is computed by exactly one deterministic call).
#pragma once
#include <cstdint>
#include <functional>

namespace upres {

// Resolves a "threads" option: 0 means one per hardware thread.
int resolve_threads(int64_t requested);

// Calls body(begin, end) over [0, count) split into at most `threads` chunks, on the calling thread
// plus threads-1 pool workers. Rethrows the first exception a chunk threw.
void parallel_for(int64_t count, int threads, const std::function<void(int64_t begin, int64_t end)>& body);

}  // namespace upres
