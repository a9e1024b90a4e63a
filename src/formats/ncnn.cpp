#include "formats/ncnn.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "core/error.hpp"
#include "formats/ncnn_graph.hpp"

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

using ncnn::Layer;
using ncnn::Param;
using ncnn::array;
using ncnn::bad_layer;
using ncnn::integer;
using ncnn::number;
using ncnn::where;

[[noreturn]] void bad_file(const std::string& name, const std::string& what) { fail(Status::model, name + ": " + what); }

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
    // Layer types without weights that some family's graph uses (src/nn/arch/*/ncnn.cpp).
    static const std::set<std::string> weightless = {"Input",   "Split",  "Concat", "Eltwise", "BinaryOp", "Interp",
                                                     "PixelShuffle", "ReLU", "Sigmoid", "Pooling", "Crop", "Padding"};
    for (Layer& l : layers) {
        if (l.type == "Convolution" || l.type == "Deconvolution") {
            // Deconvolution weights as ncnn stores them: [out][in][kh][kw] (PyTorch's ConvTranspose2d
            // holds [in][out][kh][kw]; the family's matcher transposes), then the bias, as for a
            // convolution. Only the key of the dynamic-weight flag differs.
            const bool deconv = l.type == "Deconvolution";
            const std::string what = deconv ? "deconvolution" : "convolution";
            const long out = integer(name, l, 0, 0), kw = integer(name, l, 1, 0), kh = integer(name, l, 11, kw);
            const long size = integer(name, l, 6, 0);
            if (integer(name, l, 8, 0) != 0) bad_layer(name, l, "int8-quantised " + what + "s are not supported");
            if (integer(name, l, deconv ? 28 : 19, 0) != 0)
                bad_layer(name, l, what + "s with dynamic weights are not supported");
            if (out < 1 || kw < 1 || kw > 31 || kh != kw || size < 1 || size % (out * kw * kh) != 0)
                bad_layer(name, l, "num_output " + std::to_string(out) + ", kernel " + std::to_string(kw) + "x" +
                                       std::to_string(kh) + " and weight_data_size " + std::to_string(size) +
                                       " do not make a square " + what);
            Tensor w = r.load_tagged(l, size_t(size));
            w.shape = {out, size / (out * kw * kh), kh, kw};
            l.weights.emplace_back("weight", std::move(w));
            if (integer(name, l, 5, 0) != 0) {
                Tensor b = r.load_raw(l, size_t(out));
                b.shape = {out};
                l.weights.emplace_back("bias", std::move(b));
            }
        } else if (l.type == "InnerProduct") {
            const long out = integer(name, l, 0, 0), size = integer(name, l, 2, 0);
            if (integer(name, l, 8, 0) != 0) bad_layer(name, l, "int8-quantised inner products are not supported");
            if (out < 1 || out > 65536 || size < 1 || size % out != 0 || size / out > 65536)
                bad_layer(name, l, "num_output " + std::to_string(out) + " and weight_data_size " + std::to_string(size) +
                                       " do not make a matrix");
            Tensor w = r.load_tagged(l, size_t(size));
            w.shape = {out, size / out};
            l.weights.emplace_back("weight", std::move(w));
            if (integer(name, l, 1, 0) != 0) {
                Tensor b = r.load_raw(l, size_t(out));
                b.shape = {out};
                l.weights.emplace_back("bias", std::move(b));
            }
        } else if (l.type == "Scale") {
            // scale_data_size -233: the scale comes from a second input blob, nothing is stored.
            const long n = integer(name, l, 0, 0);
            if (n != -233) {
                if (n < 1 || n > 65536) bad_layer(name, l, "scale_data_size " + std::to_string(n) + " out of range");
                Tensor s = r.load_raw(l, size_t(n));
                s.shape = {n};
                l.weights.emplace_back("weight", std::move(s));
                if (integer(name, l, 1, 0) != 0) {
                    Tensor b = r.load_raw(l, size_t(n));
                    b.shape = {n};
                    l.weights.emplace_back("bias", std::move(b));
                }
            }
        } else if (l.type == "PReLU") {
            const long n = integer(name, l, 0, 0);
            if (n < 1 || n > 65536) bad_layer(name, l, "num_slope " + std::to_string(n) + " out of range");
            Tensor s = r.load_raw(l, size_t(n));
            s.shape = {n};
            l.weights.emplace_back("weight", std::move(s));
        } else if (!weightless.count(l.type)) {
            bad_layer(name, l, "layer type '" + l.type + "' is not one upres reads");
        }
    }
    if (r.left() != 0)
        bad_file(name, ".bin has " + std::to_string(r.left()) + " bytes left over after the last layer's weights");
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
    ModelFile file;
    file.format = "ncnn";
    file.graph = std::make_shared<const ncnn::Graph>(std::move(layers), name);
    return file;
}

}  // namespace upres::formats
