#include "test_support.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace upres::test {

namespace {

std::mutex g_case_mutex;
std::string g_case_name;
std::atomic<bool> g_skipped{false}, g_skipped_part{false};

void say(const char* kind, const std::string& reason) {
    std::lock_guard<std::mutex> lock(g_case_mutex);
    std::printf("%s: %s%s%s\n", kind, g_case_name.c_str(), g_case_name.empty() ? "" : ": ", reason.c_str());
    std::fflush(stdout);
}

bool exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

}  // namespace

void skip(const std::string& reason) {
    g_skipped = true;
    say("SKIP", reason);
}

void skip_part(const std::string& reason) {
    g_skipped_part = true;
    say("SKIP (part of this test case)", reason);
}

namespace detail {
void begin_case(const char* name) {
    std::lock_guard<std::mutex> lock(g_case_mutex);
    g_case_name = name ? name : "";
    g_skipped = false;
    g_skipped_part = false;
}
bool case_skipped() { return g_skipped; }
bool case_skipped_part() { return g_skipped_part; }
}  // namespace detail

std::string shared_dir() {
    const char* env = std::getenv("UPRES_SHARED_DIR");
    return env && *env ? env : UPRES_SHARED_DIR;
}

std::string missing_shared(const std::string& relative) {
    const std::string p = shared_dir() + "/" + relative;
    if (exists(p)) return "";
    return p + " not found (../shared or $UPRES_SHARED_DIR is absent or incomplete)";
}

bool have_shared(const std::string& relative) {
    const std::string why = missing_shared(relative);
    if (why.empty()) return true;
    skip_part(why);
    return false;
}

std::string temp_path(const std::string& name) { return std::string(UPRES_TEST_TMP) + "/" + name; }

int run_python(const std::string& args) {
    const std::string cmd = std::string(UPRES_PYTHON) + " " + args;
    return std::system(cmd.c_str());
}

bool python_has(const std::string& modules) {
    static std::mutex mutex;
    static std::map<std::string, bool> known;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = known.find(modules);
    if (it == known.end()) it = known.emplace(modules, run_python("-c 'import " + modules + "' 2>/dev/null") == 0).first;
    return it->second;
}

std::string missing_python(const std::string& modules) {
    if (modules.empty() || python_has(modules)) return "";
    return std::string(UPRES_PYTHON) + " cannot import " + modules;
}

// ---- SharedFixture ------------------------------------------------------------------------------

namespace {
std::map<std::string, const SharedFixture*>& fixture_registry() {
    static std::map<std::string, const SharedFixture*> registry;
    return registry;
}
}  // namespace

SharedFixture::SharedFixture(std::string name, std::string python_modules, std::function<bool(const std::string&)> generate)
    : name_(std::move(name)), modules_(std::move(python_modules)), generate_(std::move(generate)) {
    fixture_registry()[name_] = this;
}

const SharedFixture* find_shared_fixture(const std::string& name) {
    auto it = fixture_registry().find(name);
    return it == fixture_registry().end() ? nullptr : it->second;
}

std::string SharedFixture::missing() const { return missing_python(modules_); }

std::string SharedFixture::dir() const {
    const std::string final_dir = temp_path(name_);
    if (exists(final_dir)) return final_dir;  // complete: it only ever appears by rename
    if (!missing().empty()) return "";
    return generate_locked(false) ? final_dir : "";
}

int SharedFixture::regenerate() const {
    const std::string why = missing();
    if (!why.empty()) {
        std::printf("SKIP: fixture %s not generated: %s\n", name_.c_str(), why.c_str());
        return 77;
    }
    return generate_locked(true) ? 0 : 1;
}

// Under an exclusive lock on <tmp>/<name>.lock (released when the process ends, whatever happens):
// generates into <tmp>/<name>.new-<pid> and renames that to <tmp>/<name>.
bool SharedFixture::generate_locked(bool force) const {
    namespace fs = std::filesystem;
    const std::string final_dir = temp_path(name_), pid = std::to_string(getpid());
    std::error_code ec;
    fs::create_directories(UPRES_TEST_TMP, ec);
    const std::string lock_path = final_dir + ".lock";
    const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        std::printf("fixture %s: cannot lock %s: %s\n", name_.c_str(), lock_path.c_str(), std::strerror(errno));
        if (fd >= 0) close(fd);
        return false;
    }
    bool ok = true;
    if (force || !exists(final_dir)) {  // another process may have made it while this one waited
        const std::string fresh = final_dir + ".new-" + pid, old = final_dir + ".old-" + pid;
        fs::remove_all(fresh, ec);
        fs::create_directories(fresh, ec);
        ok = !ec && generate_(fresh);
        if (ok) {
            if (exists(final_dir)) ok = std::rename(final_dir.c_str(), old.c_str()) == 0;
            ok = ok && std::rename(fresh.c_str(), final_dir.c_str()) == 0;
        }
        if (!ok) std::printf("fixture %s: generating it into %s failed\n", name_.c_str(), fresh.c_str());
        fs::remove_all(old, ec);
        if (!ok) fs::remove_all(fresh, ec);
    }
    flock(fd, LOCK_UN);
    close(fd);
    return ok;
}

}  // namespace upres::test
