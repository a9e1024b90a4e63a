#include "test_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>

namespace upres::test {

std::string shared_dir() {
    const char* env = std::getenv("UPRES_SHARED_DIR");
    return env && *env ? env : UPRES_SHARED_DIR;
}

bool have_shared(const std::string& relative) {
    struct stat st {};
    const std::string p = shared_dir() + "/" + relative;
    if (stat(p.c_str(), &st) == 0) return true;
    std::printf("SKIP: %s not found (../shared is absent); test skipped\n", p.c_str());
    return false;
}

std::string temp_path(const std::string& name) { return std::string(UPRES_TEST_TMP) + "/" + name; }

int run_python(const std::string& args) {
    const std::string cmd = std::string(UPRES_PYTHON) + " " + args;
    return std::system(cmd.c_str());
}

bool python_has(const std::string& modules) {
    return run_python("-c 'import " + modules + "' 2>/dev/null") == 0;
}

}  // namespace upres::test
