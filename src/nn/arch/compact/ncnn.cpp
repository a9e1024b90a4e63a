// The SRVGGNetCompact graph as ncnn ships it, mapped to the PyTorch names.
#include <cmath>

#include "formats/ncnn_graph.hpp"
#include "nn/arch/compact/compact.hpp"

namespace upres::nn::arch::compact {

using formats::ncnn::Activation;
using formats::ncnn::Matcher;

// SRVGGNetCompact: conv+PReLU pairs, a last conv to channels*scale^2, PixelShuffle, and the input
// upsampled by nearest neighbour added on.
formats::TensorMap from_ncnn(const formats::ncnn::Graph& g, std::map<std::string, std::string>& metadata) {
    Matcher m(g);
    int v = m.conv(0, Activation::none, "body.0");
    v = m.prelu(v, "body.1");
    int i = 2;
    int last = 0;
    while (true) {
        const int c = m.conv(v, Activation::none, "body." + std::to_string(i));
        if (!m.next_is("PReLU")) {
            last = c;
            break;
        }
        v = m.prelu(c, "body." + std::to_string(i + 1));
        i += 2;
    }
    const int in_ch = m.channels(0), out_ch = m.channels(last);
    const int s = int(std::lround(std::sqrt(double(out_ch) / in_ch)));
    if (s < 1 || s * s * in_ch != out_ch) m.misfit("the last convolution's outputs are not channels x scale^2");
    int shuffled = 0, upsampled = 0;
    if (m.next_is("Interp")) {
        upsampled = m.nearest(0, s);
        shuffled = m.pixel_shuffle(last, s);
    } else {
        shuffled = m.pixel_shuffle(last, s);
        upsampled = m.nearest(0, s);
    }
    m.add(shuffled, upsampled);
    m.finish();
    metadata["scale"] = std::to_string(s);
    return std::move(m.tensors());
}

}  // namespace upres::nn::arch::compact
