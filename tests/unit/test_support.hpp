// Helpers shared by the unit tests: where ../shared is, temporary files, running Python.
#pragma once
#include <string>

namespace upres::test {

// The shared data folder ($UPRES_SHARED_DIR overrides the configured path).
std::string shared_dir();
// True when `relative` exists under shared_dir(); otherwise prints why the caller skips.
bool have_shared(const std::string& relative);
// A fresh path under the build's test temp folder.
std::string temp_path(const std::string& name);
// Runs Debian's python3 with the arguments; returns its exit status.
int run_python(const std::string& args);
// True when Debian's python3 can import every module in the comma-separated list.
bool python_has(const std::string& modules);

}  // namespace upres::test
