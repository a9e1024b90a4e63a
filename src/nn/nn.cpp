// The neural family's entry points (libtorch builds).
#include "nn/nn.hpp"

#include "formats/model_file.hpp"
#include "models/model_search.hpp"
#include "nn/detect.hpp"
#include "nn/model_resampler.hpp"

namespace upres::nn {

bool available() { return true; }

const std::vector<MethodInfo>& methods() {
    static const std::vector<MethodInfo> list = [] {
        std::vector<MethodInfo> v;
        for (const auto& m : models::named_models()) v.push_back({m.method, "model", m.description});
        v.push_back({"model", "model", "a model file given by the option 'model'"});
        return v;
    }();
    return list;
}

std::unique_ptr<Resampler> create(const std::string& name, const Options& options) {
    std::string path;
    if (name == "model") {
        path = options.get_string("model");
        if (path.empty()) fail(Status::invalid_argument, "method 'model' needs the option 'model' (a model file)");
    } else {
        for (const auto& m : models::named_models())
            if (name == m.method) path = models::find_model(m, options);
        if (path.empty()) return nullptr;
    }
    if (formats::looks_like_torchscript(path)) {
        if (!options.get_int("torchscript"))
            fail(Status::unsupported, path + ": a TorchScript program (it carries code that libtorch would run); "
                                             "set the option torchscript=1 to allow it");
        Architecture a;
        a.arch = Arch::torchscript;
        a.scale = int(options.get_int("model_scale"));
        a.script_path = path;
        return make_model_resampler(std::move(a), options, path);
    }
    formats::ModelFile file = formats::read_model_file(path);
    Architecture arch = detect(std::move(file), path);
    return make_model_resampler(std::move(arch), options, path);
}

}  // namespace upres::nn
