// The neural family's methods, as `upres methods` lists them: the named models of
// models/model_search.cpp and "model" (a file). The same list in builds without libtorch.
#include "models/model_search.hpp"
#include "nn/nn.hpp"

namespace upres::nn {

const std::vector<MethodInfo>& methods() {
    static const std::vector<MethodInfo> list = [] {
        const std::string needs = available() ? "" : " (needs a build with libtorch)";
        std::vector<MethodInfo> v;
        for (const auto& m : models::named_models()) v.push_back({m.method, "model", m.description + needs});
        v.push_back({"model", "model", "a model file given by the option 'model'" + needs});
        return v;
    }();
    return list;
}

}  // namespace upres::nn
