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
#include "core/error.hpp"
#include "nn/cpu_features.hpp"
#include "nn/network.hpp"
#include "nn/torch_device.hpp"

namespace upres::nn {

namespace {

// BT.601 YCbCr on the 0..1 scale: studio range (the SRCNN paper's colour space) or full range
// (JPEG's), for the other 1-channel models.
void rgb_to_ycbcr(const float* rgb, float* ycc, bool studio) {
    const float r = rgb[0], g = rgb[1], b = rgb[2];
    if (!studio) {
        ycc[0] = 0.299f * r + 0.587f * g + 0.114f * b;
        ycc[1] = 0.5f + (b - ycc[0]) * 0.564334f;
        ycc[2] = 0.5f + (r - ycc[0]) * 0.713267f;
        return;
    }
    ycc[0] = (16.0f + 65.481f * r + 128.553f * g + 24.966f * b) / 255.0f;
    ycc[1] = (128.0f - 37.797f * r - 74.203f * g + 112.0f * b) / 255.0f;
    ycc[2] = (128.0f + 112.0f * r - 93.786f * g - 18.214f * b) / 255.0f;
}

void ycbcr_to_rgb(const float* ycc, float* rgb, bool studio) {
    if (!studio) {
        const float y = ycc[0], cb = ycc[1] - 0.5f, cr = ycc[2] - 0.5f;
        rgb[0] = y + 1.402f * cr;
        rgb[1] = y - 0.344136f * cb - 0.714136f * cr;
        rgb[2] = y + 1.772f * cb;
        return;
    }
    const float y = ycc[0] * 255.0f - 16.0f, cb = ycc[1] * 255.0f - 128.0f, cr = ycc[2] * 255.0f - 128.0f;
    rgb[0] = (y * 0.00456621f + cr * 0.00625893f);
    rgb[1] = (y * 0.00456621f - cb * 0.00153632f - cr * 0.00318811f);
    rgb[2] = (y * 0.00456621f + cb * 0.00791071f);
}

// A classical resampler by name, which must exist (the final resize and SRCNN's enlargement).
std::unique_ptr<Resampler> classical_resampler(const std::string& method, const Options& o) {
    auto r = classical::create(method, o);
    if (!r) fail(Status::invalid_argument, "final_method '" + method + "' is not a classical method");
    return r;
}

class ModelResampler : public Resampler {
public:
    ModelResampler(Model m, const Options& o, std::string label) : model_(std::move(m)), label_(std::move(label)) {
        const Descriptor& d = model_.desc;
        const std::string device = o.get_string("device");
        device_ = torch_device(device);
        const std::string precision = o.get_string("precision");
        // auto: the fastest precision the family measured to stay >= 50 dB from fp32 on Set5 and
        // Set14 x4 (its descriptor; docs/models.md, "Precision").
        const bool auto_bf16 = precision == "auto" && device_.is_cpu() && cpu_runs_bf16() && d.auto_bf16_cpu;
        const bool auto_fp16 = precision == "auto" && device_.is_cuda() && d.auto_fp16_cuda;
        BuildSettings settings;
        settings.device_index = device_.is_cuda() ? int(device_.index()) : -1;
        dtype_ = at::kFloat;
        if (precision == "bf16" || auto_bf16) {
            if (device_.is_cpu() && !cpu_runs_bf16())
                fail(Status::unsupported, label_ + ": bf16 needs a CPU with AVX512-BF16 (or a CUDA device)");
            dtype_ = at::kBFloat16;
            settings.precision = BuildSettings::Precision::bf16;
        } else if (precision == "fp16" || auto_fp16) {
            if (!device_.is_cuda()) fail(Status::unsupported, label_ + ": fp16 runs on CUDA devices only");
            dtype_ = at::kHalf;
            settings.precision = BuildSettings::Precision::fp16;
        }
        // fp32 means fp32: on Ampere and newer GPUs cuDNN would otherwise convolve in TF32 (10-bit
        // mantissa). The switch is libtorch's and process-wide; docs/models.md says so.
        if (device_.is_cuda() && dtype_ == at::kFloat) at::globalContext().setAllowTF32CuDNN(false);
        settings.padding = o.get_string("padding");
        if (settings.padding == "auto") settings.padding = d.conv_padding == "replicate" ? "replicate" : "zero";
        settings.onednn = o.get_int("onednn") != 0;
        threads_ = int(o.get_int("threads"));
        tile_ = int(o.get_int("tile"));
        overlap_ = int(o.get_int("tile_overlap"));
        statistics_passes_ = int(o.get_int("image_statistics"));
        alpha_mode_ = o.get_string("alpha");
        // A model with an alpha channel (2 = gray + alpha, 4 = RGBA) takes it as its last plane.
        net_alpha_ = d.in_channels == 2 || d.in_channels == 4;
        if (net_alpha_ && d.out_channels != d.in_channels)
            fail(Status::model, label_ + ": a model with an alpha channel must return it (" + std::to_string(d.in_channels) +
                                    " -> " + std::to_string(d.out_channels) + " channels)");
        // The final resize to the size asked for honours the caller's classical options (edge,
        // linear light, ...); SRCNN's enlargement is MATLAB's bicubic as in the paper, only threaded.
        final_ = classical_resampler(o.get_string("final_method"), o);
        if (d.at_output_size) {
            Options threads;
            threads.set_int("threads", threads_);
            enlarge_ = classical_resampler("matlab", threads);
        }
        if (!model_.family || !model_.family->build)
            fail(Status::unsupported, label_ + ": this build cannot run " + (model_.family ? model_.family->title : "it"));
        c10::InferenceMode guard;
        net_ = model_.family->build(model_, settings);
        if (model_.desc.scale == 0 && !d.at_output_size) model_.desc.scale = net_->measured_scale();
        if (overlap_ < 0) overlap_ = d.context;
    }

    std::string name() const override { return label_; }
    int native_scale() const override { return model_.desc.scale; }

    void resample(const ImageView& src, const ImageView& dst, RunContext& run) const override {
        c10::InferenceMode guard;
        if (threads_ > 0) at::set_num_threads(threads_);
        const int ch = src.desc.channels;
        const bool alpha = ch == 2 || ch == 4;
        const int colour = alpha ? ch - 1 : ch;
        const int W = dst.desc.width, H = dst.desc.height;

        // 1. The colour planes the network sees, at its input size, as f32 on 0..1.
        const Descriptor& d = model_.desc;
        Image input;
        if (d.at_output_size) {
            // SRCNN refines an image already enlarged to the output size: MATLAB's bicubic, as in the paper.
            input = classical_resize(src, W, H, *enlarge_, true);
        } else {
            input = Image::allocate(src.desc.width, src.desc.height, ch, SampleType::f32);
            convert_samples(src, input.view());
        }
        const int iw = input.desc().width, ih = input.desc().height;
        const bool y_model = d.in_channels == 1 && colour == 3;
        // 1-channel models trained on studio-range Y (SRCNN) see a gray pixel g as Y = (16 + 219 g) / 255;
        // the others take it as it is.
        const bool y_gray = d.in_channels == 1 && colour == 1 && d.studio_luma;
        const int net_in = d.in_channels;
        // The network's colour planes (its alpha plane, when it has one, is the last).
        const int net_colour = net_alpha_ ? net_in - 1 : net_in;
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
                        rgb_to_ycbcr(px, &ycc[i * 3], d.studio_luma);
                        p[i] = ycc[i * 3];
                    } else if (y_gray) {
                        p[i] = (16.0f + 219.0f * px[0]) / 255.0f;
                    } else {
                        // Gray into an RGB model as R = G = B; RGB into a gray + alpha one as its luma.
                        for (int c = 0; c < net_colour; ++c)
                            p[size_t(c) * plane + i] = net_colour == colour ? px[c] : colour == 1 ? px[0] : luma(px);
                        // An image without alpha is opaque to a model with an alpha channel.
                        if (net_alpha_) p[size_t(net_colour) * plane + i] = alpha ? px[ch - 1] : 1.0f;
                    }
                }
            }
        }

        // 2. The network, tile by tile.
        at::Tensor out = run_tiled(planes, run);
        const int ow = int(out.size(3)), oh = int(out.size(2));
        if (y_model && (ow != iw || oh != ih)) {
            // A 1-channel model that enlarges: Cb and Cr (kept with Y in `ycc`) follow by the
            // classical final_method to the network's output size.
            Image chroma = Image::allocate(iw, ih, 3, SampleType::f32);
            std::memcpy(chroma.data(), ycc.data(), ycc.size() * sizeof(float));
            Image big = classical_resize(chroma.view(), ow, oh, *final_, false);
            ycc.assign(size_t(ow) * size_t(oh) * 3, 0.0f);
            for (int y = 0; y < oh; ++y)
                std::memcpy(&ycc[size_t(y) * size_t(ow) * 3], big.view().row_as<float>(y), size_t(ow) * 3 * sizeof(float));
        }

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
                        ycbcr_to_rgb(yc, px, d.studio_luma);
                    } else if (y_gray) {
                        px[0] = (p[i] * 255.0f - 16.0f) / 219.0f;
                    } else if (colour == 1) {
                        float s = 0;
                        for (int c = 0; c < net_colour; ++c) s += p[size_t(c) * plane + i];
                        px[0] = s / float(net_colour);
                    } else if (net_colour == 1) {
                        for (int c = 0; c < colour; ++c) px[c] = p[i];
                    } else {
                        for (int c = 0; c < colour; ++c) px[c] = p[size_t(c) * plane + i];
                    }
                    for (int c = 0; c < colour; ++c) px[c] = std::clamp(px[c], 0.0f, 1.0f);
                }
            }
        }
        Image sized = (ow == W && oh == H) ? std::move(result) : classical_resize(result.view(), W, H, *final_, false);
        if (alpha) fill_alpha(src, sized, net_alpha_ ? out.select(1, net_colour) : at::Tensor(), run);
        convert_samples(sized.view(), dst);
    }

private:
    // f32 result of a classical resize of any view. `own_type`: MATLAB's protocol enlarges 8/16-bit
    // images in their own type (rounding per pass); otherwise the resize runs on f32.
    static Image classical_resize(const ImageView& v, int w, int h, const Resampler& r, bool own_type) {
        RunContext quiet;
        if (v.desc.type == SampleType::f32 || !own_type) {
            Image f = Image::allocate(v.desc.width, v.desc.height, v.desc.channels, SampleType::f32);
            convert_samples(v, f.view());
            Image out = Image::allocate(w, h, v.desc.channels, SampleType::f32);
            r.resample(f.view(), out.view(), quiet);
            return out;
        }
        Image same = Image::allocate(w, h, v.desc.channels, v.desc.type);
        r.resample(v, same.view(), quiet);
        Image out = Image::allocate(w, h, v.desc.channels, SampleType::f32);
        convert_samples(same.view(), out.view());
        return out;
    }

    // BT.601 luma of an RGB pixel.
    static float luma(const float* px) { return 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2]; }

    // Alpha: a model with an alpha channel returns it (`net_alpha`, [1, H, W]: alpha=auto or model);
    // for the others a classical resize (auto, classical) or the network on it as a gray image (model).
    void fill_alpha(const ImageView& src, Image& sized, const at::Tensor& net_alpha, RunContext& run) const {
        const int ch = src.desc.channels, W = sized.desc().width, H = sized.desc().height;
        Image a = Image::allocate(src.desc.width, src.desc.height, 1, SampleType::f32);
        Image s = Image::allocate(src.desc.width, src.desc.height, ch, SampleType::f32);
        convert_samples(src, s.view());
        for (int y = 0; y < src.desc.height; ++y)
            for (int x = 0; x < src.desc.width; ++x)
                a.view().row_as<float>(y)[x] = s.view().row_as<float>(y)[size_t(x) * ch + size_t(ch - 1)];
        Image big;
        const int net_in = model_.desc.in_channels;
        auto from_network = [&](const at::Tensor& o) {  // [1, 1, h, w] on 0..1
            Image tmp = Image::allocate(int(o.size(3)), int(o.size(2)), 1, SampleType::f32);
            std::memcpy(tmp.data(), o.data_ptr<float>(), size_t(o.numel()) * 4);
            return (tmp.desc().width == W && tmp.desc().height == H) ? std::move(tmp)
                                                                     : classical_resize(tmp.view(), W, H, *final_, false);
        };
        if (net_alpha.defined() && alpha_mode_ != "classical") {
            big = from_network(net_alpha.unsqueeze(0).clamp(0, 1).contiguous());
        } else if (alpha_mode_ == "model" && !net_alpha_ && !model_.desc.at_output_size) {
            at::Tensor p = at::empty({1, net_in, src.desc.height, src.desc.width}, at::kFloat);
            for (int c = 0; c < net_in; ++c)
                std::memcpy(p.data_ptr<float>() + size_t(c) * a.desc().width * a.desc().height, a.data(),
                            size_t(a.desc().width) * a.desc().height * 4);
            big = from_network(run_tiled(p, run).mean(1, true).clamp(0, 1).contiguous());
        } else {
            big = classical_resize(a.view(), W, H, *final_, false);
        }
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                sized.view().row_as<float>(y)[size_t(x) * ch + size_t(ch - 1)] =
                    std::clamp(big.view().row_as<float>(y)[x], 0.0f, 1.0f);
    }

    // Pads [1, C, H, W] by the given amounts (top, bottom, left, right) as the family expects.
    // Reflection needs a pad smaller than the side; a tinier image is edge-replicated instead.
    static at::Tensor pad_edges(const at::Tensor& x, int64_t top, int64_t bottom, int64_t left, int64_t right, EdgePad mode) {
        if (!top && !bottom && !left && !right) return x;
        const int64_t h = x.size(2), w = x.size(3);
        if (mode == EdgePad::zero) return at::constant_pad_nd(x, {left, right, top, bottom}, 0.0);
        if (mode == EdgePad::reflect && std::max(top, bottom) < h && std::max(left, right) < w)
            return at::reflection_pad2d(x, {left, right, top, bottom});
        return at::replication_pad2d(x, {left, right, top, bottom});
    }

    // The descriptor's input map (x * gain + offset per channel), or its inverse.
    at::Tensor map_range(at::Tensor x, bool inverse) const {
        const Descriptor& d = model_.desc;
        if (d.gain.empty()) return x;
        std::vector<float> g(size_t(x.size(1))), o(size_t(x.size(1)));
        for (size_t c = 0; c < g.size(); ++c) g[c] = d.gain[c % d.gain.size()], o[c] = d.offset[c % d.offset.size()];
        const at::Tensor gain = at::tensor(g).view({1, -1, 1, 1}), offset = at::tensor(o).view({1, -1, 1, 1});
        return inverse ? (x - offset) / gain : x * gain + offset;
    }

    // Measured (docs/models.md): a relative change of 1e-3 in the means moves the next pass's
    // output by about 1e-5 (Real-CUGAN, RCAN) to 1e-4 (GroupNorm).
    static constexpr double kSettled = 1e-3;

    // Runs the network over [1, C, H, W] f32 planes (samples on 0..1) in overlapping tiles;
    // returns f32 CPU planes.
    at::Tensor run_tiled(const at::Tensor& planes, RunContext& run) const {
        const Descriptor& d = model_.desc;
        const int m = std::max(1, d.size_multiple);
        const int s = d.at_output_size ? 1 : d.scale;
        // Tiles, their overlap and their starts on the family's lattice (a multiple of m).
        const int a = d.tile_multiple > 0 ? (d.tile_multiple + m - 1) / m * m : m;
        int tile = tile_ > 0 ? tile_ : d.preferred_tile;
        tile = std::max(a, tile / a * a);
        const int overlap = (overlap_ + a - 1) / a * a;
        // The family's own input padding (cropped off the output), then padding to the size
        // multiple (cropped off likewise).
        const int64_t pp = d.pre_pad;
        at::Tensor in = pad_edges(map_range(planes, false), pp, pp, pp, pp, EdgePad::reflect);
        const int64_t h = in.size(2), w = in.size(3);
        const int64_t ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
        in = pad_edges(in, 0, ph - h, 0, pw - w, d.multiple_pad);
        at::Tensor out = at::empty({1, d.out_channels, ph * s, pw * s}, at::kFloat);
        const int64_t ty = (ph + tile - 1) / tile, tx = (pw + tile - 1) / tile;
        // Tiles of (nearly) equal size, rather than full tiles and a sliver: fewer distinct tile shapes
        // (each may need its own convolution setup and weight layout) and no tiny last tile.
        auto even = [a](int64_t extent, int64_t count) { return ((extent + count - 1) / count + a - 1) / a * a; };
        const int64_t th = even(ph, ty), tw = even(pw, tx);
        // Layers that average over the whole image get the image's means: passes over the tiles,
        // each using what the one before gathered, until the means settle (image_statistics.hpp).
        const bool whole = ty * tx > 1 && statistics_passes_ > 1 && net_->averages_whole_input();
        const int passes = whole ? statistics_passes_ : 1;
        ImageStatistics stats;
        uint64_t done = 0;
        const uint64_t total = uint64_t(ty * tx) * uint64_t(passes);
        for (int pass = 0; pass < passes; ++pass) {
            for (int64_t j = 0; j < ty; ++j)
                for (int64_t i = 0; i < tx; ++i) {
                    run.check_cancelled();
                    // (count - 1) tiles of that size always stop short of the edge: no tile is empty.
                    const int64_t y0 = j * th, x0 = i * tw;
                    const int64_t y1 = std::min(ph, y0 + th), x1 = std::min(pw, x0 + tw);
                    const int64_t iy0 = std::max<int64_t>(0, y0 - overlap), ix0 = std::max<int64_t>(0, x0 - overlap);
                    const int64_t iy1 = std::min(ph, y1 + overlap), ix1 = std::min(pw, x1 + overlap);
                    at::Tensor t = in.slice(2, iy0, iy1).slice(3, ix0, ix1).to(device_, dtype_).contiguous(at::MemoryFormat::ChannelsLast);
                    // A tile at the image's edge owns what its maps hold beyond it too (a network
                    // that pads the tile itself averages over such margins in an untiled run).
                    constexpr int64_t kBeyond = int64_t(1) << 40;
                    if (whole)
                        stats.begin_tile(iy1 - iy0, ix1 - ix0, y0 == 0 ? -kBeyond : y0 - iy0, y1 == ph ? kBeyond : y1 - iy0,
                                         x0 == 0 ? -kBeyond : x0 - ix0, x1 == pw ? kBeyond : x1 - ix0);
                    at::Tensor r = net_->forward_tiled(t, whole ? &stats : nullptr).to(at::kCPU, at::kFloat);
                    if (r.dim() != 4 || r.size(1) != d.out_channels || r.size(2) != (iy1 - iy0) * s || r.size(3) != (ix1 - ix0) * s)
                        fail(Status::model, label_ + ": the network returned " + shape_text(r) + " for a tile of " +
                                                std::to_string(iy1 - iy0) + "x" + std::to_string(ix1 - ix0));
                    // Only the last pass's output is kept (each pass overwrites the one before).
                    out.slice(2, y0 * s, y1 * s).slice(3, x0 * s, x1 * s)
                        .copy_(r.slice(2, (y0 - iy0) * s, (y0 - iy0 + y1 - y0) * s).slice(3, (x0 - ix0) * s, (x0 - ix0 + x1 - x0) * s));
                    run.report(++done, total);
                }
            // Settled: the means this pass used are within kSettled of the ones it gathered, so another
            // pass would change the output by far less than a level in 8 bits (the first pass used
            // each tile's own means).
            if (whole && stats.end_pass() < kSettled) break;
        }
        if (done < total) run.report(total, total);
        const int64_t oh = (h - 2 * pp) * s, ow = (w - 2 * pp) * s;
        return map_range(out.slice(2, pp * s, pp * s + oh).slice(3, pp * s, pp * s + ow), true).contiguous();
    }

    static std::string shape_text(const at::Tensor& t) {
        std::string text = "[";
        for (int64_t i = 0; i < t.dim(); ++i) text += (i ? ", " : "") + std::to_string(t.size(i));
        return text + "]";
    }

    Model model_;
    std::string label_;
    at::Device device_{at::kCPU};
    at::ScalarType dtype_ = at::kFloat;
    int threads_ = 0, tile_ = 0, overlap_ = 0, statistics_passes_ = 1;
    std::string alpha_mode_;  // auto | classical | model
    bool net_alpha_ = false;  // the network has an alpha plane (2 or 4 channels)
    std::unique_ptr<Resampler> final_, enlarge_;  // classical: the final resize, SRCNN's enlargement
    std::unique_ptr<Network> net_;
};

}  // namespace

std::unique_ptr<Resampler> make_model_resampler(Model model, const Options& options, const std::string& label) {
    // Every model, whatever led to it (a path, a named model, the srcnn family), passes here: a
    // TorchScript program carries code libtorch would run, so it needs the caller's consent.
    if (model.desc.arch == "torchscript") {
        if (!options.get_int("torchscript"))
            fail(Status::unsupported, label + ": a TorchScript program (it carries code that libtorch would run); "
                                              "set the option torchscript=1 to allow it");
        model.desc.scale = int(options.get_int("model_scale"));
    }
    return std::make_unique<ModelResampler>(std::move(model), options, label);
}

}  // namespace upres::nn
