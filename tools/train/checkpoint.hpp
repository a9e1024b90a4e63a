// Checkpoints as .safetensors. The model file holds only conv1..conv3 weight/bias in PyTorch's
// OIHW layout (what src/nn/detect.cpp reads as SRCNN) and metadata: arch, scale, channels, padding,
// kernels, recipe, step, ... The resume file beside it adds Adam's moments ("adam.m.*", "adam.v.*")
// and the settings a continued run must share.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <string>

#include "formats/tensor_map.hpp"
#include "srcnn_trainer.hpp"
#include "train_options.hpp"

namespace upres_train {

// CPU f32 copies of libtorch tensors in the library's neutral tensor type.
upres::formats::TensorMap to_file_tensors(const std::map<std::string, at::Tensor>& tensors);

// "models/srcnn-x3.safetensors" -> "models/srcnn-x3.resume.safetensors".
std::string resume_path_for(const std::string& model_path);

// Metadata of the model file (also the base of the resume file's).
std::map<std::string, std::string> model_metadata(const TrainOptions& o, int64_t step, double val_psnr);

// Both files are written through a temporary file renamed into place (no partial checkpoint).
void save_checkpoint(const TrainOptions& o, const SrcnnTrainer& trainer, double val_psnr);

// Loads a resume file into the trainer; throws upres::Error naming the file when it does not match
// the run's architecture, channels, scale, padding, patch, batch or seed, or a tensor is missing or
// has the wrong shape. Returns the step it continues from; `earlier_recipe` receives the recipe
// recorded in the file (the commands that led to it).
int64_t load_resume(const std::string& path, const TrainOptions& o, SrcnnTrainer& trainer, std::string& earlier_recipe);

}  // namespace upres_train
