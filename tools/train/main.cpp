// upres-train: trains SRCNN on random patches of a folder of images and writes .safetensors models
// that upres runs as they are. See `upres-train --help` and models/README.md.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "checkpoint.hpp"
#include "core/error.hpp"
#include "nn/torch_device.hpp"
#include "progress_line.hpp"
#include "srcnn_trainer.hpp"
#include "train_options.hpp"
#include "training_data.hpp"
#include "validation.hpp"

namespace {

int train(upres_train::TrainOptions o) {
    using namespace upres_train;
    // Same seed, same threads -> same weights: fixed thread counts, deterministic kernels.
    at::set_num_threads(o.threads);
    at::manual_seed(o.seed);
    at::globalContext().setDeterministicCuDNN(true);
    at::globalContext().setBenchmarkCuDNN(false);
    // The library's reading of device names: the same refusals and messages, before any data is read.
    const at::Device device = upres::nn::torch_device(o.device);

    TrainingData data(o.data_dir, o.max_images, o.scale, o.degradations, o.channels, o.patch, o.seed, o.threads);
    std::unique_ptr<Validator> validator;
    double baseline = 0;
    if (!o.val_dir.empty()) {
        validator = std::make_unique<Validator>(o.val_dir, o.scale, o.device, o.threads);
        baseline = validator->bicubic_psnr();
    }
    SrcnnTrainer trainer(o, device);
    if (!o.resume_path.empty()) {
        // The recorded recipe keeps the whole history: "first command [until step N]; then resumed
        // command". The step each earlier command reached is recorded because --max-minutes stops
        // by the clock: replaying a run exactly means giving that command --steps N instead.
        std::string earlier;
        const int64_t resumed_at = load_resume(o.resume_path, o, trainer, earlier);
        if (!earlier.empty()) o.recipe = earlier + " [until step " + std::to_string(resumed_at) + "]; then " + o.recipe;
    }
    if (!o.quiet) {
        std::fprintf(stderr, "SRCNN %s %s x%d, %s padding: %zu training images, patch %d, batch %d, lr %g (last layer x%g)",
                     kernels_text(o).c_str(), o.channels == 1 ? "Y" : "RGB", o.scale, o.padding.c_str(), data.image_count(),
                     o.patch, o.batch, o.lr, o.last_layer_lr_scale);
        if (validator) std::fprintf(stderr, "; validation: %zu images, bicubic %.3f dB", validator->image_count(), baseline);
        if (trainer.steps_done() > 0) std::fprintf(stderr, "; resuming at step %lld", (long long)trainer.steps_done());
        std::fprintf(stderr, "\n");
    }

    const int64_t first_step = trainer.steps_done();
    ProgressLine progress(first_step, o.steps, o.quiet);
    double loss_sum = 0;
    int64_t loss_count = 0;
    at::Tensor input, target;
    while (trainer.steps_done() < o.steps) {
        data.batch(trainer.steps_done(), o.batch, input, target);
        const double loss = trainer.step(input, target);
        if (!std::isfinite(loss))
            upres::fail(upres::Status::internal, "the loss diverged at step " + std::to_string(trainer.steps_done()) +
                                                     " (try a smaller --lr)");
        loss_sum += loss;
        ++loss_count;
        const int64_t done = trainer.steps_done();
        progress.step(done, loss);
        const bool out_of_time = o.max_minutes > 0 && progress.elapsed_seconds() > o.max_minutes * 60;
        if (done % o.epoch_steps == 0 || done == o.steps || out_of_time) {
            const double val = validator ? validator->model_psnr(trainer.weights(), model_metadata(o, done, 0)) : 0;
            save_checkpoint(o, trainer, val);
            progress.epoch(done, loss_sum / double(loss_count), val, baseline);
            loss_sum = 0;
            loss_count = 0;
        }
        if (out_of_time) break;
    }
    progress.finish();
    if (first_step >= o.steps && !o.quiet)
        std::fprintf(stderr, "nothing to do: already at step %lld of %lld\n", (long long)trainer.steps_done(),
                     (long long)o.steps);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const upres_train::TrainOptions o = upres_train::parse_train_options(argc, argv);
    try {
        return train(o);
    } catch (const upres::Error& e) {
        std::fprintf(stderr, "upres-train: %s\n", e.what());
    } catch (const c10::Error& e) {
        std::fprintf(stderr, "upres-train: libtorch: %s\n", e.what_without_backtrace());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "upres-train: %s\n", e.what());
    }
    return 1;
}
