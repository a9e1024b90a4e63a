#include "progress_bar.hpp"

#include <cstdio>
#include <unistd.h>

namespace upres_cli {

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

bool ProgressBar::update(uint64_t done, uint64_t total) {
    if (!enabled_ || total == 0) return true;
    const auto now = std::chrono::steady_clock::now();
    // Short jobs stay quiet: draw only after half a second, then at most 10 times a second.
    if (now - start_ < std::chrono::milliseconds(500)) return true;
    if (drawn_ && done < total && now - last_ < std::chrono::milliseconds(100)) return true;
    last_ = now;
    drawn_ = true;
    constexpr int kWidth = 30;
    const double f = double(done) / double(total);
    const int fill = int(f * kWidth + 0.5);
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %6.1fs", label_.c_str(), fill, "##############################",
                 kWidth - fill, "", int(f * 100 + 0.5), elapsed);
    std::fflush(stderr);
    return true;
}

void ProgressBar::finish() {
    if (drawn_) std::fputs("\n", stderr);
    drawn_ = false;
}

}  // namespace upres_cli
