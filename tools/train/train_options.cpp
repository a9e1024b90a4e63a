#include "train_options.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace upres_train {

namespace {

void usage(FILE* f) {
    std::fprintf(f,
        "usage: upres-train --data DIR --out MODEL.safetensors [options]\n"
        "Trains SRCNN on random patches of the images in DIR (LR made by the library's degradations).\n"
        "  --scale S              upscaling factor the model is trained for (default 3)\n"
        "  --arch 9-5-5|9-3-5|9-1-5  kernel sizes of the three layers (default 9-5-5)\n"
        "  --channels y|rgb       BT.601 studio-range Y (default) or RGB\n"
        "  --padding replicate|zero  border padding used in training and recorded (default replicate)\n"
        "  --degrade SPEC         degradation pipeline (default 'down:S,matlab'); the LR is enlarged\n"
        "                         back with MATLAB bicubic, as upres does before running SRCNN\n"
        "  --patch N              HR patch side (default 33)   --batch N   patches per step (default 16)\n"
        "  --steps N              total steps (default 20000)  --epoch-steps N  steps per epoch (default 500)\n"
        "  --lr X                 Adam learning rate (default 1e-4)\n"
        "  --last-lr-scale X      learning-rate factor of the last layer (paper: 0.1; default 1)\n"
        "  --loss-border N        pixels per patch side left out of the loss (default 0); at least the\n"
        "                         receptive radius (8 at 9-5-5) keeps padding out of the loss, as in\n"
        "                         the paper, and trains with unpadded convolutions (faster)\n"
        "  --val DIR              validation set (hr/ and lr/), evaluated every epoch\n"
        "  --images N             use only the first N training images\n"
        "  --seed N               seed of initialisation, patches and augmentation (default 1)\n"
        "  --threads N            CPU threads (default 1; fixed so that runs repeat exactly)\n"
        "  --device cpu|cuda[:N]  where to train (default cpu)\n"
        "  --resume FILE          continue from a resume file written by an earlier run\n"
        "  --max-minutes M        stop after M minutes, saving a checkpoint\n"
        "  --quiet                no progress output\n"
        "Writes MODEL.safetensors (the weights, loadable by upres) and MODEL.resume.safetensors\n"
        "(weights and Adam state) after every epoch and at the end.\n");
}

[[noreturn]] void bad(const std::string& msg) {
    std::fprintf(stderr, "upres-train: %s\n", msg.c_str());
    std::exit(2);
}

std::string quote(const std::string& a) {
    if (!a.empty() && a.find_first_of(" \t\n'\"\\$`;&|<>*?()") == std::string::npos) return a;
    std::string q = "'";
    for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

long long to_int(const std::string& opt, const std::string& v, long long lo, long long hi) {
    size_t used = 0;
    long long x = 0;
    try {
        x = std::stoll(v, &used);
    } catch (...) {
        used = 0;
    }
    if (used != v.size() || v.empty() || x < lo || x > hi)
        bad(opt + " needs an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", not '" + v + "'");
    return x;
}

double to_real(const std::string& opt, const std::string& v, double lo, double hi) {
    size_t used = 0;
    double x = 0;
    try {
        x = std::stod(v, &used);
    } catch (...) {
        used = 0;
    }
    if (used != v.size() || v.empty() || !(x >= lo && x <= hi))
        bad(opt + " needs a number in " + std::to_string(lo) + ".." + std::to_string(hi) + ", not '" + v + "'");
    return x;
}

}  // namespace

std::string kernels_text(const TrainOptions& o) {
    return std::to_string(o.kernels[0]) + "-" + std::to_string(o.kernels[1]) + "-" + std::to_string(o.kernels[2]);
}

TrainOptions parse_train_options(int argc, char** argv) {
    TrainOptions o;
    o.recipe = "upres-train";
    for (int i = 1; i < argc; ++i) o.recipe += " " + quote(argv[i]);
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) bad(a + " needs a value");
            return argv[++i];
        };
        if (a == "-h" || a == "--help") {
            usage(stdout);
            std::exit(0);
        } else if (a == "--data") o.data_dir = value();
        else if (a == "--out") o.out_path = value();
        else if (a == "--resume") o.resume_path = value();
        else if (a == "--val") o.val_dir = value();
        else if (a == "--degrade") o.degradations = value();
        else if (a == "--scale") o.scale = int(to_int(a, value(), 1, 16));
        else if (a == "--arch") {
            const std::string v = value();
            if (v == "9-5-5") o.kernels[1] = 5;
            else if (v == "9-3-5") o.kernels[1] = 3;
            else if (v == "9-1-5") o.kernels[1] = 1;
            else bad("--arch must be 9-5-5, 9-3-5 or 9-1-5, not '" + v + "'");
        } else if (a == "--channels") {
            const std::string v = value();
            if (v == "y" || v == "Y") o.channels = 1;
            else if (v == "rgb" || v == "RGB") o.channels = 3;
            else bad("--channels must be y or rgb, not '" + v + "'");
        } else if (a == "--padding") {
            o.padding = value();
            if (o.padding != "zero" && o.padding != "replicate") bad("--padding must be zero or replicate");
        } else if (a == "--patch") o.patch = int(to_int(a, value(), 8, 512));
        else if (a == "--batch") o.batch = int(to_int(a, value(), 1, 4096));
        else if (a == "--steps") o.steps = to_int(a, value(), 0, 1000000000);
        else if (a == "--epoch-steps") o.epoch_steps = to_int(a, value(), 1, 1000000000);
        else if (a == "--images") o.max_images = int(to_int(a, value(), 0, 1000000));
        else if (a == "--loss-border") o.loss_border = int(to_int(a, value(), 0, 255));
        else if (a == "--lr") o.lr = to_real(a, value(), 0, 1);
        else if (a == "--last-lr-scale") o.last_layer_lr_scale = to_real(a, value(), 0, 100);
        else if (a == "--max-minutes") o.max_minutes = to_real(a, value(), 0, 1e7);
        else if (a == "--seed") o.seed = uint64_t(to_int(a, value(), 0, (1LL << 62)));
        else if (a == "--threads") o.threads = int(to_int(a, value(), 1, 1024));
        else if (a == "--device") o.device = value();
        else if (a == "--quiet") o.quiet = true;
        else bad("unknown option " + a + " (see --help)");
    }
    if (o.data_dir.empty() || o.out_path.empty()) {
        usage(stderr);
        std::exit(2);
    }
    if (2 * o.loss_border >= o.patch) bad("--loss-border leaves nothing of a " + std::to_string(o.patch) + "-pixel patch");
    return o;
}

}  // namespace upres_train
