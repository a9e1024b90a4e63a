#include "checkpoint.hpp"

#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "formats/model_file.hpp"

namespace upres_train {

namespace {

upres::formats::Tensor to_file_tensor(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kCPU, at::kFloat).contiguous();
    upres::formats::Tensor out;
    out.dtype = upres::formats::DType::f32;
    out.shape.assign(c.sizes().begin(), c.sizes().end());
    out.data.resize(size_t(c.numel()) * sizeof(float));
    if (c.numel() > 0) std::memcpy(out.data.data(), c.data_ptr<float>(), out.data.size());
    return out;
}

std::string real_text(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

// Settings that decide the network and the batches: a resumed run must use the same.
std::map<std::string, std::string> resume_settings(const TrainOptions& o) {
    return {{"kernels", kernels_text(o)},
            {"channels", o.channels == 1 ? "Y" : "RGB"},
            {"scale", std::to_string(o.scale)},
            {"padding", o.padding},
            {"patch", std::to_string(o.patch)},
            {"batch", std::to_string(o.batch)},
            {"seed", std::to_string(o.seed)},
            {"degradations", o.degradations.empty() ? "down:" + std::to_string(o.scale) + ",matlab" : o.degradations},
            {"images", std::to_string(o.max_images)}};
}

}  // namespace

upres::formats::TensorMap to_file_tensors(const std::map<std::string, at::Tensor>& tensors) {
    upres::formats::TensorMap m;
    for (const auto& [name, t] : tensors) m[name] = to_file_tensor(t);
    return m;
}

std::string resume_path_for(const std::string& model_path) {
    const std::string ext = ".safetensors";
    const bool has_ext = model_path.size() > ext.size() && model_path.compare(model_path.size() - ext.size(), ext.size(), ext) == 0;
    return (has_ext ? model_path.substr(0, model_path.size() - ext.size()) : model_path) + ".resume.safetensors";
}

std::map<std::string, std::string> model_metadata(const TrainOptions& o, int64_t step, double val_psnr) {
    std::map<std::string, std::string> m = resume_settings(o);
    m.erase("images");
    m["arch"] = "srcnn";
    m["recipe"] = o.recipe;
    m["step"] = std::to_string(step);
    m["lr"] = real_text(o.lr);
    m["last_lr_scale"] = real_text(o.last_layer_lr_scale);
    m["trainer"] = "upres-train";
    if (val_psnr > 0) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4f", val_psnr);
        m["val_psnr_y"] = buf;
        m["val_set"] = o.val_dir;
    }
    return m;
}

void save_checkpoint(const TrainOptions& o, const SrcnnTrainer& trainer, double val_psnr) {
    const auto meta = model_metadata(o, trainer.steps_done(), val_psnr);
    upres::formats::write_safetensors(o.out_path, to_file_tensors(trainer.weights()), meta);
    auto resume_meta = meta;
    for (const auto& kv : resume_settings(o)) resume_meta[kv.first] = kv.second;
    resume_meta["resume"] = "adam";
    upres::formats::write_safetensors(resume_path_for(o.out_path), to_file_tensors(trainer.state()), resume_meta);
}

int64_t load_resume(const std::string& path, const TrainOptions& o, SrcnnTrainer& trainer, std::string& earlier_recipe) {
    const upres::formats::ModelFile f = upres::formats::read_model_file(path);
    auto meta = [&](const std::string& key) {
        auto it = f.metadata.find(key);
        return it == f.metadata.end() ? std::string() : it->second;
    };
    if (meta("resume") != "adam") upres::fail(upres::Status::model, path + ": not an upres-train resume file");
    for (const auto& [key, value] : resume_settings(o))
        if (meta(key) != value)
            upres::fail(upres::Status::invalid_argument,
                        path + ": was trained with " + key + " '" + meta(key) + "', this run has '" + value + "'");
    int64_t step = -1;
    try {
        step = std::stoll(meta("step"));
    } catch (...) {
    }
    if (step < 0) upres::fail(upres::Status::model, path + ": bad 'step' metadata");
    const auto expected = trainer.state();
    std::map<std::string, at::Tensor> loaded;
    for (const auto& [name, want] : expected) {
        auto it = f.tensors.find(name);
        if (it == f.tensors.end()) upres::fail(upres::Status::model, path + ": missing tensor '" + name + "'");
        const upres::formats::Tensor& t = it->second;
        if (t.dtype != upres::formats::DType::f32 || t.shape != std::vector<int64_t>(want.sizes().begin(), want.sizes().end()))
            upres::fail(upres::Status::model, path + ": tensor '" + name + "' has the wrong type or shape");
        at::Tensor x = at::empty(t.shape, at::kFloat);
        if (x.numel() > 0) std::memcpy(x.data_ptr<float>(), t.data.data(), t.data.size());
        loaded[name] = x;
    }
    trainer.restore(loaded, step);
    earlier_recipe = meta("recipe");
    return step;
}

}  // namespace upres_train
