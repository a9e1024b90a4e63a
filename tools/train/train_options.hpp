// The settings of one training run, parsed from the command line. The command line itself is kept
// as the "recipe" recorded in every checkpoint.
#pragma once
#include <cstdint>
#include <string>

namespace upres_train {

struct TrainOptions {
    std::string data_dir;              // training images (any format io::load_image reads)
    std::string out_path;              // model .safetensors; the resume file sits beside it
    std::string resume_path;           // resume file to continue from ("" = fresh start)
    std::string val_dir;               // dataset folder with hr/ (and lr/), "" = no validation
    std::string degradations;          // parse_degradations spec; "" = "down:<scale>,matlab"
    int scale = 3;
    int kernels[3] = {9, 5, 5};
    int features[2] = {64, 32};
    int channels = 1;                  // 1: BT.601 studio-range Y, 3: RGB
    std::string padding = "replicate"; // zero | replicate, used in training and recorded
    int patch = 33;                    // HR patch side (the network input is the degraded patch, same size)
    int batch = 16;
    int64_t steps = 20000;             // total optimiser steps (a resumed run counts the earlier ones)
    int64_t epoch_steps = 500;         // steps between validation + checkpoint
    int max_images = 0;                // use only the first N images (sorted by name); 0 = all
    int loss_border = 0;               // pixels per patch side left out of the loss
    double lr = 1e-4;
    double last_layer_lr_scale = 1.0;  // the paper trained the last layer with a 10x smaller rate: 0.1
    double max_minutes = 0;            // stop (and save) after this wall-clock time; 0 = no limit
    uint64_t seed = 1;
    int threads = 1;
    std::string device = "cpu";        // cpu | cuda[:N]
    bool quiet = false;
    std::string recipe;                // the command line, quoted where needed
};

// Parses argv; prints usage and exits 0 for --help, prints an error naming the option and exits 2
// for a bad command line.
TrainOptions parse_train_options(int argc, char** argv);

// "9-5-5" for the kernels.
std::string kernels_text(const TrainOptions& o);

}  // namespace upres_train
