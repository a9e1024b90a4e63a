#pragma once

namespace upres_cli {

// `upres upscale INPUT... -o OUT [...]` (argv[0] is "upscale").
int upscale_command(int argc, char** argv);

}  // namespace upres_cli
