#include "models/model_search.hpp"

#include <cstdlib>
#include <sstream>
#include <sys/stat.h>

#include "core/error.hpp"

namespace upres::models {

const std::vector<NamedModel>& named_models() {
    static const std::vector<NamedModel> list = {
        {"srcnn", "srcnn-x4.safetensors", "SRCNN 9-5-5 on Y (ships with upres)"},
        {"esrgan", "realesrgan-x4plus.safetensors", "Real-ESRGAN x4plus (RRDBNet, 23 blocks)"},
        {"esrgan-fast", "realesrgan-x4fast.safetensors", "Real-ESRGAN compact x4"},
    };
    return list;
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

std::string find_model(const NamedModel& model, const Options& options) {
    std::string searched;
    for (const auto& dir : search_path(options)) {
        const std::string p = dir + "/" + model.file;
        struct stat st {};
        if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return p;
        searched += (searched.empty() ? "" : ", ") + dir;
    }
    fail(Status::not_found, std::string("model '") + model.method + "' (" + model.file + ") not found in " +
                                (searched.empty() ? "(no folders)" : searched) +
                                (std::string(model.method) == "srcnn"
                                     ? "; it ships in the source tree's models/ folder (and is installed with upres)"
                                     : "; run scripts/fetch-models.sh or set UPRES_MODEL_PATH"));
}

}  // namespace upres::models
