#include "formats/model_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <sys/stat.h>
#include <vector>

#include "core/error.hpp"
#include "formats/ncnn.hpp"
#include "formats/safetensors.hpp"
#include "formats/state_dict.hpp"
#include "formats/torch_pth.hpp"

namespace upres::formats {

namespace {

constexpr uint64_t kMaxModelBytes = uint64_t(8) << 30;

std::vector<uint8_t> read_all(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) fail(Status::io, path + ": " + std::strerror(errno));
    struct stat st {};
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        std::fclose(f);
        fail(Status::io, path + ": not a regular file");
    }
    if (uint64_t(st.st_size) > kMaxModelBytes) {
        std::fclose(f);
        fail(Status::limit, path + ": larger than 8 GiB");
    }
    std::vector<uint8_t> bytes(size_t(st.st_size));
    const size_t got = bytes.empty() ? 0 : std::fread(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    if (got != bytes.size()) fail(Status::io, path + ": read failed");
    return bytes;
}

ModelFile read_by_content(const uint8_t* data, size_t size, const std::string& name) {
    // safetensors first: its 8-byte little-endian header length can begin with 0x80 and so look
    // like a pickle protocol marker; a '{' right after a length that fits the file settles it.
    if (size >= 10 && data[8] == '{') {
        uint64_t header_len = 0;
        for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | data[i];
        if (header_len >= 2 && header_len <= size - 8) return read_safetensors(data, size, name);
    }
    if (size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0) return read_pth_zip(data, size, name);
    if (size >= 2 && data[0] == 0x80 && data[1] <= 5) return read_pth_legacy(data, size, name);
    if (size >= 9 && data[8] == '{') return read_safetensors(data, size, name);
    if (is_ncnn_param(data, size))
        fail(Status::invalid_argument, name + ": an ncnn .param needs its .bin; open it by path (read_model_file)");
    fail(Status::model, name + ": not a recognised model file (expected .safetensors, a PyTorch .pth or an ncnn .param)");
}

}  // namespace

ModelFile read_model_memory(const uint8_t* data, size_t size, const std::string& name) {
    ModelFile file = read_by_content(data, size, name);
    file.tensors = strip_key_prefixes(std::move(file.tensors), name);
    return file;
}

ModelFile read_model_file(const std::string& path) {
    const std::vector<uint8_t> bytes = read_all(path);
    if (is_ncnn_param(bytes.data(), bytes.size())) {  // ncnn: the weights are in the .bin beside it
        const std::vector<uint8_t> bin = read_all(ncnn_bin_path(path));
        return read_ncnn(bytes.data(), bytes.size(), bin.data(), bin.size(), path);
    }
    return read_model_memory(bytes.data(), bytes.size(), path);
}

void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata) {
    const std::string bytes = encode_safetensors(tensors, metadata);
    std::random_device rd;
    const std::string tmp = path + ".tmp-upres-" + std::to_string(rd());
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) fail(Status::io, path + ": cannot create: " + std::strerror(errno));
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    ok = (std::fclose(f) == 0) && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        fail(Status::io, path + ": write failed");
    }
}

}  // namespace upres::formats
