// `upres eval`: mean Y-PSNR / SSIM / time per method over a super-resolution dataset.
#pragma once

namespace upres_cli {

// argv[0] is "eval". Returns the process exit code (0 ok, 1 failed job, 2 usage error).
int eval_command(int argc, char** argv);

}  // namespace upres_cli
