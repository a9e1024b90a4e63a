#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "core/thread_pool.hpp"

using namespace upres;

TEST_CASE("parallel_for covers every index once for any thread count") {
    for (int threads : {1, 2, 3, 8}) {
        std::vector<std::atomic<int>> hits(1000);
        parallel_for(1000, threads, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
        });
        for (auto& h : hits) CHECK(h.load() == 1);
    }
}

TEST_CASE("parallel_for rethrows a worker's exception") {
    CHECK_THROWS_AS(parallel_for(100, 4, [&](int64_t b, int64_t) {
                        if (b > 0) throw std::runtime_error("boom");
                    }),
                    std::runtime_error);
}
