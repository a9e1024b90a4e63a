#include "formats/state_dict.hpp"

#include "core/error.hpp"

namespace upres::formats {

int state_dict_wrapper_rank(const std::string& key) {
    static const char* const kWrappers[] = {"params_ema", "params", "state_dict", "model", "net", "netG"};
    for (int i = 0; i < int(sizeof kWrappers / sizeof kWrappers[0]); ++i)
        if (key == kWrappers[i]) return i;
    return -1;
}

TensorMap strip_key_prefixes(TensorMap tensors, const std::string& name) {
    static const std::string kPrefixes[] = {"module.", "netG."};
    TensorMap out;
    for (auto& [key, tensor] : tensors) {
        std::string k = key;
        for (bool stripped = true; stripped;) {
            stripped = false;
            for (const std::string& p : kPrefixes)
                if (k.size() > p.size() && k.compare(0, p.size(), p) == 0) k.erase(0, p.size()), stripped = true;
        }
        if (out.count(k)) fail(Status::model, name + ": tensors '" + key + "' and another both become '" + k +
                                                   "' once training prefixes are removed");
        out.emplace(std::move(k), std::move(tensor));
    }
    return out;
}

}  // namespace upres::formats
