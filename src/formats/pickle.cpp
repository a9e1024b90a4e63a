#include "formats/pickle.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "core/error.hpp"

namespace upres::formats {

namespace {

// A state dict needs a few values per tensor; these bounds are far above any real checkpoint and
// keep a hostile pickle from using memory out of proportion to the file.
constexpr size_t kMaxValues = size_t(1) << 22;
constexpr size_t kMaxStack = size_t(1) << 20;
constexpr size_t kMaxMarks = size_t(1) << 12;
constexpr size_t kMaxGlobalName = 256;

const char* const kAllowedGlobals[] = {
    "collections.OrderedDict",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",  // a Parameter carrying Python attributes (torch >= 2)
    "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
    "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage",
    "torch.ByteStorage", "torch.BoolStorage",
};

using Kind = PickleValue::Kind;

class Unpickler {
public:
    Unpickler(const uint8_t* data, size_t size, const std::string& name) : data_(data), size_(size), name_(name) {}

    Pickle run(size_t* consumed) {
        for (;;) {
            const size_t at = pos_;
            const uint8_t op = take(1)[0];
            if (op == '.') {  // STOP
                out_.root = pop();
                if (consumed) *consumed = pos_;
                return std::move(out_);
            }
            step(op, at);
        }
    }

private:
    const uint8_t* data_;
    size_t size_, pos_ = 0;
    const std::string& name_;
    Pickle out_;
    std::vector<uint32_t> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint32_t, uint32_t> memo_;

    [[noreturn]] void bad(const std::string& what) const {
        fail(Status::model, name_ + ": pickle: " + what + " (at byte " + std::to_string(pos_) + ")");
    }
    const uint8_t* take(uint64_t n) {
        if (n > size_ - pos_) bad("data ends early (truncated file?)");
        const uint8_t* p = data_ + pos_;
        pos_ += size_t(n);
        return p;
    }
    uint64_t le(int n) {
        const uint8_t* p = take(uint64_t(n));
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
        return v;
    }
    std::string line() {  // GLOBAL's module and name, each ended by '\n'
        const void* nl = std::memchr(data_ + pos_, '\n', std::min(size_ - pos_, kMaxGlobalName + 1));
        if (!nl) bad("unterminated or overlong global name");
        const size_t len = size_t(static_cast<const uint8_t*>(nl) - (data_ + pos_));
        std::string s(reinterpret_cast<const char*>(take(len)), len);
        take(1);
        return s;
    }

    uint32_t add(PickleValue v) {
        if (out_.values.size() >= kMaxValues) bad("more than " + std::to_string(kMaxValues) + " values");
        out_.values.push_back(std::move(v));
        return uint32_t(out_.values.size() - 1);
    }
    uint32_t add(Kind kind) {
        PickleValue v;
        v.kind = kind;
        return add(std::move(v));
    }
    PickleValue& value(uint32_t i) { return out_.values[i]; }
    void push(uint32_t v) {
        if (stack_.size() >= kMaxStack) bad("stack deeper than " + std::to_string(kMaxStack));
        stack_.push_back(v);
    }
    size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
    uint32_t pop() {
        if (stack_.size() <= floor()) bad("stack underflow");
        const uint32_t v = stack_.back();
        stack_.pop_back();
        return v;
    }
    uint32_t& top() {
        if (stack_.size() <= floor()) bad("stack underflow");
        return stack_.back();
    }
    std::vector<uint32_t> pop_mark() {
        if (marks_.empty()) bad("no MARK to pop to");
        const size_t m = marks_.back();
        marks_.pop_back();
        std::vector<uint32_t> items(stack_.begin() + std::ptrdiff_t(m), stack_.end());
        stack_.resize(m);
        return items;
    }
    uint32_t make_tuple(std::vector<uint32_t> items) {
        PickleValue v;
        v.kind = Kind::tuple;
        v.items = std::move(items);
        return add(std::move(v));
    }
    void push_string(Kind kind, uint64_t len) {
        PickleValue v;
        v.kind = kind;
        const uint8_t* p = take(len);  // bounds the length by the input before allocating
        v.text.assign(reinterpret_cast<const char*>(p), size_t(len));
        push(add(std::move(v)));
    }
    void push_integer(int64_t i) {
        PickleValue v;
        v.kind = Kind::integer;
        v.integer = i;
        push(add(std::move(v)));
    }
    void push_long(uint64_t len) {
        const uint8_t* p = take(len);
        PickleValue v;
        if (len <= 8) {
            uint64_t u = 0;
            for (uint64_t i = len; i-- > 0;) u = u << 8 | p[i];
            if (len > 0 && len < 8 && (p[len - 1] & 0x80)) u |= ~uint64_t(0) << (8 * len);  // sign-extend
            v.kind = Kind::integer;
            v.integer = int64_t(u);
        } else {
            v.kind = Kind::big_integer;
            v.text.assign(reinterpret_cast<const char*>(p), size_t(len));
        }
        push(add(std::move(v)));
    }
    void push_global(const std::string& module, const std::string& name) {
        const std::string qualified = module + "." + name;
        if (!pickle_global_allowed(qualified))
            fail(Status::model, name_ + ": pickle refers to global '" + qualified +
                                    "', which a state dict never needs; refusing to load");
        PickleValue v;
        v.kind = Kind::global;
        v.text = qualified;
        push(add(std::move(v)));
    }
    void memo_put(uint64_t index) {
        if (memo_.size() >= kMaxValues) bad("memo too large");
        memo_[uint32_t(index)] = top();
    }
    void memo_get(uint64_t index) {
        const auto it = memo_.find(uint32_t(index));
        if (it == memo_.end()) bad("memo entry " + std::to_string(index) + " was never stored");
        push(it->second);
    }
    // REDUCE / NEWOBJ: OrderedDict() becomes an empty dict, the rest a call record for the reader.
    void call(uint32_t callable, uint32_t args) {
        if (value(callable).kind != Kind::global) bad("call of something that is not a global");
        if (value(args).kind != Kind::tuple) bad("call arguments are not a tuple");
        if (value(callable).text == "collections.OrderedDict") {
            if (!value(args).items.empty()) bad("OrderedDict called with arguments");
            push(add(Kind::dict));
            return;
        }
        PickleValue v;
        v.kind = Kind::call;
        v.items = {callable, args};
        push(add(std::move(v)));
    }
    void set_items(uint32_t target, const std::vector<uint32_t>& kv) {
        if (value(target).kind != Kind::dict) bad("SETITEM(S) on something that is not a dict");
        if (kv.size() % 2) bad("SETITEMS with an odd number of items");
        auto& items = value(target).items;
        if (items.size() + kv.size() > kMaxValues) bad("dict too large");
        items.insert(items.end(), kv.begin(), kv.end());
    }
    void append(uint32_t target, const std::vector<uint32_t>& xs) {
        if (value(target).kind != Kind::list) bad("APPEND(S) on something that is not a list");
        auto& items = value(target).items;
        if (items.size() + xs.size() > kMaxValues) bad("list too large");
        items.insert(items.end(), xs.begin(), xs.end());
    }

    void step(uint8_t op, size_t at) {
        switch (op) {
            case 0x80: {  // PROTO
                const uint8_t version = take(1)[0];
                if (version < 2 || version > 5) bad("unsupported pickle protocol " + std::to_string(version));
                break;
            }
            case 0x95: le(8); break;  // FRAME: a length hint only
            case '(':
                if (marks_.size() >= kMaxMarks) bad("MARKs nested deeper than " + std::to_string(kMaxMarks));
                marks_.push_back(stack_.size());
                break;
            case '0':  // POP (a MARK when one is on top)
                if (!marks_.empty() && stack_.size() == marks_.back()) marks_.pop_back();
                else pop();
                break;
            case '1': pop_mark(); break;  // POP_MARK
            case '2': push(top()); break;  // DUP
            case '}': push(add(Kind::dict)); break;
            case ']': push(add(Kind::list)); break;
            case ')': push(make_tuple({})); break;
            case 'N': push(add(Kind::none)); break;
            case 0x88:
            case 0x89: {
                PickleValue v;
                v.kind = Kind::boolean;
                v.boolean = op == 0x88;
                push(add(std::move(v)));
                break;
            }
            case 'J': push_integer(int32_t(uint32_t(le(4)))); break;  // BININT
            case 'K': push_integer(int64_t(le(1))); break;            // BININT1
            case 'M': push_integer(int64_t(le(2))); break;            // BININT2
            case 0x8a: push_long(le(1)); break;                       // LONG1
            case 0x8b: push_long(le(4)); break;                       // LONG4
            case 'G': {                                               // BINFLOAT, big-endian
                const uint8_t* p = take(8);
                uint64_t bits = 0;
                for (int i = 0; i < 8; ++i) bits = bits << 8 | p[i];
                PickleValue v;
                v.kind = Kind::floating;
                std::memcpy(&v.floating, &bits, 8);
                push(add(std::move(v)));
                break;
            }
            case 'X': push_string(Kind::string, le(4)); break;     // BINUNICODE
            case 0x8c: push_string(Kind::string, le(1)); break;    // SHORT_BINUNICODE
            case 0x8d: push_string(Kind::string, le(8)); break;    // BINUNICODE8
            case 'T': push_string(Kind::string, le(4)); break;     // BINSTRING (Python 2 str)
            case 'U': push_string(Kind::string, le(1)); break;     // SHORT_BINSTRING
            case 'B': push_string(Kind::bytes, le(4)); break;      // BINBYTES
            case 'C': push_string(Kind::bytes, le(1)); break;      // SHORT_BINBYTES
            case 0x8e: push_string(Kind::bytes, le(8)); break;     // BINBYTES8
            case 0x85: push(make_tuple({pop()})); break;           // TUPLE1
            case 0x86: {                                           // TUPLE2
                const uint32_t b = pop(), a = pop();
                push(make_tuple({a, b}));
                break;
            }
            case 0x87: {  // TUPLE3
                const uint32_t c = pop(), b = pop(), a = pop();
                push(make_tuple({a, b, c}));
                break;
            }
            case 't': push(make_tuple(pop_mark())); break;  // TUPLE
            case 'l': {                                      // LIST
                PickleValue v;
                v.kind = Kind::list;
                v.items = pop_mark();
                push(add(std::move(v)));
                break;
            }
            case 'd': {  // DICT
                const std::vector<uint32_t> kv = pop_mark();
                const uint32_t d = add(Kind::dict);
                set_items(d, kv);
                push(d);
                break;
            }
            case 's': {  // SETITEM
                const uint32_t v = pop(), k = pop();
                set_items(top(), {k, v});
                break;
            }
            case 'u': {  // SETITEMS
                const std::vector<uint32_t> kv = pop_mark();
                set_items(top(), kv);
                break;
            }
            case 'a': {  // APPEND
                const uint32_t v = pop();
                append(top(), {v});
                break;
            }
            case 'e': {  // APPENDS
                const std::vector<uint32_t> xs = pop_mark();
                append(top(), xs);
                break;
            }
            case 'q': memo_put(le(1)); break;  // BINPUT
            case 'r': memo_put(le(4)); break;  // LONG_BINPUT
            case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
            case 'h': memo_get(le(1)); break;  // BINGET
            case 'j': memo_get(le(4)); break;  // LONG_BINGET
            case 'c': {                        // GLOBAL
                const std::string module = line();
                const std::string name = line();
                push_global(module, name);
                break;
            }
            case 0x93: {  // STACK_GLOBAL
                const uint32_t n = pop(), m = pop();
                if (value(n).kind != Kind::string || value(m).kind != Kind::string) bad("STACK_GLOBAL of non-strings");
                push_global(value(m).text, value(n).text);
                break;
            }
            case 'R':  // REDUCE
            case 0x81: {  // NEWOBJ
                const uint32_t args = pop(), callable = pop();
                call(callable, args);
                break;
            }
            case 0x92: {  // NEWOBJ_EX
                const uint32_t kwargs = pop(), args = pop(), cls = pop();
                if (value(kwargs).kind != Kind::dict || !value(kwargs).items.empty()) bad("NEWOBJ_EX with keyword arguments");
                call(cls, args);
                break;
            }
            case 'b': {  // BUILD: OrderedDict's attributes (_metadata) or a call's state; kept, never applied
                const uint32_t state = pop();
                const uint32_t target = top();
                const Kind k = value(target).kind;
                if (k == Kind::call) value(target).items.push_back(state);
                else if (k != Kind::dict) bad("BUILD on something that is not an object");
                break;
            }
            case 'Q': {  // BINPERSID
                PickleValue v;
                v.kind = Kind::persistent;
                v.items = {pop()};
                push(add(std::move(v)));
                break;
            }
            default: {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", op);
                pos_ = at;
                bad(std::string("opcode ") + hex + " is not allowed in a state dict");
            }
        }
    }
};

}  // namespace

bool pickle_global_allowed(const std::string& qualified_name) {
    for (const char* g : kAllowedGlobals)
        if (qualified_name == g) return true;
    return false;
}

const PickleValue* Pickle::dict_get(const PickleValue& dict, const std::string& key) const {
    if (dict.kind != PickleValue::Kind::dict) return nullptr;
    const PickleValue* found = nullptr;
    for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
        const PickleValue& k = values[dict.items[i]];
        if (k.kind == PickleValue::Kind::string && k.text == key) found = &values[dict.items[i + 1]];
    }
    return found;
}

Pickle unpickle(const uint8_t* data, size_t size, const std::string& name, size_t* consumed) {
    return Unpickler(data, size, name).run(consumed);
}

}  // namespace upres::formats
