#include "models/model_search.hpp"

#include <cstdlib>
#include <sstream>
#include <sys/stat.h>

#include "core/error.hpp"

namespace upres::models {

const std::vector<NamedModel>& named_models() {
    static const std::vector<NamedModel> list = {
        {"srcnn", "SRCNN 9-5-5 on Y, trained by upres-train (x2, x3, x4; the closest to the scale asked for)",
         {{2, "srcnn-x2.safetensors"}, {3, "srcnn-x3.safetensors"}, {4, "srcnn-x4.safetensors"}},
         "it ships in the source tree's models/ folder (and is installed with upres)"},
        {"esrgan", "Real-ESRGAN x4plus (RRDBNet, 23 blocks)", {{4, "realesrgan-x4plus.safetensors"}},
         "run scripts/fetch-models.sh or set UPRES_MODEL_PATH"},
        {"esrgan-fast", "Real-ESRGAN compact x4", {{4, "realesrgan-x4fast.safetensors"}},
         "run scripts/fetch-models.sh or set UPRES_MODEL_PATH"},
        {"realcugan", "Real-CUGAN conservative (x2, x3, x4; the closest to the scale asked for)",
         {{2, "realcugan-x2.safetensors"}, {3, "realcugan-x3.safetensors"}, {4, "realcugan-x4.safetensors"}},
         "run scripts/fetch-models.sh --extra realcugan"},
        {"waifu2x", "waifu2x upconv_7 anime_style_art_rgb x2 (no denoising)", {{2, "waifu2x-x2.safetensors"}},
         "run scripts/fetch-models.sh --extra waifu2x"},
        {"waifu2x-denoise", "waifu2x cunet 1x denoiser, noise level 1 (keeps the size; final_method scales)",
         {{1, "waifu2x-cunet-noise1.safetensors"}}, "run scripts/fetch-models.sh --extra waifu2x"},
    };
    return list;
}

const NamedModel* find_named_model(const std::string& method) {
    for (const auto& m : named_models())
        if (method == m.method) return &m;
    return nullptr;
}

std::vector<std::string> search_path(const Options& options) {
    std::vector<std::string> dirs;
    auto add_list = [&](const std::string& list) {
        std::stringstream ss(list);
        std::string d;
        while (std::getline(ss, d, ':'))
            if (!d.empty()) dirs.push_back(d);
    };
    add_list(options.get_string("model_path"));
    if (const char* env = std::getenv("UPRES_MODEL_PATH")) add_list(env);
#ifdef UPRES_BUILD_MODEL_DIR
    dirs.push_back(UPRES_BUILD_MODEL_DIR);
#endif
#ifdef UPRES_INSTALL_MODEL_DIR
    dirs.push_back(UPRES_INSTALL_MODEL_DIR);
#endif
#ifdef UPRES_SOURCE_MODEL_DIR
    dirs.push_back(UPRES_SOURCE_MODEL_DIR);
#endif
    return dirs;
}

std::string find_model(const NamedModel& model, const ModelFileName& file, const Options& options) {
    std::string searched;
    for (const auto& dir : search_path(options)) {
        const std::string p = dir + "/" + file.file;
        struct stat st {};
        if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return p;
        searched += (searched.empty() ? "" : ", ") + dir;
    }
    fail(Status::not_found, std::string("model '") + model.method + "' (" + file.file + ") not found in " +
                                (searched.empty() ? "(no folders)" : searched) + "; " + model.how_to_get);
}

}  // namespace upres::models
