// `upres convert IN OUT.safetensors`: any model file upres reads (.safetensors, ncnn .param with
// its .bin, ...) rewritten as .safetensors with its architecture in the metadata.
#pragma once

namespace upres_cli {

int convert_command(int argc, char** argv);

}  // namespace upres_cli
