// The structs behind the opaque handles of upres.h. Only src/capi sees them.
#pragma once
#include <atomic>
#include <memory>

#include "core/image.hpp"
#include "core/metadata.hpp"
#include "core/options.hpp"
#include "core/resampler.hpp"

struct upres_bitmap {
    upres::Image image;
    upres::ImageMetadata metadata;  // from the file it was loaded from; saved with it
};

struct upres_options {
    upres::Options options;
};

struct upres_resampler {
    std::unique_ptr<upres::Resampler> resampler;
    upres::Options options;  // a copy, taken at creation
};

struct upres_cancel_token {
    std::atomic<bool> cancelled{false};
};
