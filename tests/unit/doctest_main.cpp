// The doctest main of the unit tests (and of tests/capi/test_cpp_api.cpp):
//   - exits with 77 (ctest's SKIP_RETURN_CODE: "Skipped") when every test case it ran skipped and
//     none failed; a case skipped when it called test::skip (UPRES_SKIP ...), or called only
//     test::skip_part (have_shared ...) and asserted nothing;
//   - `--upres-generate=NAME` regenerates the test::SharedFixture NAME and exits (0, 77 when it
//     cannot be generated here, 1 on failure): the FIXTURES_SETUP tests of tests/CMakeLists.txt.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

unsigned g_ran = 0, g_skipped = 0;

struct SkipListener : doctest::IReporter {
    explicit SkipListener(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {
        if (g_skipped > 0)
            std::printf("[upres] %u of %u test cases skipped (the SKIP lines above say why)\n", g_skipped, g_ran);
    }
    void test_case_start(const doctest::TestCaseData& tc) override { upres::test::detail::begin_case(tc.m_name); }
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats& s) override {
        ++g_ran;
        if (s.testCaseSuccess && s.numAssertsFailedCurrentTest == 0 &&
            (upres::test::detail::case_skipped() || (upres::test::detail::case_skipped_part() && s.numAssertsCurrentTest == 0)))
            ++g_skipped;
    }
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("upres_skip", 1, SkipListener);

int main(int argc, char** argv) {
    const char* generate = "--upres-generate=";
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], generate, std::strlen(generate)) == 0) {
            const std::string name = argv[i] + std::strlen(generate);
            const upres::test::SharedFixture* f = upres::test::find_shared_fixture(name);
            if (!f) {
                std::fprintf(stderr, "%s: no shared fixture named '%s'\n", argv[0], name.c_str());
                return 2;
            }
            return f->regenerate();
        }
    bool filtered = false;  // by name, as ctest runs each case
    for (int i = 1; i < argc; ++i)
        filtered = filtered || std::strncmp(argv[i], "--test-case=", 12) == 0 || std::strncmp(argv[i], "-tc=", 4) == 0;
    doctest::Context context(argc, argv);
    const int rc = context.run();
    if (context.shouldExit() || rc != 0) return rc;
    if (filtered && g_ran == 0) {
        std::fprintf(stderr, "%s: no test case matches the --test-case filter\n", argv[0]);
        return 1;
    }
    return g_ran > 0 && g_skipped == g_ran ? 77 : 0;
}
