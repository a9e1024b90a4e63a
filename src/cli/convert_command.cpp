#include "convert_command.hpp"

#include <cstdio>
#include <cstring>
#include <string>

#include <upres/upres.hpp>

#include "cli_common.hpp"

namespace upres_cli {

namespace {

const char* kUsage =
    "usage: upres convert INPUT OUTPUT.safetensors\n"
    "  Reads a model (.safetensors, or an ncnn .param with its .bin beside it), checks that it is an\n"
    "  architecture upres runs, and writes it as .safetensors (weights in their stored precision).\n";

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

int convert_command(int argc, char** argv) {
    if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::fputs(kUsage, stdout);
        return kExitOk;
    }
    if (argc != 3) {
        print_error("convert: give one input model and one output .safetensors file (upres convert --help)");
        return kExitUsage;
    }
    const std::string in = argv[1], out = argv[2];
    if (!ends_with(out, ".safetensors")) {
        print_error("convert: the output '" + out + "' must end in .safetensors");
        return kExitUsage;
    }
    if (upres_model_convert(in.c_str(), out.c_str()) != UPRES_OK) {
        print_error(upres_last_error());
        return kExitFailed;
    }
    // Describing the written file (not the input) shows what a later run will load.
    size_t n = 0;
    if (upres_model_describe(out.c_str(), nullptr, 0, &n) != UPRES_OK) {
        print_error(upres_last_error());
        return kExitFailed;
    }
    std::string text(n + 1, '\0');
    upres::detail::check(upres_model_describe(out.c_str(), &text[0], text.size(), &n));
    text.resize(n);
    std::printf("%s: %s\n", out.c_str(), text.c_str());
    return kExitOk;
}

}  // namespace upres_cli
