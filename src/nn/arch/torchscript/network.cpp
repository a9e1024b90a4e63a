// TorchScript archives as generic networks. A TorchScript file carries a program, not only
// weights, so it is loaded only when the caller opted in (option "torchscript"=1, checked by the
// caller); libtorch's own loader runs it, and upres learns its scale by a trial run.
#include <torch/script.h>

#include "core/error.hpp"
#include "nn/arch/torchscript/torchscript.hpp"
#include "nn/network.hpp"

namespace upres::nn::arch::torchscript {

namespace {

class TorchScriptNetwork : public Network {
public:
    TorchScriptNetwork(torch::jit::Module module, int scale) : module_(std::move(module)), scale_(scale) {}
    at::Tensor forward(const at::Tensor& x) const override {
        // Module::forward is not const, but inference through it is thread-safe.
        auto& m = const_cast<torch::jit::Module&>(module_);
        c10::IValue out = m.forward({x});
        if (!out.isTensor()) fail(Status::model, "the TorchScript program did not return a tensor");
        return out.toTensor();
    }
    int measured_scale() const override { return scale_; }
    void set_scale(int s) { scale_ = s; }

private:
    torch::jit::Module module_;
    int scale_;
};

}  // namespace

std::unique_ptr<Network> build(const Model& m, const BuildSettings& s) {
    const std::string& path = m.path;
    const int scale = m.desc.scale;
    const at::Device device = device_of(s);
    const at::ScalarType dtype = dtype_of(s);
    torch::jit::Module module;
    try {
        module = torch::jit::load(path, device);
    } catch (const c10::Error& e) {
        fail(Status::model, path + ": not a loadable TorchScript program: " + e.what_without_backtrace());
    }
    module.eval();
    module.to(dtype);
    constexpr int64_t kProbe = 16;
    const at::Tensor probe = at::full({1, 3, kProbe, kProbe}, 0.5, at::TensorOptions().device(device).dtype(dtype));
    auto net = std::make_unique<TorchScriptNetwork>(std::move(module), scale);
    at::Tensor out;
    try {
        out = net->forward(probe);
    } catch (const c10::Error& e) {
        fail(Status::model, path + ": the TorchScript program failed on a 1x3x16x16 input: " + e.what_without_backtrace());
    }
    if (out.dim() != 4 || out.size(0) != 1 || out.size(1) != 3 || out.size(2) % kProbe || out.size(3) % kProbe ||
        out.size(2) != out.size(3))
        fail(Status::model, path + ": the TorchScript program must map [1,3,H,W] to [1,3,sH,sW]");
    const int measured = int(out.size(2) / kProbe);
    if (scale && scale != measured)
        fail(Status::model, path + ": model_scale is " + std::to_string(scale) + " but the program scales by " +
                                std::to_string(measured));
    net->set_scale(measured);
    return net;
}

}  // namespace upres::nn::arch::torchscript
