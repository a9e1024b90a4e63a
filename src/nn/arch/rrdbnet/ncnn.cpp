// The RRDBNet graph as ncnn ships it, mapped to the PyTorch names.
#include <cmath>

#include "formats/ncnn_graph.hpp"
#include "nn/arch/rrdbnet/rrdbnet.hpp"

namespace upres::nn::arch::rrdbnet {

using formats::ncnn::Activation;
using formats::ncnn::Matcher;
using formats::ncnn::number;

// Real-ESRGAN's RRDBNet: conv_first, residual-in-residual dense blocks, conv_body added to
// conv_first's output, nearest x2 + conv per upsampling step, conv_hr, conv_last.
formats::TensorMap from_ncnn(const formats::ncnn::Graph& g, std::map<std::string, std::string>& metadata) {
    Matcher m(g);
    const int first = m.conv(0, Activation::none, "conv_first");
    int trunk = first;
    int block = 0;
    while (m.next_is("Convolution") && g.nodes()[m.position()].inputs == std::vector<int>{trunk} &&
           number(g.file(), *g.nodes()[m.position()].layer, 9, 0) == 2) {
        int x = trunk;
        for (int k = 1; k <= 3; ++k) {
            const std::string rdb = "body." + std::to_string(block) + ".rdb" + std::to_string(k) + ".conv";
            std::vector<int> feats = {x};
            for (int j = 1; j <= 4; ++j) {
                const int input = j == 1 ? x : m.concat(feats);
                feats.push_back(m.conv(input, Activation::leaky, rdb + std::to_string(j)));
            }
            const int c5 = m.conv(m.concat(feats), Activation::none, rdb + "5", m.channels(x));
            x = m.scaled_sum(c5, x);
        }
        trunk = m.scaled_sum(x, trunk);
        ++block;
    }
    if (block == 0) m.misfit("expected the first residual dense block");
    const int body = m.conv(trunk, Activation::none, "conv_body", m.channels(first));
    int feat = m.add(first, body);
    int ups = 0;
    while (m.next_is("Interp")) {
        if (++ups > 3) m.misfit("more than three upsampling steps");
        feat = m.conv(m.nearest(feat, 2), Activation::leaky, "conv_up" + std::to_string(ups));
    }
    if (ups < 2) m.misfit("expected two or three nearest x2 upsampling steps");
    const int hr = m.conv(feat, Activation::leaky, "conv_hr");
    m.conv(hr, Activation::none, "conv_last");
    m.finish();
    metadata["scale"] = std::to_string(1 << ups);
    return std::move(m.tensors());
}

}  // namespace upres::nn::arch::rrdbnet
