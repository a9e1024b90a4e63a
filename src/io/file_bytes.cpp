#include "io/file_bytes.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include <sys/stat.h>

namespace upres::io {

void file_error(Status s, const std::string& name, const std::string& problem) { fail(s, name + ": " + problem); }

std::vector<uint8_t> read_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) file_error(Status::io, path, std::strerror(errno));
    struct stat st {};
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        std::fclose(f);
        file_error(Status::io, path, "not a regular file");
    }
    if (uint64_t(st.st_size) > kMaxFileBytes) {
        std::fclose(f);
        file_error(Status::limit, path, "file larger than 2 GiB");
    }
    std::vector<uint8_t> bytes(size_t(st.st_size));
    const size_t got = bytes.empty() ? 0 : std::fread(bytes.data(), 1, bytes.size(), f);
    const bool bad = std::ferror(f);
    std::fclose(f);
    if (bad || got != bytes.size()) file_error(Status::io, path, "read failed");
    return bytes;
}

void write_atomically(const std::string& path, const uint8_t* bytes, size_t size) {
    std::random_device rd;
    const std::string tmp = path + ".tmp-upres-" + std::to_string(rd());
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) file_error(Status::io, path, std::string("cannot create: ") + std::strerror(errno));
    bool ok = size == 0 || std::fwrite(bytes, 1, size, f) == size;
    ok = (std::fflush(f) == 0) && ok;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) {
        const int err = errno;
        std::remove(tmp.c_str());
        file_error(Status::io, path, std::string("write failed: ") + std::strerror(err));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        std::remove(tmp.c_str());
        file_error(Status::io, path, std::string("cannot rename into place: ") + std::strerror(err));
    }
}

}  // namespace upres::io
