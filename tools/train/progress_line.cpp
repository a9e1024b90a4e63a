#include "progress_line.hpp"

#include <cstdio>
#include <unistd.h>

namespace upres_train {

ProgressLine::ProgressLine(int64_t first_step, int64_t total_steps, bool quiet)
    : first_(first_step), total_(total_steps), quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

double ProgressLine::elapsed_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressLine::step(int64_t done, double loss) {
    // Smoothed loss (single batches are noisy), bias-corrected like Adam's moments.
    ema_ = 0.98 * ema_ + 0.02 * loss;
    weight_ = 0.98 * weight_ + 0.02;
    loss_ = ema_ / weight_;
    if (quiet_ || !tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && done < total_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    draw(done);
}

void ProgressLine::draw(int64_t done) {
    constexpr int kWidth = 24;
    const double f = total_ > 0 ? double(done) / double(total_) : 1.0;
    const int fill = int(f * kWidth + 0.5);
    const double t = elapsed_seconds();
    const double rate = done > first_ ? t / double(done - first_) : 0;
    std::fprintf(stderr, "\r[%.*s%*s] %lld/%lld loss %.6f", fill, "########################", kWidth - fill, "",
                 (long long)done, (long long)total_, loss_);
    if (val_ > 0) std::fprintf(stderr, " val %.2f dB", val_);
    std::fprintf(stderr, " %.0fs (%.3fs/step)  ", t, rate);
    std::fflush(stderr);
    drawn_ = true;
}

void ProgressLine::epoch(int64_t done, double mean_loss, double val_psnr, double baseline_psnr) {
    val_ = val_psnr;
    if (quiet_) return;
    if (drawn_) std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "step %lld/%lld  loss %.6f", (long long)done, (long long)total_, mean_loss);
    if (val_psnr > 0) std::fprintf(stderr, "  val %.3f dB (bicubic %.3f, %+.3f)", val_psnr, baseline_psnr, val_psnr - baseline_psnr);
    std::fprintf(stderr, "  %.0fs\n", elapsed_seconds());
    std::fflush(stderr);
    drawn_ = false;
    if (tty_) draw(done);
}

void ProgressLine::finish() {
    if (drawn_ && !quiet_) std::fputs("\n", stderr);
    drawn_ = false;
}

}  // namespace upres_train
