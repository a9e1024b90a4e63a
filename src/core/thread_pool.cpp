#include "core/thread_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace upres {

int resolve_threads(int64_t requested) {
    if (requested > 0) return int(std::min<int64_t>(requested, 1024));
    unsigned hw = std::thread::hardware_concurrency();
    return hw ? int(hw) : 1;
}

namespace {

// A lazily started, process-wide set of workers; grows to the largest thread count asked for.
class Pool {
public:
    static Pool& instance() {
        static Pool* pool = new Pool;  // never destroyed: workers may outlive static destructors
        return *pool;
    }

    void ensure_workers(int n) {
        std::lock_guard<std::mutex> lock(mutex_);
        while (int(workers_.size()) < n) {
            workers_.emplace_back([this] { work(); });
            workers_.back().detach();
        }
    }

    void submit(std::function<void()> task) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            tasks_.push_back(std::move(task));
        }
        cv_.notify_one();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [this] { return !tasks_.empty(); });
                task = std::move(tasks_.front());
                tasks_.pop_front();
            }
            task();
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    std::vector<std::thread> workers_;
};

}  // namespace

void parallel_for(int64_t count, int threads, const std::function<void(int64_t, int64_t)>& body) {
    if (count <= 0) return;
    const int chunks = int(std::max<int64_t>(1, std::min<int64_t>(threads, count)));
    if (chunks == 1) {
        body(0, count);
        return;
    }
    std::mutex mutex;
    std::condition_variable done_cv;
    int remaining = chunks - 1;
    std::exception_ptr first_error;
    auto range = [&](int c, int64_t& b, int64_t& e) {
        b = count * c / chunks;
        e = count * (c + 1) / chunks;
    };
    Pool& pool = Pool::instance();
    pool.ensure_workers(chunks - 1);
    for (int c = 1; c < chunks; ++c) {
        pool.submit([&, c] {
            int64_t b, e;
            range(c, b, e);
            std::exception_ptr err;
            try {
                body(b, e);
            } catch (...) {
                err = std::current_exception();
            }
            std::lock_guard<std::mutex> lock(mutex);
            if (err && !first_error) first_error = err;
            if (--remaining == 0) done_cv.notify_one();
        });
    }
    std::exception_ptr own_error;
    try {
        int64_t b, e;
        range(0, b, e);
        body(b, e);
    } catch (...) {
        own_error = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex);
    done_cv.wait(lock, [&] { return remaining == 0; });
    if (own_error) std::rethrow_exception(own_error);
    if (first_error) std::rethrow_exception(first_error);
}

}  // namespace upres
