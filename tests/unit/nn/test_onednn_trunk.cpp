// The oneDNN trunk of RRDBNet against the same trunk written with ATen operations (the arithmetic
// of the PyTorch module): fp32 at tile sizes where oneDNN runs Winograd, partial 4x4 tiles, sizes
// where it falls back to direct convolution, weight layouts reused across sizes, two threads at
// once; bf16 against the same reference with bf16 rounding where the bf16 path rounds.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
// c10's logging defines its own CHECK, which counts nothing; doctest's is wanted here.
#undef CHECK
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "nn/arch/rrdbnet/onednn_trunk.hpp"
#include "nn/cpu_features.hpp"
#include "test_support.hpp"

using upres::nn::OnednnTrunk;

namespace {

using Weights = std::map<std::string, at::Tensor>;

std::string block_conv(int b, int r, int j) {
    return "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv" + std::to_string(j);
}

Weights random_weights(int blocks, int nf, int gc) {
    at::manual_seed(7);
    Weights w;
    auto add = [&](const std::string& name, int64_t oc, int64_t ic) {
        w[name + ".weight"] = at::randn({oc, ic, 3, 3}) * 0.05;
        w[name + ".bias"] = at::randn({oc}) * 0.02;
    };
    add("conv_first", nf, 3);
    for (int b = 0; b < blocks; ++b)
        for (int r = 1; r <= 3; ++r)
            for (int j = 1; j <= 5; ++j) add(block_conv(b, r, j), j < 5 ? gc : nf, nf + (j - 1) * gc);
    add("conv_body", nf, nf);
    return w;
}

// Rounded to bf16 and back when `bf16`.
at::Tensor round(const at::Tensor& t, bool bf16) { return bf16 ? t.to(at::kBFloat16).to(at::kFloat) : t; }

// bf16: inputs and weights rounded, f32 accumulation (what oneDNN's bf16 convolutions do).
at::Tensor conv(const Weights& w, const std::string& name, const at::Tensor& x, bool bf16) {
    return at::conv2d(round(x, bf16), round(w.at(name + ".weight"), bf16), w.at(name + ".bias"), 1, 1);
}

// conv_body(RRDB blocks(feat)) + feat, as BasicSR's RRDBNet computes it; with `bf16`, rounded where
// upres's bf16 trunk keeps bf16 (conv inputs, weights, the dense blocks' maps), the residual trunk f32,
// and with its residual scales folded as it does.
at::Tensor reference(const Weights& w, int blocks, const at::Tensor& feat, bool bf16 = false) {
    at::Tensor body = feat;
    for (int b = 0; b < blocks; ++b) {
        at::Tensor y = body;
        for (int r = 1; r <= 3; ++r) {
            std::vector<at::Tensor> dense{round(y, bf16)};
            for (int j = 1; j <= 4; ++j)
                dense.push_back(round(at::leaky_relu(conv(w, block_conv(b, r, j), at::cat(dense, 1), bf16), 0.2), bf16));
            const std::string c5 = block_conv(b, r, 5);
            if (!bf16) {
                y = conv(w, c5, at::cat(dense, 1), false) * 0.2 + y;
                continue;
            }
            // The bf16 trunk folds the residual scales into conv5's weights before rounding them:
            // 0.2, and 0.04 in the third block, whose input gets the RRDB's 0.2 y + x beforehand.
            const double scale = r < 3 ? 0.2 : 0.04;
            const at::Tensor base = r < 3 ? y : y * 0.2 + body;
            y = at::conv2d(round(at::cat(dense, 1), true), round(w.at(c5 + ".weight") * scale, true),
                           w.at(c5 + ".bias") * scale, 1, 1) + base;
        }
        if (!bf16) y = y * 0.2 + body;
        body = y;
    }
    return conv(w, "conv_body", body, bf16) + feat;
}

double relative_error(const at::Tensor& ours, const at::Tensor& ref) {
    return (ours - ref).abs().max().item<double>() / std::max(1.0, ref.abs().max().item<double>());
}

// RMS difference over RMS value: a value that lands next to a bf16 rounding boundary can round the
// other way in either implementation, so the largest difference says little in bf16.
double rms_error(const at::Tensor& ours, const at::Tensor& ref) {
    return (ours - ref).pow(2).mean().sqrt().item<double>() / ref.pow(2).mean().sqrt().item<double>();
}

}  // namespace

TEST_CASE("the trunk takes only feature and growth channels that are multiples of 16") {
    CHECK(OnednnTrunk::create(random_weights(1, 24, 16), 1, false) == nullptr);
    CHECK(OnednnTrunk::create(random_weights(1, 32, 8), 1, false) == nullptr);
    CHECK(OnednnTrunk::create(random_weights(1, 32, 16), 0, false) == nullptr);
#if UPRES_WITH_DNNL
    if (upres::nn::cpu_runs_blocked_onednn()) {
        CHECK(OnednnTrunk::create(random_weights(1, 32, 16), 1, false) != nullptr);
    } else {
        upres::test::skip_part("oneDNN has no AVX-512 kernels on this CPU: the trunk runs through ATen only");
        CHECK(OnednnTrunk::create(random_weights(1, 32, 16), 1, false) == nullptr);
    }
#else
    upres::test::skip_part("built without oneDNN (libdnnl-dev): the trunk runs through ATen only");
    CHECK(OnednnTrunk::create(random_weights(1, 32, 16), 1, false) == nullptr);
#endif
}

TEST_CASE("fp32: the oneDNN trunk equals the ATen trunk within 1e-5 at every tile size, on two threads at once") {
    c10::InferenceMode guard;
    const int blocks = 2;
    const Weights w = random_weights(blocks, 32, 16);
    const auto trunk = OnednnTrunk::create(w, blocks, false);
    if (!trunk) UPRES_SKIP("built without oneDNN (libdnnl-dev), or a CPU without AVX-512 (the trunk is ATen's there)");
    // Sizes alternate, so cached weight layouts are reused and replaced; the tiny ones get oneDNN's
    // direct convolution instead of Winograd.
    const std::vector<std::pair<int64_t, int64_t>> sizes = {{32, 32}, {37, 29}, {130, 9}, {4, 4}, {1, 1},
                                                             {3, 50}, {37, 29}, {64, 48}, {32, 32}};
    for (const auto& [h, wd] : sizes) {
        CAPTURE(h);
        CAPTURE(wd);
        const at::Tensor feat = at::randn({1, 32, h, wd}) * 0.5;
        const at::Tensor ours = trunk->run(feat);
        CHECK(ours.sizes() == feat.sizes());
        CHECK(relative_error(ours, reference(w, blocks, feat)) <= 1e-5);
    }
    const at::Tensor a = at::randn({1, 32, 45, 33}), b = at::randn({1, 32, 20, 61});
    at::Tensor ra, rb;
    std::thread t1([&] { c10::InferenceMode g; ra = trunk->run(a); });
    std::thread t2([&] { c10::InferenceMode g; rb = trunk->run(b); });
    t1.join();
    t2.join();
    CHECK(relative_error(ra, reference(w, blocks, a)) <= 1e-5);
    CHECK(relative_error(rb, reference(w, blocks, b)) <= 1e-5);
}

TEST_CASE("bf16: the oneDNN trunk equals the ATen trunk with the same bf16 roundings") {
    c10::InferenceMode guard;
    if (!upres::nn::cpu_runs_bf16()) UPRES_SKIP("this CPU has no AVX512-BF16");
    const int blocks = 2;
    const Weights w = random_weights(blocks, 32, 16);
    const auto trunk = OnednnTrunk::create(w, blocks, true);
    if (!trunk) UPRES_SKIP("built without oneDNN (libdnnl-dev), or a CPU without AVX-512 (the trunk is ATen's there)");
    for (const auto& [h, wd] : std::vector<std::pair<int64_t, int64_t>>{{32, 32}, {37, 29}, {2, 3}, {4, 4}, {8, 8}, {16, 16}, {1, 40}, {40, 1}, {3, 17}}) {
        CAPTURE(h);
        CAPTURE(wd);
        const at::Tensor feat = at::randn({1, 32, h, wd}) * 0.5;
        const at::Tensor ours = trunk->run(feat);
        const double emulated = rms_error(ours, reference(w, blocks, feat, true));
        const double exact = rms_error(ours, reference(w, blocks, feat));
        MESSAGE("bf16 trunk vs the bf16-rounded reference " << emulated << ", vs fp32 " << exact);
        CHECK(emulated <= 1e-3);
        CHECK(emulated < 0.5 * exact);  // bf16 arithmetic really ran
    }
}
