#pragma once

namespace upres_cli {

// `upres methods`: the resamplers this build knows.
int methods_command(int argc, char** argv);
// `upres formats`: the image file formats this build reads and writes.
int formats_command(int argc, char** argv);
// `upres info FILE...`: describes images (and model files where the library can).
int info_command(int argc, char** argv);

}  // namespace upres_cli
