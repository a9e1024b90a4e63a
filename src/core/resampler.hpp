// The one interface behind every method: classical filters and neural models alike take a source
// view and fill a destination view, reporting progress and honouring cancellation.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/image.hpp"
#include "core/options.hpp"
#include "core/run_context.hpp"

namespace upres {

// One method as `upres methods` lists it (every family's entry points return these).
struct MethodInfo {
    std::string name;
    std::string kind;         // "classical" or "model"
    std::string description;
};

class Resampler {
public:
    virtual ~Resampler() = default;

    virtual std::string name() const = 0;
    // The integer scale the method works at natively (4 for an x4 model); 0 when every size is
    // native (classical filters). Other sizes are reached by a classical resize afterwards.
    virtual int native_scale() const { return 0; }

    // src and dst are validated views with the same channel count and sample type. Must be
    // callable from several threads at once (a resampler is immutable after creation).
    virtual void resample(const ImageView& src, const ImageView& dst, RunContext& run) const = 0;
};

}  // namespace upres
