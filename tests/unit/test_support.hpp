// Helpers shared by the unit tests: where ../shared is, temporary files, running Python, skipping,
// and fixtures generated once per test run.
#pragma once
#include <functional>
#include <string>

namespace upres::test {

// ---- Skipping -----------------------------------------------------------------------------------
// Every doctest test case runs as its own ctest test (upres_doctest_tests in tests/CMakeLists.txt).
// A case that can do nothing real here (no ../shared, a Python module missing, no CUDA device, ...)
// skips: UPRES_SKIP(reason) prints "SKIP: <case>: reason", records the skip and returns from the
// test case. doctest_main.cpp then exits with 77, which ctest reports as "Skipped" (SKIP_RETURN_CODE),
// unless an assertion of that case failed. Call it before the case checks anything real.
#define UPRES_SKIP(reason)                \
    do {                                  \
        ::upres::test::skip(reason);      \
        return;                           \
    } while (0)
// Skips the test case unless `relative` exists under shared_dir().
#define UPRES_SKIP_UNLESS_SHARED(relative)                                    \
    do {                                                                      \
        const std::string upres_missing_ = ::upres::test::missing_shared(relative); \
        if (!upres_missing_.empty()) UPRES_SKIP(upres_missing_);              \
    } while (0)
// Skips the test case unless Debian's python3 imports every module of the comma-separated list.
#define UPRES_SKIP_UNLESS_PYTHON(modules)                                      \
    do {                                                                       \
        const std::string upres_missing_ = ::upres::test::missing_python(modules); \
        if (!upres_missing_.empty()) UPRES_SKIP(upres_missing_);               \
    } while (0)

// Records that the running test case skipped (and prints why); UPRES_SKIP also returns.
void skip(const std::string& reason);
// A case that checked something real and leaves only a part out: prints why; the case still passes
// if it asserted anything, and counts as skipped if it asserted nothing at all.
void skip_part(const std::string& reason);

// ---- Environment --------------------------------------------------------------------------------
// The shared data folder ($UPRES_SHARED_DIR overrides the configured path).
std::string shared_dir();
// "" when `relative` exists under shared_dir(); otherwise the reason a test needing it skips.
std::string missing_shared(const std::string& relative);
// True when `relative` exists under shared_dir(); otherwise skip_part(missing_shared(relative)).
bool have_shared(const std::string& relative);
// A fresh path under the build's test temp folder.
std::string temp_path(const std::string& name);
// Runs Debian's python3 with the arguments; returns its exit status.
int run_python(const std::string& args);
// True when Debian's python3 can import every module in the comma-separated list (asked once per
// process and list).
bool python_has(const std::string& modules);
// "" when python_has(modules); otherwise the reason a test needing them skips.
std::string missing_python(const std::string& modules);

// ---- Fixtures generated once per run ------------------------------------------------------------
// A folder of fixtures (made by a Python script, say) shared by every test case of an executable.
// Each test case is a process of its own, so the folder lives in the build's test temp folder:
//   - dir() generates it when it is absent, under an exclusive lock, into a private folder that is
//     renamed into place: concurrent test processes (ctest -j) neither race nor see a partial one;
//   - `test_x --upres-generate=NAME` regenerates it. upres_unit_test(... FIXTURES NAME REGEX) in
//     tests/CMakeLists.txt registers that as a ctest FIXTURES_SETUP test ("test_x: generate NAME")
//     required by the cases matching REGEX, so each ctest run generates it once, before them.
// Define one at namespace scope (it registers itself by name):
//   const test::SharedFixture refs("nnref", "torch", [](const std::string& dir) {
//       return test::run_python(script + " " + dir) == 0; });
class SharedFixture {
public:
    // `python_modules`: what `generate` needs (comma-separated, "" for nothing); `generate` fills
    // the (empty, existing) folder it is given and returns true on success.
    SharedFixture(std::string name, std::string python_modules, std::function<bool(const std::string&)> generate);
    const std::string& name() const { return name_; }
    // "" when it can be generated here, otherwise why not (missing_python).
    std::string missing() const;
    // The folder, generated first if absent; "" when missing() says why, or generation failed.
    std::string dir() const;
    // Generates it afresh, replacing an existing folder: 0, 77 when missing() (skipped), 1 on failure.
    int regenerate() const;

private:
    bool generate_locked(bool force) const;
    std::string name_, modules_;
    std::function<bool(const std::string&)> generate_;
};
// The SharedFixture registered under `name`, or null.
const SharedFixture* find_shared_fixture(const std::string& name);

namespace detail {
// Used by doctest_main.cpp's listener: the running case's name, and what it recorded.
void begin_case(const char* name);
bool case_skipped();       // skip() was called
bool case_skipped_part();  // skip_part() was called
}  // namespace detail

}  // namespace upres::test
