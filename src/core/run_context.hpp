// What one run carries besides its images: the progress callback and the cancellation flag.
// Progress is reported only from the thread that started the run (the C ABI promises it).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>

#include "core/error.hpp"

namespace upres {

class RunContext {
public:
    // progress returns false to cancel. cancel_flag may be null; it may be set from any thread.
    using Progress = std::function<bool(uint64_t done, uint64_t total)>;

    RunContext() = default;
    RunContext(Progress progress, const std::atomic<bool>* cancel_flag)
        : progress_(std::move(progress)), cancel_(cancel_flag) {}

    bool cancelled() const {
        return stopped_.load(std::memory_order_relaxed) || (cancel_ && cancel_->load(std::memory_order_relaxed));
    }
    // Throws Error(cancelled) when the run must stop. Safe to call from worker threads.
    void check_cancelled() const {
        if (cancelled()) fail(Status::cancelled, "cancelled");
    }
    // Calling thread only: reports progress, then checks for cancellation.
    void report(uint64_t done, uint64_t total) {
        if (progress_ && !progress_(done, total)) stopped_.store(true, std::memory_order_relaxed);
        check_cancelled();
    }

private:
    Progress progress_;
    const std::atomic<bool>* cancel_ = nullptr;
    std::atomic<bool> stopped_{false};
};

}  // namespace upres
