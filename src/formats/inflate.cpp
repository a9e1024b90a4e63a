#include "formats/inflate.hpp"

#include "core/error.hpp"

namespace upres::formats {

namespace {

constexpr int kMaxBits = 15;

class BitReader {
public:
    BitReader(const uint8_t* data, size_t size, const std::string& name) : data_(data), size_(size), name_(name) {}

    uint32_t bits(int need) {
        while (count_ < need) {
            if (pos_ == size_) fail(Status::model, name_ + ": compressed data ends early");
            buffer_ |= uint32_t(data_[pos_++]) << count_;
            count_ += 8;
        }
        const uint32_t v = buffer_ & ((1u << need) - 1);
        buffer_ >>= need;
        count_ -= need;
        return v;
    }
    // Stored blocks start on a byte boundary; the bits left in the buffer are always fewer than 8.
    void align() { buffer_ = 0, count_ = 0; }
    uint8_t byte() {
        if (pos_ == size_) fail(Status::model, name_ + ": compressed data ends early");
        return data_[pos_++];
    }

private:
    const uint8_t* data_;
    size_t size_, pos_ = 0;
    uint32_t buffer_ = 0;
    int count_ = 0;
    const std::string& name_;
};

// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman {
    uint16_t count[kMaxBits + 1] = {};
    uint16_t symbol[288] = {};
};

void build(Huffman& h, const uint8_t* lengths, int n, const std::string& name) {
    for (int i = 0; i < n; ++i) ++h.count[lengths[i]];
    h.count[0] = 0;
    int left = 1;  // codes still available at the current length
    for (int len = 1; len <= kMaxBits; ++len) {
        left = 2 * left - h.count[len];
        if (left < 0) fail(Status::model, name + ": over-subscribed Huffman code in compressed data");
    }
    uint16_t offset[kMaxBits + 2] = {};
    for (int len = 1; len <= kMaxBits; ++len) offset[len + 1] = uint16_t(offset[len] + h.count[len]);
    for (int i = 0; i < n; ++i)
        if (lengths[i]) h.symbol[offset[lengths[i]]++] = uint16_t(i);
}

int decode(BitReader& in, const Huffman& h, const std::string& name) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= kMaxBits; ++len) {
        code |= int(in.bits(1));
        const int count = h.count[len];
        if (code - first < count) return h.symbol[index + code - first];
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    fail(Status::model, name + ": invalid Huffman code in compressed data");
}

const uint16_t kLengthBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                  31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
const uint8_t kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
const uint16_t kDistBase[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
const uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

void inflate_codes(BitReader& in, const Huffman& lit, const Huffman& dist, std::vector<uint8_t>& out, size_t& pos,
                   const std::string& name) {
    const auto overflow = [&] { fail(Status::model, name + ": compressed data inflates past its declared size"); };
    for (;;) {
        int sym = decode(in, lit, name);
        if (sym < 256) {
            if (pos == out.size()) overflow();
            out[pos++] = uint8_t(sym);
            continue;
        }
        if (sym == 256) return;
        sym -= 257;
        if (sym >= 29) fail(Status::model, name + ": invalid length code in compressed data");
        const size_t len = kLengthBase[sym] + in.bits(kLengthExtra[sym]);
        const int dsym = decode(in, dist, name);
        if (dsym >= 30) fail(Status::model, name + ": invalid distance code in compressed data");
        const size_t back = kDistBase[dsym] + in.bits(kDistExtra[dsym]);
        if (back > pos) fail(Status::model, name + ": compressed data refers before its start");
        if (len > out.size() - pos) overflow();
        for (size_t i = 0; i < len; ++i, ++pos) out[pos] = out[pos - back];
    }
}

}  // namespace

std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, size_t out_size, const std::string& name) {
    std::vector<uint8_t> out(out_size);
    size_t pos = 0;
    BitReader in(data, size, name);
    bool last = false;
    while (!last) {
        last = in.bits(1);
        const uint32_t type = in.bits(2);
        if (type == 0) {
            in.align();
            const uint32_t len = in.byte() | uint32_t(in.byte()) << 8;
            const uint32_t nlen = in.byte() | uint32_t(in.byte()) << 8;
            if (len != (~nlen & 0xFFFF)) fail(Status::model, name + ": corrupt stored block in compressed data");
            if (len > out.size() - pos) fail(Status::model, name + ": compressed data inflates past its declared size");
            for (uint32_t i = 0; i < len; ++i) out[pos++] = in.byte();
        } else if (type == 1) {
            static const auto fixed = [] {
                std::pair<Huffman, Huffman> codes;
                uint8_t lengths[288];
                for (int i = 0; i < 288; ++i) lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
                build(codes.first, lengths, 288, "");
                for (int i = 0; i < 30; ++i) lengths[i] = 5;
                build(codes.second, lengths, 30, "");
                return codes;
            }();
            inflate_codes(in, fixed.first, fixed.second, out, pos, name);
        } else if (type == 2) {
            const int nlit = int(in.bits(5)) + 257, ndist = int(in.bits(5)) + 1, ncode = int(in.bits(4)) + 4;
            if (nlit > 286 || ndist > 30) fail(Status::model, name + ": bad code counts in compressed data");
            static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
            uint8_t lengths[320] = {};
            for (int i = 0; i < ncode; ++i) lengths[order[i]] = uint8_t(in.bits(3));
            Huffman lencode;
            build(lencode, lengths, 19, name);
            int i = 0;
            while (i < nlit + ndist) {
                int sym = decode(in, lencode, name);
                if (sym < 16) {
                    lengths[i++] = uint8_t(sym);
                    continue;
                }
                uint8_t value = 0;
                int repeat;
                if (sym == 16) {
                    if (i == 0) fail(Status::model, name + ": repeat with no previous length in compressed data");
                    value = lengths[i - 1];
                    repeat = 3 + int(in.bits(2));
                } else if (sym == 17) {
                    repeat = 3 + int(in.bits(3));
                } else {
                    repeat = 11 + int(in.bits(7));
                }
                if (i + repeat > nlit + ndist) fail(Status::model, name + ": too many code lengths in compressed data");
                while (repeat--) lengths[i++] = value;
            }
            if (lengths[256] == 0) fail(Status::model, name + ": compressed block has no end code");
            Huffman lit, dist;
            build(lit, lengths, nlit, name);
            build(dist, lengths + nlit, ndist, name);
            inflate_codes(in, lit, dist, out, pos, name);
        } else {
            fail(Status::model, name + ": invalid block type in compressed data");
        }
    }
    if (pos != out.size())
        fail(Status::model, name + ": compressed data gives " + std::to_string(pos) + " bytes, expected " +
                                std::to_string(out.size()));
    return out;
}

uint32_t crc32_of(const uint8_t* data, size_t size) {
    // Slicing by 8: eight tables let one step consume 8 bytes (checkpoints are hundreds of MB).
    static const auto tables = [] {
        std::vector<uint32_t> t(8 * 256);
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        for (uint32_t i = 0; i < 256; ++i)
            for (int k = 1; k < 8; ++k) t[size_t(k) * 256 + i] = (t[size_t(k - 1) * 256 + i] >> 8) ^ t[t[size_t(k - 1) * 256 + i] & 0xFF];
        return t;
    }();
    const uint32_t* t = tables.data();
    uint32_t crc = 0xFFFFFFFFu;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        const uint32_t lo = crc ^ (uint32_t(data[i]) | uint32_t(data[i + 1]) << 8 | uint32_t(data[i + 2]) << 16 |
                                   uint32_t(data[i + 3]) << 24);
        const uint32_t hi = uint32_t(data[i + 4]) | uint32_t(data[i + 5]) << 8 | uint32_t(data[i + 6]) << 16 |
                            uint32_t(data[i + 7]) << 24;
        crc = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^
              t[4 * 256 + (lo >> 24)] ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^
              t[1 * 256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
    }
    for (; i < size; ++i) crc = t[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

}  // namespace upres::formats
