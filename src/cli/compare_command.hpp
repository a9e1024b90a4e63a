// `upres compare`: a side-by-side mosaic of zoomed crops, one per method, labelled with PSNR.
#pragma once

namespace upres_cli {

int compare_command(int argc, char** argv);

}  // namespace upres_cli
