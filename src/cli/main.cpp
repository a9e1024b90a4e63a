// The `upres` program: a client of the public C++ API (upres.hpp) only.
#include <cstdio>
#include <cstring>
#include <string>

#include <upres/upres.hpp>

#include "cli_common.hpp"
#include "compare_command.hpp"
#include "convert_command.hpp"
#include "eval_command.hpp"
#include "info_commands.hpp"
#include "upscale_command.hpp"

namespace {

const char* kHelp =
    "upres — image upscaling with classical filters and neural models\n"
    "\n"
    "usage: upres COMMAND [ARGS]\n"
    "  upscale INPUT... -o OUT [options]   upscale images (upres upscale --help)\n"
    "  methods                             list the resamplers\n"
    "  formats                             list the image file formats read and written\n"
    "  info FILE...                        describe images or model files\n"
    "  eval DATASET [--methods a,b]        Y-PSNR / SSIM / time over a dataset\n"
    "  compare HR [--methods a,b] -o OUT   mosaic of zoomed crops per method\n"
    "  convert MODEL OUT.safetensors       convert a model file (e.g. ncnn .param/.bin)\n"
    "  --version, --help\n"
    "\n"
    "Exit status: 0 success, 1 failed job, 2 usage error.\n";

}  // namespace

int main(int argc, char** argv) {
    using namespace upres_cli;
    if (argc < 2) {
        std::fputs(kHelp, stderr);
        return kExitUsage;
    }
    const std::string command = argv[1];
    try {
        if (command == "upscale") return upscale_command(argc - 1, argv + 1);
        if (command == "methods") return methods_command(argc - 1, argv + 1);
        if (command == "info") return info_command(argc - 1, argv + 1);
        if (command == "formats") return formats_command(argc - 1, argv + 1);
        if (command == "eval") return eval_command(argc - 1, argv + 1);
        if (command == "compare") return compare_command(argc - 1, argv + 1);
        if (command == "convert") return convert_command(argc - 1, argv + 1);
        if (command == "--version" || command == "version") {
            std::printf("upres %s\nCUDA devices: %d\n", upres::version().c_str(), int(upres::cuda_device_count()));
            return kExitOk;
        }
        if (command == "--help" || command == "-h" || command == "help") {
            std::fputs(kHelp, stdout);
            return kExitOk;
        }
    } catch (const std::exception& e) {
        // Anything that escaped a command is a bug in the CLI; still one clear line, never a crash.
        print_error(std::string("internal error: ") + e.what());
        return kExitFailed;
    }
    print_error("unknown command '" + command + "' (try upres --help)");
    return kExitUsage;
}
