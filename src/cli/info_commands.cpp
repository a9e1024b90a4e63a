#include "info_commands.hpp"

#include <cstdio>
#include <string>

#include <upres/upres.hpp>

#include "cli_common.hpp"

namespace upres_cli {

int formats_command(int argc, char**) {
    if (argc > 1) {
        print_error("formats: takes no arguments");
        return kExitUsage;
    }
    std::printf("%-6s %-20s %-6s %-6s %s\n", "format", "extensions", "read", "write", "codec");
    for (const auto& f : upres::file_formats())
        std::printf("%-6s %-20s %-6s %-6s %s\n", f.name.c_str(), f.extensions.c_str(), f.read ? "yes" : "-",
                    f.write ? "yes" : "-", f.codec.c_str());
    return kExitOk;
}

int methods_command(int argc, char**) {
    if (argc > 1) {
        print_error("methods: takes no arguments");
        return kExitUsage;
    }
    // Named models say which file they would load, or where upres looked and how to get them.
    for (const std::string& m : upres::methods()) {
        size_t n = 0;
        if (upres_method_describe(m.c_str(), nullptr, nullptr, 0, &n) == UPRES_OK) {
            std::string text(n + 1, '\0');
            upres::detail::check(upres_method_describe(m.c_str(), nullptr, &text[0], text.size(), &n));
            text.resize(n);
            std::printf("%-14s %s\n", m.c_str(), text.c_str());
        } else {
            std::string why = upres_last_error();
            const size_t colon = why.find(": ");
            if (why.rfind("upres_", 0) == 0 && colon != std::string::npos) why = why.substr(colon + 2);
            std::printf("%-14s unavailable: %s\n", m.c_str(), why.c_str());
        }
    }
    // What `--model FILE` accepts: the registry's families, detected from the weights.
    std::string families;
    for (const auto& a : upres::architectures()) families += (families.empty() ? "" : ", ") + a.name + " (" + a.title + ")";
    std::printf("\nmodel files of these architectures are detected from their weights: %s\n", families.c_str());
    return kExitOk;
}

namespace {
const char* sample_name(int32_t t) {
    return t == UPRES_SAMPLE_U8 ? "8-bit" : t == UPRES_SAMPLE_U16 ? "16-bit" : t == UPRES_SAMPLE_F32 ? "float" : "?";
}
const char* layout_name(int32_t c) {
    static const char* names[] = {"?", "gray", "gray+alpha", "RGB", "RGBA"};
    return c >= 1 && c <= 4 ? names[c] : "?";
}
}  // namespace

int info_command(int argc, char** argv) {
    if (argc < 2) {
        print_error("info: give one or more files");
        return kExitUsage;
    }
    int failures = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string path = argv[i];
        try {
            const upres::Image im = upres::probe_file(path);
            std::printf("%s: image %dx%d, %s, %s samples\n", path.c_str(), im.width, im.height,
                        layout_name(im.channels), sample_name(im.sample_type));
            continue;
        } catch (const upres::Error& e) {
            if (e.status() != UPRES_E_FORMAT) {
                print_error(e.what());
                ++failures;
                continue;
            }
            // Not an image: perhaps a model file (a file named like an image keeps the image error).
            const bool image_name = is_image_extension(extension_of(path));
            size_t n = 0;
            if (!image_name && upres_model_describe(path.c_str(), nullptr, 0, &n) == UPRES_OK) {
                std::string text(n + 1, '\0');
                upres::detail::check(upres_model_describe(path.c_str(), &text[0], text.size(), &n));
                text.resize(n);
                std::printf("%s: model, %s\n", path.c_str(), text.c_str());
                continue;
            }
            print_error(image_name ? std::string(e.what()) : std::string(upres_last_error()));
            ++failures;
        }
    }
    return failures ? kExitFailed : kExitOk;
}

}  // namespace upres_cli
