#include "formats/torch_pth.hpp"

#include <cstring>
#include <functional>
#include <map>

#include "core/checked_math.hpp"
#include "core/error.hpp"
#include "formats/pickle.hpp"
#include "formats/state_dict.hpp"
#include "formats/zip_reader.hpp"

namespace upres::formats {

namespace {

using Kind = PickleValue::Kind;

constexpr size_t kMaxRank = 8;
constexpr int kMaxRebuildDepth = 4;  // _rebuild_parameter(_rebuild_tensor_v2(...)) is two

// A storage's bytes as the archive holds them.
struct StorageBytes {
    const uint8_t* data = nullptr;
    uint64_t size = 0;
};

// The persistent id torch.save writes for a storage:
// ('storage', storage_type, key, location, numel[, view_metadata]).
struct StorageId {
    DType dtype = DType::f32;
    std::string key;
    uint64_t numel = 0;
    uint64_t view_offset = 0;  // legacy views of a larger storage, in elements
    bool is_view = false;
};

bool storage_dtype(const std::string& type, DType& out) {
    static const std::pair<const char*, DType> table[] = {
        {"torch.FloatStorage", DType::f32}, {"torch.HalfStorage", DType::f16},  {"torch.BFloat16Storage", DType::bf16},
        {"torch.DoubleStorage", DType::f64}, {"torch.LongStorage", DType::i64}, {"torch.IntStorage", DType::i32},
        {"torch.ShortStorage", DType::i16},  {"torch.CharStorage", DType::i8},  {"torch.ByteStorage", DType::u8},
        {"torch.BoolStorage", DType::boolean}};
    for (const auto& [n, t] : table)
        if (type == n) return out = t, true;
    return false;
}

bool as_nonnegative(const PickleValue& v, uint64_t& out) {
    if (v.kind != Kind::integer || v.integer < 0) return false;
    out = uint64_t(v.integer);
    return true;
}

StorageId parse_storage_id(const Pickle& p, const PickleValue& persistent, const std::string& name) {
    auto bad = [&](const std::string& what) { fail(Status::model, name + ": storage reference: " + what); };
    if (persistent.kind != Kind::persistent || persistent.items.size() != 1) bad("not a persistent id");
    const PickleValue& pid = p.at(persistent.items[0]);
    if (pid.kind != Kind::tuple || pid.items.size() < 5) bad("expected ('storage', type, key, location, size)");
    const PickleValue& tag = p.at(pid.items[0]);
    const PickleValue& type = p.at(pid.items[1]);
    const PickleValue& key = p.at(pid.items[2]);
    if (tag.kind != Kind::string || tag.text != "storage") bad("persistent id is not a storage");
    StorageId id;
    if (type.kind != Kind::global || !storage_dtype(type.text, id.dtype)) bad("unknown storage type");
    if (key.kind == Kind::string) id.key = key.text;
    else if (key.kind == Kind::integer) id.key = std::to_string(key.integer);
    else bad("storage key is not a string");
    if (!as_nonnegative(p.at(pid.items[4]), id.numel)) bad("storage size is not a non-negative integer");
    if (pid.items.size() >= 6 && p.at(pid.items[5]).kind != Kind::none) {
        // Legacy view metadata: (view_key, offset, view_size) into the storage named by `key`.
        const PickleValue& view = p.at(pid.items[5]);
        if (view.kind != Kind::tuple || view.items.size() != 3 || !as_nonnegative(p.at(view.items[1]), id.view_offset) ||
            !as_nonnegative(p.at(view.items[2]), id.numel))
            bad("malformed storage view");
        id.is_view = true;
    }
    return id;
}

bool is_rebuild_call(const Pickle& p, const PickleValue& v) {
    if (v.kind != Kind::call || v.items.size() < 2) return false;
    const std::string& f = p.at(v.items[0]).text;
    return f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor" ||
           f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state";
}

// Builds contiguous tensors from rebuild calls, bounding the total bytes produced: views may
// share a storage, but never more than `budget` bytes in all.
class TensorBuilder {
public:
    using Lookup = std::function<StorageBytes(const StorageId&)>;
    TensorBuilder(const Pickle& p, const std::string& name, Lookup lookup, uint64_t budget)
        : p_(p), name_(name), lookup_(std::move(lookup)), budget_(budget) {}

    Tensor build(const PickleValue& v, const std::string& key, int depth = 0) {
        auto bad = [&](const std::string& what) { fail(Status::model, name_ + ": tensor '" + key + "': " + what); };
        if (depth > kMaxRebuildDepth || !is_rebuild_call(p_, v)) bad("not a tensor");
        const PickleValue& args = p_.at(v.items[1]);
        const std::string& f = p_.at(v.items[0]).text;
        if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
            if (args.items.empty()) bad("_rebuild_parameter without data");
            return build(p_.at(args.items[0]), key, depth + 1);
        }
        if (args.items.size() < 4) bad(f + " with too few arguments");
        const StorageId id = parse_storage_id(p_, p_.at(args.items[0]), name_ + ": tensor '" + key + "'");
        uint64_t offset = 0;
        if (!as_nonnegative(p_.at(args.items[1]), offset)) bad("bad storage offset");
        const PickleValue& size = p_.at(args.items[2]);
        const PickleValue& stride = p_.at(args.items[3]);
        if (size.kind != Kind::tuple || stride.kind != Kind::tuple) bad("size and stride must be tuples");
        if (size.items.size() > kMaxRank) bad("rank above " + std::to_string(kMaxRank));
        if (stride.items.size() != size.items.size()) bad("size and stride differ in rank");

        Tensor t;
        t.dtype = id.dtype;
        const size_t rank = size.items.size();
        std::vector<uint64_t> dims(rank), strides(rank);
        uint64_t numel = 1, last = offset;  // `last`: the highest element index the view touches
        for (size_t i = 0; i < rank; ++i) {
            if (!as_nonnegative(p_.at(size.items[i]), dims[i]) || !as_nonnegative(p_.at(stride.items[i]), strides[i]))
                bad("bad size or stride");
            t.shape.push_back(int64_t(dims[i]));
            if (__builtin_mul_overflow(numel, dims[i], &numel)) bad("size overflows 64 bits");
        }
        for (size_t i = 0; i < rank && numel > 0; ++i) {
            uint64_t reach;
            if (__builtin_mul_overflow(dims[i] - 1, strides[i], &reach) || __builtin_add_overflow(last, reach, &last))
                bad("strides overflow 64 bits");
        }
        const uint64_t esize = dtype_bytes(id.dtype);
        const StorageBytes storage = lookup_(id);
        const uint64_t storage_numel = storage.size / esize;
        if (numel > 0 && last >= storage_numel)
            bad("view reaches element " + std::to_string(last) + " of a storage of " + std::to_string(storage_numel));
        // A state dict tensor never has more elements than its storage; one that did would be an
        // expanded (stride 0) view whose copy could be arbitrarily large.
        if (numel > storage_numel) bad("more elements than its storage holds");
        const uint64_t bytes = numel * esize;
        if (bytes > budget_) fail(Status::limit, name_ + ": tensors add up to more bytes than the file can justify");
        budget_ -= bytes;

        t.data.resize(to_size(bytes));
        if (numel == 0) return t;
        const uint8_t* src = storage.data;
        // Walk the view in row-major order; runs along a contiguous last dimension are copied whole.
        uint64_t expected = 1;
        bool contiguous = true;
        for (size_t i = rank; i-- > 0;) {
            if (dims[i] != 1 && strides[i] != expected) contiguous = false;
            expected *= dims[i];
        }
        if (contiguous) {
            std::memcpy(t.data.data(), src + offset * esize, size_t(bytes));
            return t;
        }
        std::vector<uint64_t> index(rank, 0);
        uint8_t* dst = t.data.data();
        for (uint64_t n = 0; n < numel; ++n) {
            uint64_t element = offset;
            for (size_t i = 0; i < rank; ++i) element += index[i] * strides[i];
            std::memcpy(dst + n * esize, src + element * esize, size_t(esize));
            for (size_t i = rank; i-- > 0;) {
                if (++index[i] < dims[i]) break;
                index[i] = 0;
            }
        }
        return t;
    }

private:
    const Pickle& p_;
    const std::string& name_;
    Lookup lookup_;
    uint64_t budget_;
};

bool holds_tensors(const Pickle& p, const PickleValue& dict) {
    for (size_t i = 0; i + 1 < dict.items.size(); i += 2)
        if (is_rebuild_call(p, p.at(dict.items[i + 1]))) return true;
    return false;
}

// Picks the state dict inside the checkpoint and builds its tensors.
TensorMap read_state_dict(const Pickle& p, TensorBuilder& builder, const std::string& name) {
    const PickleValue& root = p.root_value();
    if (root.kind != Kind::dict) fail(Status::model, name + ": the checkpoint holds no dict of tensors");
    const PickleValue* state = &root;
    int best = -1;
    for (size_t i = 0; i + 1 < root.items.size(); i += 2) {
        const PickleValue& k = p.at(root.items[i]);
        const PickleValue& v = p.at(root.items[i + 1]);
        if (k.kind != Kind::string || v.kind != Kind::dict) continue;
        const int rank = state_dict_wrapper_rank(k.text);
        if (rank >= 0 && (best < 0 || rank < best) && holds_tensors(p, v)) best = rank, state = &v;
    }
    TensorMap out;
    std::string keys;
    for (size_t i = 0; i + 1 < state->items.size(); i += 2) {
        const PickleValue& k = p.at(state->items[i]);
        const PickleValue& v = p.at(state->items[i + 1]);
        if (k.kind != Kind::string) continue;
        if (keys.size() < 200) keys += (keys.empty() ? "" : ", ") + k.text;
        if (is_rebuild_call(p, v)) out[k.text] = builder.build(v, k.text);  // the last of equal keys wins, as in Python
    }
    if (out.empty()) fail(Status::model, name + ": no tensors in the checkpoint (keys: " + keys + ")");
    return out;
}

uint64_t tensor_budget(size_t file_size) {
    // Views of one storage can legitimately repeat its bytes a few times, never more.
    return checked_add(checked_mul(uint64_t(file_size), 4), uint64_t(64) << 20);
}

}  // namespace

ModelFile read_pth_zip(const uint8_t* data, size_t size, const std::string& name) {
    ZipReader zip(data, size, name);
    // The pickle sits at <dir>/data.pkl; <dir> is the archive's name when it was saved.
    const ZipEntry* pickle_entry = nullptr;
    std::string prefix;
    for (const ZipEntry& e : zip.entries()) {
        const std::string& n = e.name;
        if (n == "data.pkl" || (n.size() > 9 && n.compare(n.size() - 9, 9, "/data.pkl") == 0 &&
                                n.find('/') == n.size() - 9)) {
            pickle_entry = &e;
            prefix = n.substr(0, n.size() - 8);
            break;
        }
    }
    // A TorchScript archive (scripted or traced module) carries code, not a state dict: reported as
    // the format "torchscript" with no tensors, its pickles left unread (nn decides what to do).
    for (const ZipEntry& e : zip.entries())
        if (e.name == prefix + "constants.pkl" || e.name.compare(0, prefix.size() + 5, prefix + "code/") == 0) {
            ModelFile script;
            script.format = "torchscript";
            return script;
        }
    if (!pickle_entry) fail(Status::model, name + ": a zip archive without data.pkl, not a PyTorch checkpoint");
    if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
        const ZipBytes b = zip.read(*order);
        if (!(b.size == 6 && std::memcmp(b.data, "little", 6) == 0))
            fail(Status::unsupported, name + ": saved on a big-endian machine; only little-endian checkpoints are read");
    }
    const ZipBytes pickle_bytes = zip.read(*pickle_entry);
    const Pickle pickle = unpickle(pickle_bytes.data, pickle_bytes.size, name);

    std::map<std::string, ZipBytes> storages;  // read once, shared by all views
    auto lookup = [&](const StorageId& id) -> StorageBytes {
        auto it = storages.find(id.key);
        if (it == storages.end()) {
            const ZipEntry* e = zip.find(prefix + "data/" + id.key);
            if (!e) fail(Status::model, name + ": storage '" + id.key + "' is missing from the archive");
            it = storages.emplace(id.key, zip.read(*e)).first;
        }
        const uint64_t esize = dtype_bytes(id.dtype);
        if (it->second.size / esize < id.numel)
            fail(Status::model, name + ": storage '" + id.key + "' holds " + std::to_string(it->second.size) +
                                    " bytes, fewer than its " + std::to_string(id.numel) + " elements need");
        return {it->second.data, id.numel * esize};
    };
    TensorBuilder builder(pickle, name, lookup, tensor_budget(size));
    ModelFile out;
    out.format = "pth-zip";
    out.tensors = read_state_dict(pickle, builder, name);
    return out;
}

ModelFile read_pth_legacy(const uint8_t* data, size_t size, const std::string& name) {
    auto bad = [&](const std::string& what) { fail(Status::model, name + ": " + what); };
    size_t pos = 0, used = 0;
    auto next_pickle = [&](const char* what) {
        try {
            Pickle p = unpickle(data + pos, size - pos, name, &used);
            pos += used;
            return p;
        } catch (const Error& e) {
            if (e.status() != Status::model) throw;
            throw Error(e.status(), std::string(e.what()) + " [in the " + what + " pickle]");
        }
    };
    const Pickle magic = next_pickle("magic number");
    static const uint8_t kMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};  // 0x1950a86a20f9469cfc6c
    const PickleValue& m = magic.root_value();
    if (m.kind != Kind::big_integer || m.text.size() != sizeof kMagic || std::memcmp(m.text.data(), kMagic, sizeof kMagic) != 0)
        bad("a pickle without torch.save's magic number, not a PyTorch checkpoint");
    const Pickle version = next_pickle("protocol version");
    if (version.root_value().kind != Kind::integer || version.root_value().integer != 1001)
        fail(Status::unsupported, name + ": unsupported legacy checkpoint protocol version");
    const Pickle sys_info = next_pickle("sys_info");
    if (const PickleValue* little = sys_info.dict_get(sys_info.root_value(), "little_endian"))
        if (little->kind == Kind::boolean && !little->boolean)
            fail(Status::unsupported, name + ": saved on a big-endian machine; only little-endian checkpoints are read");
    const Pickle objects = next_pickle("object");
    const Pickle keys = next_pickle("storage key");

    // Element types come from the object pickle's storage references; a scan of the arena finds
    // them all without walking the (possibly cyclic) graph.
    std::map<std::string, DType> dtypes;
    for (const PickleValue& v : objects.values)
        if (v.kind == Kind::persistent) {
            const StorageId id = parse_storage_id(objects, v, name);
            auto [it, fresh] = dtypes.emplace(id.key, id.dtype);
            if (!fresh && it->second != id.dtype) bad("storage '" + id.key + "' is referenced with two element types");
        }
    // Then each listed storage: an int64 element count and the raw bytes.
    std::map<std::string, StorageBytes> storages;
    const PickleValue& list = keys.root_value();
    if (list.kind != Kind::list) bad("the storage key list is not a list");
    for (uint32_t k : list.items) {
        const PickleValue& key = keys.at(k);
        if (key.kind != Kind::string) bad("a storage key is not a string");
        const auto type = dtypes.find(key.text);
        if (type == dtypes.end()) bad("storage '" + key.text + "' is listed but never referenced");
        if (size - pos < 8) bad("storage '" + key.text + "': file ends before its size");
        uint64_t count = 0;
        for (int i = 7; i >= 0; --i) count = count << 8 | data[pos + size_t(i)];
        pos += 8;
        uint64_t bytes = 0;
        if (__builtin_mul_overflow(count, uint64_t(dtype_bytes(type->second)), &bytes) || bytes > size - pos)
            bad("storage '" + key.text + "': " + std::to_string(count) + " elements run past the end of the file");
        if (!storages.emplace(key.text, StorageBytes{data + pos, bytes}).second)
            bad("storage '" + key.text + "' is listed twice");
        pos += size_t(bytes);
    }
    auto lookup = [&](const StorageId& id) -> StorageBytes {
        const auto it = storages.find(id.key);
        if (it == storages.end()) bad("storage '" + id.key + "' is referenced but not stored");
        const uint64_t esize = dtype_bytes(id.dtype), have = it->second.size / esize;
        if (id.view_offset > have || id.numel > have - id.view_offset)
            bad("storage '" + id.key + "' holds " + std::to_string(have) + " elements, fewer than referenced");
        return {it->second.data + id.view_offset * esize, id.numel * esize};
    };
    TensorBuilder builder(objects, name, lookup, tensor_budget(size));
    ModelFile out;
    out.format = "pth-legacy";
    out.tensors = read_state_dict(objects, builder, name);
    return out;
}

}  // namespace upres::formats
