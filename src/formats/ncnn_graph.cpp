#include "formats/ncnn_graph.hpp"

#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace upres::formats::ncnn {

std::string where(const Layer& l) { return "line " + std::to_string(l.line) + ", layer '" + l.name + "' (" + l.type + ")"; }

void bad_layer(const std::string& file, const Layer& l, const std::string& what) {
    fail(Status::model, file + ": " + where(l) + ": " + what);
}

double number(const std::string& file, const Layer& l, int id, double fallback) {
    auto it = l.params.find(id);
    if (it == l.params.end()) return fallback;
    if (it->second.is_array) bad_layer(file, l, "parameter " + std::to_string(id) + " must be a number, not an array");
    return it->second.values[0];
}

long integer(const std::string& file, const Layer& l, int id, long fallback) {
    const double v = number(file, l, id, double(fallback));
    if (v != std::floor(v) || std::fabs(v) > 2147483647.0)
        bad_layer(file, l, "parameter " + std::to_string(id) + " must be an integer");
    return long(v);
}

std::vector<double> array(const std::string& file, const Layer& l, int id) {
    auto it = l.params.find(id);
    if (it == l.params.end()) return {};
    if (!it->second.is_array) bad_layer(file, l, "parameter " + std::to_string(id) + " must be an array");
    return it->second.values;
}

Graph::Graph(std::vector<Layer> layers, std::string file) : layers_(std::move(layers)), file_(std::move(file)) {
    std::map<std::string, int> value_of;
    bool input_seen = false;
    for (const Layer& l : layers_) {
        if (l.type == "Input") {
            if (!l.inputs.empty() || l.outputs.size() != 1 || input_seen)
                bad_layer(file_, l, "expected one Input layer with one output");
            input_seen = true;
            value_of[l.outputs[0]] = 0;
            continue;
        }
        std::vector<int> in;
        for (const auto& b : l.inputs) in.push_back(value_of.at(b));  // the parser checked each exists
        if (l.type == "Split") {
            if (in.size() != 1) bad_layer(file_, l, "a Split needs one input");
            for (const auto& b : l.outputs) value_of[b] = in[0];
            continue;
        }
        if (l.outputs.size() != 1) bad_layer(file_, l, "expected exactly one output blob");
        nodes_.push_back({&l, in});
        value_of[l.outputs[0]] = int(nodes_.size());
    }
    if (!input_seen) fail(Status::model, file_ + ": the graph has no Input layer");
    if (nodes_.empty()) fail(Status::model, file_ + ": the graph has no layers after its Input");
}

const Node& Matcher::next() const {
    if (at_end()) misfit("the graph ends where the architecture goes on");
    return g_.nodes()[pos_];
}

const Node& Matcher::take(const char* type, const std::vector<int>& inputs) {
    if (at_end()) misfit(std::string("the graph ends where a ") + type + " layer was expected");
    const Node& n = g_.nodes()[pos_];
    if (n.layer->type != type) misfit(std::string("expected a ") + type + " layer");
    if (n.inputs != inputs) misfit("its inputs are not the ones the architecture feeds it");
    return n;
}

int Matcher::done(int channels) {
    const int v = int(++pos_);
    channels_[size_t(v)] = channels;
    return v;
}

const Layer& Matcher::kernel_layer(const char* type, int input, int kernel, int stride, int pad,
                                   const std::string& padding_misfit) {
    const bool deconvolution = std::string(type) == "Deconvolution";
    const Layer& l = *take(type, {input}).layer;
    auto num = [&](int id, double fallback) { return number(g_.file(), l, id, fallback); };
    if (num(1, 0) != kernel || num(11, num(1, 0)) != kernel || num(2, 1) != 1 || num(12, num(2, 1)) != 1 ||
        num(3, 1) != stride || num(13, num(3, 1)) != stride)
        misfit("expected a " + std::to_string(kernel) + "x" + std::to_string(kernel) +
               (deconvolution ? " deconvolution" : " convolution") + " with stride " + std::to_string(stride) +
               " and dilation 1");
    const double p = num(4, 0);
    if (p != pad || num(14, p) != pad || num(15, p) != pad || num(16, num(14, p)) != pad || num(18, 0) != 0 ||
        (deconvolution && (num(19, 0) != 0 || num(20, 0) != 0 || num(21, 0) != 0 || num(7, 1) != 1)))
        misfit(padding_misfit);
    if (l.weights.size() != 2) misfit(deconvolution ? "expected a deconvolution with bias" : "expected a convolution with bias");
    const int in_ch = int(l.weights[0].second.shape[1]);
    if (channels_[size_t(input)] == 0 && input == 0) channels_[0] = in_ch;
    if (in_ch != channels_[size_t(input)])
        misfit("its weights take " + std::to_string(in_ch) + " channels but its input has " +
               std::to_string(channels_[size_t(input)]));
    return l;
}

int Matcher::conv(int input, Activation act, const std::string& key, int out_channels, int kernel) {
    const Layer& l = kernel_layer("Convolution", input, kernel, 1, kernel / 2,
                                  "expected zero padding of " + std::to_string(kernel / 2) + " on every side");
    const int type = int(number(g_.file(), l, 9, 0));
    const std::vector<double> params = array(g_.file(), l, 10);
    if (act == Activation::none && type != 0) misfit("expected no fused activation");
    if (act == Activation::relu && !(type == 1 || (type == 2 && params.size() == 1 && params[0] == 0)))
        misfit("expected a fused ReLU");
    if (act == Activation::leaky && (type != 2 || params.size() != 1 || std::fabs(params[0] - 0.2) > 1e-6))
        misfit("expected a fused leaky ReLU with slope 0.2");
    const Tensor& w = l.weights[0].second;
    if (out_channels && w.shape[0] != out_channels)
        misfit("expected " + std::to_string(out_channels) + " output channels, found " + std::to_string(w.shape[0]));
    tensors_[key + ".weight"] = w;
    tensors_[key + ".bias"] = l.weights[1].second;
    return done(int(w.shape[0]));
}

int Matcher::prelu(int input, const std::string& key) {
    const Node& n = take("PReLU", {input});
    const Tensor& s = n.layer->weights.at(0).second;
    if (s.shape[0] != channels_[size_t(input)]) misfit("expected one slope per channel");
    tensors_[key + ".weight"] = s;
    return done(channels_[size_t(input)]);
}

int Matcher::concat(const std::vector<int>& inputs) {
    const Node& n = take("Concat", inputs);
    if (number(g_.file(), *n.layer, 0, 0) != 0) misfit("expected a concatenation along channels");
    int c = 0;
    for (int v : inputs) c += channels_[size_t(v)];
    return done(c);
}

int Matcher::scaled_sum(int scaled, int residual) {
    const Node& n = next();
    const bool swapped = n.inputs == std::vector<int>{residual, scaled};
    const Node& e = take("Eltwise", swapped ? std::vector<int>{residual, scaled} : std::vector<int>{scaled, residual});
    const std::vector<double> c = array(g_.file(), *e.layer, 1);
    const double cs = c.size() == 2 ? c[swapped ? 1 : 0] : 0, cr = c.size() == 2 ? c[swapped ? 0 : 1] : 0;
    if (number(g_.file(), *e.layer, 0, 0) != 1 || std::fabs(cs - 0.2) > 1e-6 || std::fabs(cr - 1.0) > 1e-6)
        misfit("expected an Eltwise sum with coefficients 0.2 and 1");
    same_channels(scaled, residual);
    return done(channels_[size_t(residual)]);
}

int Matcher::add(int a, int b) {
    const bool swapped = next().inputs == std::vector<int>{b, a};
    const Node& n = take("BinaryOp", swapped ? std::vector<int>{b, a} : std::vector<int>{a, b});
    if (number(g_.file(), *n.layer, 0, 0) != 0 || number(g_.file(), *n.layer, 1, 0) != 0)
        misfit("expected a BinaryOp add of two blobs");
    same_channels(a, b);
    return done(channels_[size_t(a)]);
}

int Matcher::nearest(int input, int factor) {
    const Node& n = take("Interp", {input});
    auto num = [&](int id, double fallback) { return number(g_.file(), *n.layer, id, fallback); };
    if (num(0, 0) != 1 || num(1, 1) != factor || num(2, 1) != factor || num(3, 0) != 0 || num(4, 0) != 0 || num(5, 0) != 0)
        misfit("expected a nearest-neighbour Interp by " + std::to_string(factor));
    return done(channels_[size_t(input)]);
}

int Matcher::pixel_shuffle(int input, int factor) {
    const Node& n = take("PixelShuffle", {input});
    if (number(g_.file(), *n.layer, 0, 1) != factor || number(g_.file(), *n.layer, 1, 0) != 0)
        misfit("expected a PixelShuffle by " + std::to_string(factor));
    const int c = channels_[size_t(input)];
    if (c % (factor * factor) != 0) misfit("its input channels are not a multiple of the factor squared");
    return done(c / (factor * factor));
}

void Matcher::finish() {
    if (!at_end()) misfit("the architecture is complete but the graph goes on");
}

namespace {

// The fused activation of a Convolution / Deconvolution layer against the one expected.
bool activation_is(const std::string& file, const Layer& l, double slope) {
    const long type = integer(file, l, 9, 0);
    if (slope < 0) return type == 0;
    if (type == 1) return slope == 0;
    const std::vector<double> params = array(file, l, 10);
    return type == 2 && params.size() == 1 && std::fabs(params[0] - slope) < 1e-6;
}

std::string activation_text(double slope) {
    if (slope < 0) return "no fused activation";
    if (slope == 0) return "a fused ReLU";
    return "a fused leaky ReLU with slope " + std::to_string(slope);
}

}  // namespace

int Matcher::conv_unpadded(int input, int kernel, int stride, double slope, const std::string& key) {
    const Layer& l = kernel_layer("Convolution", input, kernel, stride, 0, "expected a convolution without padding");
    if (!activation_is(g_.file(), l, slope)) misfit("expected " + activation_text(slope));
    const Tensor& w = l.weights[0].second;
    tensors_[key + ".weight"] = w;
    tensors_[key + ".bias"] = l.weights[1].second;
    return done(int(w.shape[0]));
}

int Matcher::deconv(int input, int kernel, int stride, int pad, double slope, const std::string& key) {
    const Layer& l = kernel_layer("Deconvolution", input, kernel, stride, pad,
                                  "expected a deconvolution cropping " + std::to_string(pad) +
                                      " off every side, without output padding or groups");
    if (!activation_is(g_.file(), l, slope)) misfit("expected " + activation_text(slope));
    const Tensor& w = l.weights[0].second;  // [out, in, k, k]
    const int64_t out = w.shape[0], in = w.shape[1], kk = w.shape[2] * w.shape[3];
    Tensor t;
    t.dtype = w.dtype;
    t.shape = {in, out, w.shape[2], w.shape[3]};
    const size_t e = dtype_bytes(w.dtype), block = size_t(kk) * e;
    t.data.resize(w.data.size());
    for (int64_t o = 0; o < out; ++o)
        for (int64_t i = 0; i < in; ++i)
            std::memcpy(&t.data[size_t(i * out + o) * block], &w.data[size_t(o * in + i) * block], block);
    tensors_[key + ".weight"] = std::move(t);
    tensors_[key + ".bias"] = l.weights[1].second;
    return done(int(out));
}

int Matcher::crop(int input, int amount) {
    const Node& n = take("Crop", {input});
    const Layer& l = *n.layer;
    const std::vector<double> starts = array(g_.file(), l, 9), ends = array(g_.file(), l, 10), axes = array(g_.file(), l, 11);
    const double a = amount;
    const bool hw = axes.size() == 2 && ((axes[0] == -2 && axes[1] == -1) || (axes[0] == 1 && axes[1] == 2));
    if (!hw || starts != std::vector<double>{a, a} || ends != std::vector<double>{-a, -a})
        misfit("expected a Crop of " + std::to_string(amount) + " pixels off every side");
    return done(channels_[size_t(input)]);
}

int Matcher::global_mean(int input) {
    const Node& n = take("Pooling", {input});
    if (number(g_.file(), *n.layer, 0, 0) != 1 || number(g_.file(), *n.layer, 4, 0) != 1)
        misfit("expected a global average Pooling");
    return done(channels_[size_t(input)]);
}

int Matcher::inner_product(int input, int activation, const std::string& key) {
    const Node& n = take("InnerProduct", {input});
    const Layer& l = *n.layer;
    if (l.weights.size() != 2) misfit("expected an InnerProduct with bias");
    if (integer(g_.file(), l, 9, 0) != activation) misfit("expected fused activation type " + std::to_string(activation));
    const Tensor& w = l.weights[0].second;  // [out, in]
    if (w.shape[1] != channels_[size_t(input)])
        misfit("its weights take " + std::to_string(w.shape[1]) + " values but its input has " +
               std::to_string(channels_[size_t(input)]));
    Tensor t = w;
    t.shape = {w.shape[0], w.shape[1], 1, 1};
    tensors_[key + ".weight"] = std::move(t);
    tensors_[key + ".bias"] = l.weights[1].second;
    return done(int(w.shape[0]));
}

int Matcher::mul_channels(int blob, int per_channel) {
    const bool swapped = next().inputs == std::vector<int>{per_channel, blob};
    const Node& n = take("BinaryOp", swapped ? std::vector<int>{per_channel, blob} : std::vector<int>{blob, per_channel});
    if (number(g_.file(), *n.layer, 0, 0) != 2 || number(g_.file(), *n.layer, 1, 0) != 0)
        misfit("expected a BinaryOp multiplication of two blobs");
    same_channels(blob, per_channel);
    return done(channels_[size_t(blob)]);
}

void Matcher::same_channels(int a, int b) const {
    if (channels_[size_t(a)] != channels_[size_t(b)]) misfit("its inputs have different channel counts");
}

}  // namespace upres::formats::ncnn
