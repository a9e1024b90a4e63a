// The tensors of a cunet-style U-Net (Real-CUGAN's UpCunet and waifu2x's 1x CUNet) as a list of
// shapes, for checking a file against and counting its multiply-adds (no libtorch).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace upres::nn::arch::realcugan {

// One weight the network reads: its shape, and the area (per input pixel) over which its
// multiply-adds are done (the output area of a convolution, the input area of a transposed one).
struct Entry {
    std::string key;
    std::vector<int64_t> shape;
    double area;
};

// Two 3x3 convolutions `in` -> `mid` -> `out` and (se) the squeeze-and-excitation block.
inline void unet_conv(std::vector<Entry>& e, const std::string& p, int64_t in, int64_t mid, int64_t out, bool se, double a) {
    e.push_back({p + ".conv.0.weight", {mid, in, 3, 3}, a});
    e.push_back({p + ".conv.0.bias", {mid}, 0});
    e.push_back({p + ".conv.2.weight", {out, mid, 3, 3}, a});
    e.push_back({p + ".conv.2.bias", {out}, 0});
    if (se) {
        e.push_back({p + ".seblock.conv1.weight", {out / 8, out, 1, 1}, 0});
        e.push_back({p + ".seblock.conv1.bias", {out / 8}, 0});
        e.push_back({p + ".seblock.conv2.weight", {out, out / 8, 1, 1}, 0});
        e.push_back({p + ".seblock.conv2.bias", {out}, 0});
    }
}

// A convolution ([out, in, k, k]) or a transposed one ([in, out, k, k]) and its bias.
inline void layer(std::vector<Entry>& e, const std::string& p, std::vector<int64_t> shape, double a, bool transposed) {
    const int64_t bias = transposed ? shape[1] : shape[0];
    e.push_back({p + ".weight", std::move(shape), a});
    e.push_back({p + ".bias", {bias}, 0});
}

// The parameters and multiply-adds per input pixel of a layout.
struct Cost {
    int64_t parameters = 0;
    double macs = 0;
};
inline Cost cost(const std::vector<Entry>& layout) {
    Cost c;
    for (const Entry& e : layout) {
        int64_t n = 1;
        for (int64_t s : e.shape) n *= s;
        c.parameters += n;
        c.macs += double(n) * e.area;
    }
    return c;
}

}  // namespace upres::nn::arch::realcugan
