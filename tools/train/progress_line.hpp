// Training progress on stderr: on a terminal one line redrawn in place (bar, step, loss, last
// validation PSNR, elapsed time); otherwise (logs) one line per epoch.
#pragma once
#include <chrono>
#include <cstdint>

namespace upres_train {

class ProgressLine {
public:
    ProgressLine(int64_t first_step, int64_t total_steps, bool quiet);
    // After every step: redraws at most ~5 times a second.
    void step(int64_t done, double loss);
    // After a validation: prints a permanent line.
    void epoch(int64_t done, double mean_loss, double val_psnr, double baseline_psnr);
    void finish();
    double elapsed_seconds() const;

private:
    void draw(int64_t done);
    int64_t first_, total_;
    bool quiet_, tty_, drawn_ = false;
    double loss_ = 0, ema_ = 0, weight_ = 0, val_ = 0;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace upres_train
