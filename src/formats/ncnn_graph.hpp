// An ncnn model as a graph of layers with their weights (from ncnn.cpp's parser), and the matcher
// that architecture families (src/nn/arch/<name>/ncnn.cpp) walk it with: each step checks that the
// next layer is the one the architecture expects, fed by the values it expects, and names its
// weights as the PyTorch original does. No libtorch here.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "formats/tensor_map.hpp"

namespace upres::formats::ncnn {

// A key=value entry; keys <= -23300 hold arrays ("-23301=2,0.2,1.0" is key 1 = [0.2, 1.0]).
struct Param {
    bool is_array = false;
    std::vector<double> values;
};

struct Layer {
    std::string type, name;
    int line = 0;
    std::vector<std::string> inputs, outputs;
    std::map<int, Param> params;
    std::vector<std::pair<std::string, Tensor>> weights;  // ("weight" / "bias", tensor) from the .bin
};

// "line N, layer 'name' (Type)"
std::string where(const Layer& l);
[[noreturn]] void bad_layer(const std::string& file, const Layer& l, const std::string& what);

// Typed access to a layer's parameters, with ncnn's defaults.
double number(const std::string& file, const Layer& l, int id, double fallback);
long integer(const std::string& file, const Layer& l, int id, long fallback);
std::vector<double> array(const std::string& file, const Layer& l, int id);

// A layer with Split resolved away: its inputs are value ids (0 = the network input, k + 1 = the
// output of node k).
struct Node {
    const Layer* layer;
    std::vector<int> inputs;
};

class Graph {
public:
    // Throws Error(model) naming `file` when the graph has no single Input or a layer with several
    // outputs (other than Split).
    Graph(std::vector<Layer> layers, std::string file);
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;

    const std::vector<Node>& nodes() const { return nodes_; }
    const std::string& file() const { return file_; }

private:
    std::vector<Layer> layers_;
    std::vector<Node> nodes_;
    std::string file_;
};

// Why the graph does not fit an architecture, and at which node (the family that got furthest is
// named in the error when none fits).
struct Misfit {
    size_t node;
    std::string why;
};

enum class Activation { none, relu, leaky };

// Walks the nodes in order. Every step throws Misfit when the next node is not what it expects.
class Matcher {
public:
    explicit Matcher(const Graph& g) : g_(g), channels_(g.nodes().size() + 1, 0) {}

    bool at_end() const { return pos_ == g_.nodes().size(); }
    bool next_is(const char* type) const { return !at_end() && g_.nodes()[pos_].layer->type == type; }
    const Node& next() const;  // the node at the current position (Misfit at the end)
    size_t position() const { return pos_; }
    const Graph& graph() const { return g_; }
    int channels(int value) const { return channels_[size_t(value)]; }
    TensorMap& tensors() { return tensors_; }

    [[noreturn]] void misfit(const std::string& why) const { throw Misfit{pos_, why}; }

    // The next node, which must be of `type` with exactly these inputs in this order.
    const Node& take(const char* type, const std::vector<int>& inputs);
    // Accepts the node just taken, whose output has `channels` channels; returns its value id.
    int done(int channels);

    // A square k x k convolution, stride 1 and dilation 1, zero padding k/2 ("same"), with bias and
    // the given fused activation; weights stored under `key`.weight / .bias.
    int conv(int input, Activation act, const std::string& key, int out_channels = 0, int kernel = 3);
    int prelu(int input, const std::string& key);
    int concat(const std::vector<int>& inputs);
    // residual * 1 + scaled * 0.2, as an Eltwise sum with coefficients (either input order).
    int scaled_sum(int scaled, int residual);
    int add(int a, int b);  // BinaryOp add of two blobs (either order)
    int nearest(int input, int factor);
    int pixel_shuffle(int input, int factor);
    void finish();

    // Steps for U-Nets of unpadded convolutions (Real-CUGAN), appended to the ones above.
    // A k x k convolution with stride `stride`, no padding, with bias; `slope` < 0: no fused
    // activation, else a fused leaky ReLU with that slope (0: ReLU).
    int conv_unpadded(int input, int kernel, int stride, double slope, const std::string& key);
    // A k x k Deconvolution with stride `stride`, `pad` cropped off every side, with bias and
    // activation as conv_unpadded; the weights are stored transposed to PyTorch's ConvTranspose2d
    // layout [in, out, k, k].
    int deconv(int input, int kernel, int stride, int pad, double slope, const std::string& key);
    // A Crop of `amount` pixels off every side of the spatial axes.
    int crop(int input, int amount);
    // Global average pooling to one value per channel.
    int global_mean(int input);
    // An InnerProduct with bias and ncnn's fused activation `activation` (0 none, 1 ReLU, 4
    // sigmoid), stored as a 1x1 convolution's weights [out, in, 1, 1].
    int inner_product(int input, int activation, const std::string& key);
    // A BinaryOp multiplication of a blob by per-channel values (either order).
    int mul_channels(int blob, int per_channel);

private:
    void same_channels(int a, int b) const;
    // The checks every convolution step shares: the next node is a `type` (Convolution or
    // Deconvolution) reading `input`, with a square k x k kernel, dilation 1, stride `stride`, the
    // same padding `pad` on every side (for a Deconvolution: no output padding or groups either;
    // `padding_misfit` says what was expected), a bias, and weights that take the input's channels.
    const Layer& kernel_layer(const char* type, int input, int kernel, int stride, int pad, const std::string& padding_misfit);

    const Graph& g_;
    size_t pos_ = 0;
    std::vector<int> channels_;  // per value id; 0 = unknown (the input until a convolution reads it)
    TensorMap tensors_;
};

}  // namespace upres::formats::ncnn
