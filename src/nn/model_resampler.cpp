// Runs a network over an image: sample conversion, colour handling (Y models, gray, alpha),
// tiling with overlap, progress and cancellation between tiles, and the final classical resize.
#include "nn/model_resampler.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "classical/classical.hpp"
#include "nn/networks.hpp"
#include "nn/torch_device.hpp"
#include "registry/registry.hpp"

namespace upres::nn {

namespace {

bool cpu_has_bf16() { return __builtin_cpu_supports("avx512bf16"); }

// BT.601 studio-range YCbCr on the 0..1 scale (the SRCNN paper's colour space).
void rgb_to_ycbcr(const float* rgb, float* ycc) {
    const float r = rgb[0], g = rgb[1], b = rgb[2];
    ycc[0] = (16.0f + 65.481f * r + 128.553f * g + 24.966f * b) / 255.0f;
    ycc[1] = (128.0f - 37.797f * r - 74.203f * g + 112.0f * b) / 255.0f;
    ycc[2] = (128.0f + 112.0f * r - 93.786f * g - 18.214f * b) / 255.0f;
}

void ycbcr_to_rgb(const float* ycc, float* rgb) {
    const float y = ycc[0] * 255.0f - 16.0f, cb = ycc[1] * 255.0f - 128.0f, cr = ycc[2] * 255.0f - 128.0f;
    rgb[0] = (y * 0.00456621f + cr * 0.00625893f);
    rgb[1] = (y * 0.00456621f - cb * 0.00153632f - cr * 0.00318811f);
    rgb[2] = (y * 0.00456621f + cb * 0.00791071f);
}

class ModelResampler : public Resampler {
public:
    ModelResampler(Architecture a, const Options& o, std::string label)
        : arch_(std::move(a)), label_(std::move(label)), options_(o) {
        const std::string device = o.get_string("device");
        device_ = torch_device(device);
        const std::string precision = o.get_string("precision");
        dtype_ = at::kFloat;
        // auto: the fastest precision measured to stay >= 50 dB from fp32 on Set5 and Set14 x4
        // (docs/models.md, "Precision"): bf16 for compact models on CPUs with AVX512-BF16 (x4fast
        // 51.5-55.1 dB, 2.5x faster), fp16 for RRDBNet on CUDA (x4plus 59.0-63.7 dB on Set5). Not bf16
        // for RRDBNet on the CPU: x4plus gives 48.3 dB on Set14 baboon, for 1.2-1.5x the speed of fp32's
        // Winograd trunk. SRCNN stays fp32: it is cheap, and its published figures are fp32.
        const bool auto_bf16 = precision == "auto" && device_.is_cpu() && cpu_has_bf16() && arch_.arch == Arch::compact;
        const bool auto_fp16 = precision == "auto" && device_.is_cuda() && arch_.arch == Arch::rrdbnet;
        if (precision == "bf16" || auto_bf16) {
            if (device_.is_cpu() && !cpu_has_bf16())
                fail(Status::unsupported, label_ + ": bf16 needs a CPU with AVX512-BF16 (or a CUDA device)");
            dtype_ = at::kBFloat16;
        } else if (precision == "fp16" || auto_fp16) {
            if (!device_.is_cuda()) fail(Status::unsupported, label_ + ": fp16 runs on CUDA devices only");
            dtype_ = at::kHalf;
        }
        // fp32 means fp32: on Ampere and newer GPUs cuDNN would otherwise convolve in TF32 (10-bit
        // mantissa). The switch is libtorch's and process-wide; docs/models.md says so.
        if (device_.is_cuda() && dtype_ == at::kFloat) at::globalContext().setAllowTF32CuDNN(false);
        padding_ = o.get_string("padding");
        if (padding_ == "auto") padding_ = arch_.padding == "replicate" ? "replicate" : "zero";
        threads_ = int(o.get_int("threads"));
        tile_ = int(o.get_int("tile"));
        overlap_ = int(o.get_int("tile_overlap"));
        alpha_through_model_ = o.get_string("alpha") == "model";
        final_method_ = o.get_string("final_method");
        c10::InferenceMode guard;
        net_ = build_network(arch_, padding_, device_, dtype_, o.get_int("onednn") != 0);
        if (arch_.arch == Arch::torchscript) arch_.scale = net_->measured_scale();
        // 48 px of context keeps RRDBNet x4plus tiles within 1/255 of an untiled run (measured:
        // 24 px leaves up to 53/255, 32 px 3/255, 48 px 1/255, 64 px 0.15/255).
        if (overlap_ < 0) overlap_ = std::min(net_->receptive_radius(), 48);
    }

    std::string name() const override { return label_; }
    int native_scale() const override { return arch_.scale; }

    void resample(const ImageView& src, const ImageView& dst, RunContext& run) const override {
        c10::InferenceMode guard;
        if (threads_ > 0) at::set_num_threads(threads_);
        const int ch = src.desc.channels;
        const bool alpha = ch == 2 || ch == 4;
        const int colour = alpha ? ch - 1 : ch;
        const int W = dst.desc.width, H = dst.desc.height;

        // 1. The colour planes the network sees, at its input size, as f32 on 0..1.
        Image input;
        if (arch_.arch == Arch::srcnn) {
            // SRCNN refines an image already enlarged to the output size: MATLAB's bicubic, as in the paper.
            input = classical_resize(src, W, H, "matlab");
        } else {
            input = Image::allocate(src.desc.width, src.desc.height, ch, SampleType::f32);
            convert_samples(src, input.view());
        }
        const int iw = input.desc().width, ih = input.desc().height;
        const bool y_model = arch_.in_channels == 1 && colour == 3;
        // 1-channel models are trained on studio-range Y: a gray pixel g is Y = (16 + 219 g) / 255.
        const bool y_gray = arch_.in_channels == 1 && colour == 1;
        const int net_in = arch_.in_channels;
        at::Tensor planes = at::empty({1, net_in, ih, iw}, at::kFloat);
        std::vector<float> ycc;  // Y model on RGB: keep Cb, Cr of the enlarged input
        if (y_model) ycc.resize(size_t(iw) * size_t(ih) * 3);
        {
            float* p = planes.data_ptr<float>();
            const size_t plane = size_t(iw) * size_t(ih);
            for (int y = 0; y < ih; ++y) {
                const float* row = input.view().row_as<float>(y);
                for (int x = 0; x < iw; ++x) {
                    const float* px = row + size_t(x) * size_t(ch);
                    const size_t i = size_t(y) * size_t(iw) + size_t(x);
                    if (y_model) {
                        rgb_to_ycbcr(px, &ycc[i * 3]);
                        p[i] = ycc[i * 3];
                    } else if (y_gray) {
                        p[i] = (16.0f + 219.0f * px[0]) / 255.0f;
                    } else {
                        for (int c = 0; c < net_in; ++c) p[size_t(c) * plane + i] = px[colour == 1 ? 0 : c];
                    }
                }
            }
        }

        // 2. The network, tile by tile.
        at::Tensor out = run_tiled(planes, run);
        const int ow = int(out.size(3)), oh = int(out.size(2));

        // 3. Back to interleaved f32 at the network's output size, then to the exact size asked for.
        Image result = Image::allocate(ow, oh, ch, SampleType::f32);
        {
            const float* p = out.data_ptr<float>();
            const size_t plane = size_t(ow) * size_t(oh);
            for (int y = 0; y < oh; ++y) {
                float* row = result.view().row_as<float>(y);
                for (int x = 0; x < ow; ++x) {
                    float* px = row + size_t(x) * size_t(ch);
                    const size_t i = size_t(y) * size_t(ow) + size_t(x);
                    if (y_model) {
                        const float yc[3] = {p[i], ycc[i * 3 + 1], ycc[i * 3 + 2]};
                        ycbcr_to_rgb(yc, px);
                    } else if (y_gray) {
                        px[0] = (p[i] * 255.0f - 16.0f) / 219.0f;
                    } else if (colour == 1) {
                        float s = 0;
                        for (int c = 0; c < arch_.out_channels; ++c) s += p[size_t(c) * plane + i];
                        px[0] = s / float(arch_.out_channels);
                    } else {
                        for (int c = 0; c < colour; ++c) px[c] = p[size_t(c) * plane + i];
                    }
                    for (int c = 0; c < colour; ++c) px[c] = std::clamp(px[c], 0.0f, 1.0f);
                }
            }
        }
        Image sized = (ow == W && oh == H) ? std::move(result) : classical_resize(result.view(), W, H, final_method_);
        if (alpha) fill_alpha(src, sized, run);
        convert_samples(sized.view(), dst);
    }

private:
    // f32 result of a classical resize of any view (float in, float out).
    Image classical_resize(const ImageView& v, int w, int h, const std::string& method) const {
        Options o;
        o.set_int("threads", threads_);
        auto r = create_resampler(method, o);
        RunContext quiet;
        if (v.desc.type == SampleType::f32 || method != "matlab") {
            Image f = Image::allocate(v.desc.width, v.desc.height, v.desc.channels, SampleType::f32);
            convert_samples(v, f.view());
            Image out = Image::allocate(w, h, v.desc.channels, SampleType::f32);
            r->resample(f.view(), out.view(), quiet);
            return out;
        }
        // MATLAB's protocol enlarges 8/16-bit images in their own type (rounding per pass).
        Image same = Image::allocate(w, h, v.desc.channels, v.desc.type);
        r->resample(v, same.view(), quiet);
        Image out = Image::allocate(w, h, v.desc.channels, SampleType::f32);
        convert_samples(same.view(), out.view());
        return out;
    }

    // Alpha: classical resize (default) or through the network as a gray image.
    void fill_alpha(const ImageView& src, Image& sized, RunContext& run) const {
        const int ch = src.desc.channels, W = sized.desc().width, H = sized.desc().height;
        Image a = Image::allocate(src.desc.width, src.desc.height, 1, SampleType::f32);
        Image s = Image::allocate(src.desc.width, src.desc.height, ch, SampleType::f32);
        convert_samples(src, s.view());
        for (int y = 0; y < src.desc.height; ++y)
            for (int x = 0; x < src.desc.width; ++x)
                a.view().row_as<float>(y)[x] = s.view().row_as<float>(y)[size_t(x) * ch + size_t(ch - 1)];
        Image big;
        if (alpha_through_model_ && arch_.arch != Arch::srcnn) {
            at::Tensor p = at::empty({1, arch_.in_channels, src.desc.height, src.desc.width}, at::kFloat);
            for (int c = 0; c < arch_.in_channels; ++c)
                std::memcpy(p.data_ptr<float>() + size_t(c) * a.desc().width * a.desc().height, a.data(),
                            size_t(a.desc().width) * a.desc().height * 4);
            at::Tensor o = run_tiled(p, run).mean(1, true).clamp(0, 1).contiguous();
            Image tmp = Image::allocate(int(o.size(3)), int(o.size(2)), 1, SampleType::f32);
            std::memcpy(tmp.data(), o.data_ptr<float>(), size_t(o.numel()) * 4);
            big = (tmp.desc().width == W && tmp.desc().height == H) ? std::move(tmp) : classical_resize(tmp.view(), W, H, final_method_);
        } else {
            big = classical_resize(a.view(), W, H, final_method_);
        }
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                sized.view().row_as<float>(y)[size_t(x) * ch + size_t(ch - 1)] =
                    std::clamp(big.view().row_as<float>(y)[x], 0.0f, 1.0f);
    }

    // Runs the network over [1, C, H, W] f32 planes in overlapping tiles; returns f32 CPU planes.
    at::Tensor run_tiled(const at::Tensor& planes, RunContext& run) const {
        const int64_t h = planes.size(2), w = planes.size(3);
        const int m = net_->size_multiple();
        const int s = arch_.arch == Arch::srcnn ? 1 : arch_.scale;
        int tile = tile_;
        // Bounds memory (RRDBNet x4 at 256+2*48 px: about 130 MB per fp32 feature map at twice the
        // input size; the output-size maps go in strips) while keeping the overlap's extra work under 2x.
        if (tile <= 0) tile = arch_.arch == Arch::rrdbnet ? 256 : 512;
        tile = std::max(m, tile / m * m);
        const int overlap = (overlap_ + m - 1) / m * m;
        // Pad to the size multiple by edge replication (cropped off afterwards).
        const int64_t ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
        at::Tensor in = planes;
        if (ph != h || pw != w) in = at::replication_pad2d(planes, {0, pw - w, 0, ph - h});
        at::Tensor out = at::empty({1, arch_.out_channels, ph * s, pw * s}, at::kFloat);
        const int64_t ty = (ph + tile - 1) / tile, tx = (pw + tile - 1) / tile;
        // Tiles of (nearly) equal size, rather than full tiles and a sliver: fewer distinct tile shapes
        // (each may need its own convolution setup and weight layout) and no tiny last tile.
        auto even = [m](int64_t extent, int64_t count) { return ((extent + count - 1) / count + m - 1) / m * m; };
        const int64_t th = even(ph, ty), tw = even(pw, tx);
        uint64_t done = 0;
        const uint64_t total = uint64_t(ty * tx);
        for (int64_t j = 0; j < ty; ++j)
            for (int64_t i = 0; i < tx; ++i) {
                run.check_cancelled();
                // (count - 1) tiles of that size always stop short of the edge: no tile is empty.
                const int64_t y0 = j * th, x0 = i * tw;
                const int64_t y1 = std::min(ph, y0 + th), x1 = std::min(pw, x0 + tw);
                const int64_t iy0 = std::max<int64_t>(0, y0 - overlap), ix0 = std::max<int64_t>(0, x0 - overlap);
                const int64_t iy1 = std::min(ph, y1 + overlap), ix1 = std::min(pw, x1 + overlap);
                at::Tensor t = in.slice(2, iy0, iy1).slice(3, ix0, ix1).to(device_, dtype_).contiguous(at::MemoryFormat::ChannelsLast);
                at::Tensor r = net_->forward(t).to(at::kCPU, at::kFloat);
                out.slice(2, y0 * s, y1 * s).slice(3, x0 * s, x1 * s)
                    .copy_(r.slice(2, (y0 - iy0) * s, (y0 - iy0 + y1 - y0) * s).slice(3, (x0 - ix0) * s, (x0 - ix0 + x1 - x0) * s));
                run.report(++done, total);
            }
        return out.slice(2, 0, h * s).slice(3, 0, w * s).contiguous();
    }

    Architecture arch_;
    std::string label_;
    Options options_;
    at::Device device_{at::kCPU};
    at::ScalarType dtype_ = at::kFloat;
    std::string padding_, final_method_;
    int threads_ = 0, tile_ = 0, overlap_ = 0;
    bool alpha_through_model_ = false;
    std::unique_ptr<Network> net_;
};

}  // namespace

std::unique_ptr<Resampler> make_model_resampler(Architecture arch, const Options& options, const std::string& label) {
    // Every model, whatever led to it (a path, a named model, the srcnn family), passes here: a
    // TorchScript program carries code libtorch would run, so it needs the caller's consent.
    if (arch.arch == Arch::torchscript) {
        if (!options.get_int("torchscript"))
            fail(Status::unsupported, label + ": a TorchScript program (it carries code that libtorch would run); "
                                              "set the option torchscript=1 to allow it");
        arch.scale = int(options.get_int("model_scale"));
    }
    return std::make_unique<ModelResampler>(std::move(arch), options, label);
}

}  // namespace upres::nn
