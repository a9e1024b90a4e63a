// The oneDNN Winograd trunk of RRDBNet against the same trunk written with ATen operations (the
// arithmetic of the PyTorch module): tile sizes where oneDNN runs Winograd, partial 4x4 tiles, sizes
// where it falls back to direct convolution, weight layouts reused across sizes, two threads at once.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
// c10's logging defines its own CHECK, which counts nothing; doctest's is wanted here.
#undef CHECK
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "nn/winograd_trunk.hpp"

using upres::nn::WinogradTrunk;

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

at::Tensor conv(const Weights& w, const std::string& name, const at::Tensor& x) {
    return at::conv2d(x, w.at(name + ".weight"), w.at(name + ".bias"), 1, 1);
}

// conv_body(RRDB blocks(feat)) + feat, as BasicSR's RRDBNet computes it.
at::Tensor reference(const Weights& w, int blocks, const at::Tensor& feat) {
    at::Tensor body = feat;
    for (int b = 0; b < blocks; ++b) {
        at::Tensor y = body;
        for (int r = 1; r <= 3; ++r) {
            std::vector<at::Tensor> dense{y};
            for (int j = 1; j <= 4; ++j) dense.push_back(at::leaky_relu(conv(w, block_conv(b, r, j), at::cat(dense, 1)), 0.2));
            y = conv(w, block_conv(b, r, 5), at::cat(dense, 1)) * 0.2 + y;
        }
        body = y * 0.2 + body;
    }
    return conv(w, "conv_body", body) + feat;
}

double relative_error(const at::Tensor& ours, const at::Tensor& ref) {
    return (ours - ref).abs().max().item<double>() / std::max(1.0, ref.abs().max().item<double>());
}

}  // namespace

TEST_CASE("the trunk takes only feature and growth channels that are multiples of 16") {
    CHECK(WinogradTrunk::create(random_weights(1, 24, 16), 1) == nullptr);
    CHECK(WinogradTrunk::create(random_weights(1, 32, 8), 1) == nullptr);
    CHECK(WinogradTrunk::create(random_weights(1, 32, 16), 0) == nullptr);
#if UPRES_WITH_DNNL
    CHECK(WinogradTrunk::create(random_weights(1, 32, 16), 1) != nullptr);
#else
    MESSAGE("SKIP: built without oneDNN (libdnnl-dev): the trunk runs through ATen only");
    CHECK(WinogradTrunk::create(random_weights(1, 32, 16), 1) == nullptr);
#endif
}

TEST_CASE("the Winograd trunk equals the ATen trunk within 1e-5 at every tile size, on two threads at once") {
    c10::InferenceMode guard;
    const int blocks = 2;
    const Weights w = random_weights(blocks, 32, 16);
    const auto trunk = WinogradTrunk::create(w, blocks);
    if (!trunk) {
        MESSAGE("SKIP: built without oneDNN (libdnnl-dev)");
        return;
    }
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
