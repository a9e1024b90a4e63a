#include "formats/ncnn.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "core/error.hpp"

namespace upres::formats {

namespace {

// Bounds far above any real super-resolution graph (Real-ESRGAN x4plus: 999 layers, 1782 blobs),
// low enough that a hostile header cannot make the parser allocate much.
constexpr long kMaxLayers = 100000;
constexpr long kMaxBlobs = 1000000;
constexpr size_t kMaxLayerBlobs = 4096;
constexpr size_t kMaxArrayValues = 65536;
constexpr size_t kMaxNameLength = 255;  // ncnn reads names with %255s
constexpr size_t kMaxParamBytes = size_t(64) << 20;

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

[[noreturn]] void bad_file(const std::string& name, const std::string& what) { fail(Status::model, name + ": " + what); }

std::string where(const Layer& l) { return "line " + std::to_string(l.line) + ", layer '" + l.name + "' (" + l.type + ")"; }

[[noreturn]] void bad_layer(const std::string& name, const Layer& l, const std::string& what) {
    bad_file(name, where(l) + ": " + what);
}

// ------------------------------------------------------------------------------- the .param text

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        const size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

bool parse_long(const std::string& s, long& out) {
    const char* end = s.data() + s.size();
    auto r = std::from_chars(s.data(), end, out);
    return r.ec == std::errc() && r.ptr == end;
}

bool parse_number(const char* begin, const char* end, double& out) {
    if (begin != end && *begin == '+') ++begin;
    auto r = std::from_chars(begin, end, out);
    return r.ec == std::errc() && r.ptr == end && std::isfinite(out);
}

Param parse_value(int key, const std::string& text, bool& ok) {
    Param p;
    ok = false;
    const char* s = text.data();
    const char* end = s + text.size();
    if (key > -23300) {
        double v;
        if (!parse_number(s, end, v)) return p;
        p.values.push_back(v);
        ok = true;
        return p;
    }
    p.is_array = true;
    const char* comma = std::find(s, end, ',');
    double count;
    if (!parse_number(s, comma, count) || count < 0 || count > double(kMaxArrayValues) || count != std::floor(count))
        return p;
    p.values.reserve(size_t(count));
    while (comma != end) {
        const char* start = comma + 1;
        comma = std::find(start, end, ',');
        double v;
        if (p.values.size() == size_t(count) || !parse_number(start, comma, v)) return p;
        p.values.push_back(v);
    }
    ok = p.values.size() == size_t(count);
    return p;
}

std::vector<Layer> parse_param(const uint8_t* data, size_t size, const std::string& name) {
    if (size > kMaxParamBytes) bad_file(name, "the .param text is larger than 64 MiB");
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (text.find('\0') != std::string::npos) bad_file(name, "the .param text contains a NUL byte");
    std::vector<std::string> lines;
    for (size_t pos = 0; pos <= text.size();) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    size_t li = 0;
    auto next_words = [&](int& line_no) {
        while (li < lines.size()) {
            std::vector<std::string> w = split_words(lines[li++]);
            if (!w.empty()) {
                line_no = int(li);
                return w;
            }
        }
        line_no = int(li);
        return std::vector<std::string>{};
    };
    int line_no = 0;
    std::vector<std::string> w = next_words(line_no);
    if (w.size() != 1 || w[0] != "7767517") bad_file(name, "not an ncnn .param file (the first line must be 7767517)");
    w = next_words(line_no);
    long layer_count = 0, blob_count = 0;
    if (w.size() != 2 || !parse_long(w[0], layer_count) || !parse_long(w[1], blob_count))
        bad_file(name, "line " + std::to_string(line_no) + ": expected 'layer_count blob_count'");
    if (layer_count < 1 || layer_count > kMaxLayers || blob_count < 1 || blob_count > kMaxBlobs)
        bad_file(name, "line " + std::to_string(line_no) + ": layer count " + std::to_string(layer_count) +
                           " or blob count " + std::to_string(blob_count) + " out of range");
    // Every layer needs a line of at least 4 words, so a count beyond the lines present is a lie.
    if (size_t(layer_count) > lines.size())
        bad_file(name, "declares " + std::to_string(layer_count) + " layers but has only " +
                           std::to_string(lines.size()) + " lines");

    std::vector<Layer> layers;
    layers.reserve(size_t(layer_count));
    std::set<std::string> blobs, layer_names;
    for (long i = 0; i < layer_count; ++i) {
        w = next_words(line_no);
        if (w.empty())
            bad_file(name, "declares " + std::to_string(layer_count) + " layers but ends after " + std::to_string(i));
        Layer l;
        l.line = line_no;
        const std::string at = "line " + std::to_string(line_no);
        long n_in = 0, n_out = 0;
        if (w.size() < 4 || !parse_long(w[2], n_in) || !parse_long(w[3], n_out) || n_in < 0 || n_out < 0 ||
            size_t(n_in) > kMaxLayerBlobs || size_t(n_out) > kMaxLayerBlobs || size_t(4 + n_in + n_out) > w.size())
            bad_file(name, at + ": expected 'type name inputs outputs blobs... key=value...'");
        l.type = w[0];
        l.name = w[1];
        if (l.type.size() > kMaxNameLength || l.name.size() > kMaxNameLength)
            bad_file(name, at + ": layer type or name longer than 255 characters");
        if (!layer_names.insert(l.name).second) bad_file(name, at + ": layer name '" + l.name + "' used twice");
        size_t k = 4;
        for (long j = 0; j < n_in; ++j, ++k) {
            if (!blobs.count(w[k])) bad_layer(name, l, "input blob '" + w[k] + "' is not produced by an earlier layer");
            l.inputs.push_back(w[k]);
        }
        for (long j = 0; j < n_out; ++j, ++k) {
            if (w[k].size() > kMaxNameLength) bad_layer(name, l, "blob name longer than 255 characters");
            if (!blobs.insert(w[k]).second) bad_layer(name, l, "blob '" + w[k] + "' is produced twice");
            l.outputs.push_back(w[k]);
        }
        for (; k < w.size(); ++k) {
            const size_t eq = w[k].find('=');
            long key = 0;
            if (eq == std::string::npos || !parse_long(w[k].substr(0, eq), key) || key < -23300 - 31 || key > 31)
                bad_layer(name, l, "malformed parameter '" + w[k] + "'");
            bool ok = false;
            Param p = parse_value(int(key), w[k].substr(eq + 1), ok);
            if (!ok) bad_layer(name, l, "malformed parameter value '" + w[k] + "'");
            const int id = key <= -23300 ? int(-23300 - key) : int(key);
            if (!l.params.emplace(id, std::move(p)).second) bad_layer(name, l, "parameter " + std::to_string(id) + " given twice");
        }
        layers.push_back(std::move(l));
    }
    if (!next_words(line_no).empty())
        bad_file(name, "line " + std::to_string(line_no) + ": text after the " + std::to_string(layer_count) + " declared layers");
    if (blobs.size() != size_t(blob_count))
        bad_file(name, "declares " + std::to_string(blob_count) + " blobs but its layers produce " + std::to_string(blobs.size()));
    return layers;
}

// Typed access to a layer's parameters, with ncnn's defaults.
double number(const std::string& name, const Layer& l, int id, double fallback) {
    auto it = l.params.find(id);
    if (it == l.params.end()) return fallback;
    if (it->second.is_array) bad_layer(name, l, "parameter " + std::to_string(id) + " must be a number, not an array");
    return it->second.values[0];
}

long integer(const std::string& name, const Layer& l, int id, long fallback) {
    const double v = number(name, l, id, double(fallback));
    if (v != std::floor(v) || std::fabs(v) > 2147483647.0)
        bad_layer(name, l, "parameter " + std::to_string(id) + " must be an integer");
    return long(v);
}

std::vector<double> array(const std::string& name, const Layer& l, int id) {
    auto it = l.params.find(id);
    if (it == l.params.end()) return {};
    if (!it->second.is_array) bad_layer(name, l, "parameter " + std::to_string(id) + " must be an array");
    return it->second.values;
}

// ------------------------------------------------------------------------------------ the .bin

constexpr uint32_t kTagF16 = 0x01306B47;
constexpr uint32_t kTagI8 = 0x000D4B38;
constexpr uint32_t kTagF32Scaled = 0x0002C056;

size_t align4(size_t n) { return (n + 3) & ~size_t(3); }

class BinReader {
public:
    BinReader(const uint8_t* data, size_t size, const std::string& name) : p_(data), size_(size), name_(name) {}

    // ncnn's "auto" storage: a 4-byte tag, then fp16 (padded to 4 bytes), raw fp32, or a 256-entry
    // fp32 table and one byte index per value.
    Tensor load_tagged(const Layer& l, size_t count) {
        const uint8_t* b = take(l, 4, "a storage tag");
        const uint32_t tag = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
        Tensor t;
        if (tag == kTagF16) {
            t.dtype = DType::f16;
            const uint8_t* src = take(l, align4(count * 2), std::to_string(count) + " fp16 weights");
            t.data.assign(src, src + count * 2);
        } else if (tag == 0 || tag == kTagF32Scaled) {
            const uint8_t* src = take(l, count * 4, std::to_string(count) + " fp32 weights");
            t.data.assign(src, src + count * 4);
        } else if (tag == kTagI8) {
            bad_layer(name_, l, "int8-quantised weights are not supported");
        } else {
            const uint8_t* table = take(l, 256 * 4, "a 256-entry weight table");
            const uint8_t* index = take(l, align4(count), std::to_string(count) + " weight indices");
            t.data.resize(count * 4);
            for (size_t i = 0; i < count; ++i) std::memcpy(&t.data[4 * i], table + 4 * size_t(index[i]), 4);
        }
        return t;
    }

    // Raw fp32 without a tag (biases, PReLU slopes).
    Tensor load_raw(const Layer& l, size_t count) {
        Tensor t;
        const uint8_t* src = take(l, count * 4, std::to_string(count) + " fp32 values");
        t.data.assign(src, src + count * 4);
        return t;
    }

    size_t left() const { return size_ - pos_; }

private:
    // Checks the bytes are there before anything is copied.
    const uint8_t* take(const Layer& l, size_t n, const std::string& what) {
        if (n > size_ - pos_)
            bad_file(name_, ".bin is truncated: " + where(l) + " needs " + what + " (" + std::to_string(n) +
                                " bytes) at offset " + std::to_string(pos_) + " but " + std::to_string(size_ - pos_) +
                                " bytes are left");
        const uint8_t* at = p_ + pos_;
        pos_ += n;
        return at;
    }

    const uint8_t* p_;
    size_t size_, pos_ = 0;
    const std::string& name_;
};

// The layer types the recognised graphs use; each one's weights (if any) are read here, in layer
// order, as ncnn's load_model does.
void load_weights(std::vector<Layer>& layers, const uint8_t* bin, size_t bin_size, const std::string& name) {
    BinReader r(bin, bin_size, name);
    static const std::set<std::string> weightless = {"Input", "Split", "Concat", "Eltwise", "BinaryOp", "Interp", "PixelShuffle"};
    for (Layer& l : layers) {
        if (l.type == "Convolution") {
            const long out = integer(name, l, 0, 0), kw = integer(name, l, 1, 0), kh = integer(name, l, 11, kw);
            const long size = integer(name, l, 6, 0);
            if (integer(name, l, 8, 0) != 0) bad_layer(name, l, "int8-quantised convolutions are not supported");
            if (integer(name, l, 19, 0) != 0) bad_layer(name, l, "convolutions with dynamic weights are not supported");
            if (out < 1 || kw < 1 || kw > 31 || kh != kw || size < 1 || size % (out * kw * kh) != 0)
                bad_layer(name, l, "num_output " + std::to_string(out) + ", kernel " + std::to_string(kw) + "x" +
                                       std::to_string(kh) + " and weight_data_size " + std::to_string(size) +
                                       " do not make a square convolution");
            Tensor w = r.load_tagged(l, size_t(size));
            w.shape = {out, size / (out * kw * kh), kh, kw};
            l.weights.emplace_back("weight", std::move(w));
            if (integer(name, l, 5, 0) != 0) {
                Tensor b = r.load_raw(l, size_t(out));
                b.shape = {out};
                l.weights.emplace_back("bias", std::move(b));
            }
        } else if (l.type == "PReLU") {
            const long n = integer(name, l, 0, 0);
            if (n < 1 || n > 65536) bad_layer(name, l, "num_slope " + std::to_string(n) + " out of range");
            Tensor s = r.load_raw(l, size_t(n));
            s.shape = {n};
            l.weights.emplace_back("weight", std::move(s));
        } else if (!weightless.count(l.type)) {
            bad_layer(name, l, "layer type '" + l.type + "' is not supported (not part of RRDBNet or SRVGGNetCompact)");
        }
    }
    if (r.left() != 0)
        bad_file(name, ".bin has " + std::to_string(r.left()) + " bytes left over after the last layer's weights");
}

// ------------------------------------------------------------------------- graph recognition

// A layer with Split resolved away: its inputs are value ids (0 = the network input, k + 1 = the
// output of node k).
struct Node {
    const Layer* layer;
    std::vector<int> inputs;
    int channels = 0;  // of its output
};

// Why the graph does not fit an architecture, and at which node.
struct Misfit {
    size_t node;
    std::string why;
};

class Graph {
public:
    Graph(const std::vector<Layer>& layers, const std::string& name) : name_(name) {
        std::map<std::string, int> value_of;
        for (const Layer& l : layers) {
            if (l.type == "Input") {
                if (!l.inputs.empty() || l.outputs.size() != 1 || input_seen_)
                    bad_layer(name, l, "expected one Input layer with one output");
                input_seen_ = true;
                value_of[l.outputs[0]] = 0;
                continue;
            }
            std::vector<int> in;
            for (const auto& b : l.inputs) in.push_back(value_of.at(b));
            if (l.type == "Split") {
                if (in.size() != 1) bad_layer(name, l, "a Split needs one input");
                for (const auto& b : l.outputs) value_of[b] = in[0];
                continue;
            }
            if (l.outputs.size() != 1) bad_layer(name, l, "expected exactly one output blob");
            nodes_.push_back({&l, in, 0});
            value_of[l.outputs[0]] = int(nodes_.size());
        }
        if (!input_seen_) bad_file(name, "the graph has no Input layer");
        if (nodes_.empty()) bad_file(name, "the graph has no layers after its Input");
    }

    const std::vector<Node>& nodes() const { return nodes_; }
    const std::string& name() const { return name_; }

private:
    std::vector<Node> nodes_;
    const std::string& name_;
    bool input_seen_ = false;
};

enum class Activation { none, leaky };

// Walks the nodes in order, checking each is the layer the architecture expects next, fed by the
// values it expects, and names its weights.
class Matcher {
public:
    explicit Matcher(const Graph& g) : g_(g), channels_(g.nodes().size() + 1, 0) {}

    bool at_end() const { return pos_ == g_.nodes().size(); }
    bool next_is(const char* type) const { return !at_end() && g_.nodes()[pos_].layer->type == type; }
    size_t position() const { return pos_; }
    int channels(int value) const { return channels_[size_t(value)]; }
    TensorMap& tensors() { return tensors_; }

    [[noreturn]] void misfit(const std::string& why) const { throw Misfit{pos_, why}; }

    // The next node, which must be of `type` with exactly these inputs in this order.
    const Node& take(const char* type, const std::vector<int>& inputs) {
        if (at_end()) misfit(std::string("the graph ends where a ") + type + " layer was expected");
        const Node& n = g_.nodes()[pos_];
        if (n.layer->type != type) misfit(std::string("expected a ") + type + " layer");
        if (n.inputs != inputs) misfit("its inputs are not the ones the architecture feeds it");
        return n;
    }
    int done() { return int(++pos_); }  // the value id of the node just accepted

    // A 3x3, stride 1, padding 1 convolution with bias and the given activation; its weights are
    // stored under `key`.
    int conv(int input, Activation act, const std::string& key, int out_channels = 0) {
        const Node& n = take("Convolution", {input});
        const Layer& l = *n.layer;
        auto num = [&](int id, double fallback) { return number(g_.name(), l, id, fallback); };
        if (num(1, 0) != 3 || num(11, 3) != 3 || num(2, 1) != 1 || num(12, 1) != 1 || num(3, 1) != 1 || num(13, 1) != 1)
            misfit("expected a 3x3 convolution with stride 1 and dilation 1");
        const double pad = num(4, 0);
        if (pad != 1 || num(14, pad) != 1 || num(15, pad) != 1 || num(16, num(14, pad)) != 1 || num(18, 0) != 0)
            misfit("expected zero padding of 1 on every side");
        if (l.weights.size() != 2) misfit("expected a convolution with bias");
        const int type = int(num(9, 0));
        const std::vector<double> params = array(g_.name(), l, 10);
        if (act == Activation::none && type != 0) misfit("expected no fused activation");
        if (act == Activation::leaky && (type != 2 || params.size() != 1 || std::fabs(params[0] - 0.2) > 1e-6))
            misfit("expected a fused leaky ReLU with slope 0.2");
        const Tensor& w = l.weights[0].second;
        const int in_ch = int(w.shape[1]);
        if (channels_[size_t(input)] == 0 && input == 0) channels_[0] = in_ch;
        if (in_ch != channels_[size_t(input)])
            misfit("its weights take " + std::to_string(in_ch) + " channels but its input has " +
                   std::to_string(channels_[size_t(input)]));
        if (out_channels && w.shape[0] != out_channels)
            misfit("expected " + std::to_string(out_channels) + " output channels, found " + std::to_string(w.shape[0]));
        tensors_[key + ".weight"] = w;
        tensors_[key + ".bias"] = l.weights[1].second;
        const int v = done();
        channels_[size_t(v)] = int(w.shape[0]);
        return v;
    }

    int prelu(int input, const std::string& key) {
        const Node& n = take("PReLU", {input});
        const Tensor& s = n.layer->weights.at(0).second;
        if (s.shape[0] != channels_[size_t(input)]) misfit("expected one slope per channel");
        tensors_[key + ".weight"] = s;
        const int v = done();
        channels_[size_t(v)] = channels_[size_t(input)];
        return v;
    }

    int concat(const std::vector<int>& inputs) {
        const Node& n = take("Concat", inputs);
        if (number(g_.name(), *n.layer, 0, 0) != 0) misfit("expected a concatenation along channels");
        int c = 0;
        for (int v : inputs) c += channels_[size_t(v)];
        const int v = done();
        channels_[size_t(v)] = c;
        return v;
    }

    // residual * 1 + scaled * 0.2, as an Eltwise sum with coefficients (either input order).
    int scaled_sum(int scaled, int residual) {
        if (at_end()) misfit("the graph ends where an Eltwise sum was expected");
        const Node& n = g_.nodes()[pos_];
        const bool swapped = n.inputs == std::vector<int>{residual, scaled};
        const Node& e = take("Eltwise", swapped ? std::vector<int>{residual, scaled} : std::vector<int>{scaled, residual});
        const std::vector<double> c = array(g_.name(), *e.layer, 1);
        const double cs = c.size() == 2 ? c[swapped ? 1 : 0] : 0, cr = c.size() == 2 ? c[swapped ? 0 : 1] : 0;
        if (number(g_.name(), *e.layer, 0, 0) != 1 || std::fabs(cs - 0.2) > 1e-6 || std::fabs(cr - 1.0) > 1e-6)
            misfit("expected an Eltwise sum with coefficients 0.2 and 1");
        same_channels(scaled, residual);
        const int v = done();
        channels_[size_t(v)] = channels_[size_t(residual)];
        return v;
    }

    int add(int a, int b) {
        if (at_end()) misfit("the graph ends where a BinaryOp add was expected");
        const bool swapped = g_.nodes()[pos_].inputs == std::vector<int>{b, a};
        const Node& n = take("BinaryOp", swapped ? std::vector<int>{b, a} : std::vector<int>{a, b});
        if (number(g_.name(), *n.layer, 0, 0) != 0 || number(g_.name(), *n.layer, 1, 0) != 0)
            misfit("expected a BinaryOp add of two blobs");
        same_channels(a, b);
        const int v = done();
        channels_[size_t(v)] = channels_[size_t(a)];
        return v;
    }

    int nearest(int input, int factor) {
        const Node& n = take("Interp", {input});
        auto num = [&](int id, double fallback) { return number(g_.name(), *n.layer, id, fallback); };
        if (num(0, 0) != 1 || num(1, 1) != factor || num(2, 1) != factor || num(3, 0) != 0 || num(4, 0) != 0 ||
            num(5, 0) != 0)
            misfit("expected a nearest-neighbour Interp by " + std::to_string(factor));
        const int v = done();
        channels_[size_t(v)] = channels_[size_t(input)];
        return v;
    }

    int pixel_shuffle(int input, int factor) {
        const Node& n = take("PixelShuffle", {input});
        if (number(g_.name(), *n.layer, 0, 1) != factor || number(g_.name(), *n.layer, 1, 0) != 0)
            misfit("expected a PixelShuffle by " + std::to_string(factor));
        const int c = channels_[size_t(input)];
        if (c % (factor * factor) != 0) misfit("its input channels are not a multiple of the factor squared");
        const int v = done();
        channels_[size_t(v)] = c / (factor * factor);
        return v;
    }

    void finish() {
        if (!at_end()) misfit("the architecture is complete but the graph goes on");
    }

private:
    void same_channels(int a, int b) const {
        if (channels_[size_t(a)] != channels_[size_t(b)]) misfit("its inputs have different channel counts");
    }

    const Graph& g_;
    size_t pos_ = 0;
    std::vector<int> channels_;  // per value id; 0 = unknown (the input until a convolution reads it)
    TensorMap tensors_;
};

// SRVGGNetCompact: conv+PReLU pairs, a last conv to channels*scale^2, PixelShuffle, and the input
// upsampled by nearest neighbour added on.
TensorMap match_compact(const Graph& g, int& scale) {
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
    scale = s;
    return std::move(m.tensors());
}

// Real-ESRGAN's RRDBNet: conv_first, residual-in-residual dense blocks, conv_body added to
// conv_first's output, nearest x2 + conv per upsampling step, conv_hr, conv_last.
TensorMap match_rrdbnet(const Graph& g, int& scale) {
    Matcher m(g);
    const int first = m.conv(0, Activation::none, "conv_first");
    int trunk = first;
    int block = 0;
    while (m.next_is("Convolution") && g.nodes()[m.position()].inputs == std::vector<int>{trunk} &&
           number(g.name(), *g.nodes()[m.position()].layer, 9, 0) == 2) {
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
    scale = 1 << ups;
    return std::move(m.tensors());
}

}  // namespace

bool is_ncnn_param(const uint8_t* data, size_t size) {
    static const char magic[] = "7767517";
    return size > 7 && std::memcmp(data, magic, 7) == 0 && (data[7] == '\n' || data[7] == '\r' || data[7] == ' ' || data[7] == '\t');
}

std::string ncnn_bin_path(const std::string& param_path) {
    const std::string ext = ".param";
    if (param_path.size() > ext.size() && param_path.compare(param_path.size() - ext.size(), ext.size(), ext) == 0)
        return param_path.substr(0, param_path.size() - ext.size()) + ".bin";
    return param_path + ".bin";
}

ModelFile read_ncnn(const uint8_t* param, size_t param_size, const uint8_t* bin, size_t bin_size, const std::string& name) {
    std::vector<Layer> layers = parse_param(param, param_size, name);
    load_weights(layers, bin, bin_size, name);
    const Graph graph(layers, name);
    ModelFile file;
    file.format = "ncnn";
    int scale = 0;
    std::string arch;
    Misfit best{0, ""};
    std::string best_arch;
    for (const char* candidate : {"compact", "rrdbnet"}) {
        try {
            file.tensors = candidate[0] == 'c' ? match_compact(graph, scale) : match_rrdbnet(graph, scale);
            arch = candidate;
            break;
        } catch (const Misfit& m) {
            if (best_arch.empty() || m.node > best.node) {
                best = m;
                best_arch = candidate[0] == 'c' ? "SRVGGNetCompact" : "RRDBNet";
            }
        }
    }
    if (arch.empty()) {
        const Layer& l = *graph.nodes()[std::min(best.node, graph.nodes().size() - 1)].layer;
        bad_file(name, "not an RRDBNet or SRVGGNetCompact graph: cannot place " + where(l) + " (closest: " + best_arch +
                           ", " + best.why + ")");
    }
    file.metadata["arch"] = arch;
    file.metadata["scale"] = std::to_string(scale);
    return file;
}

}  // namespace upres::formats
