// A test run that executes no test case is a failure, not a pass.
//
// CTest runs each doctest case as its own entry, `binary --test-case=<name>`.
// When the filter matches nothing (doctest_discover_tests splits a name that
// contains ';' into two entries, a case is renamed, a filter has a wildcard
// in the wrong place), doctest runs zero cases and exits 0: the entry passes
// without testing anything. Every test main registers RunCounter as a
// listener and returns GuardedExitCode(context.run()), so such an entry
// fails and says why. Queries (--list-test-cases, --count, --help, which
// doctest_discover_tests relies on) run no case by design and still exit 0.
#ifndef TURNPIKE_TESTS_DOCTEST_RUN_GUARD_H_
#define TURNPIKE_TESTS_DOCTEST_RUN_GUARD_H_

#include <doctest/doctest.h>

#include <cstdio>

namespace turnpike::testing {

// The exit code of a run that executed no test case.
inline constexpr int kNoTestCaseExitCode = 3;

// Counts the test cases a run actually started. doctest calls
// test_run_start only for a real run (not for a query), so "started and
// counted zero" means exactly "ran, and tested nothing".
class RunCounter : public doctest::IReporter {
 public:
  explicit RunCounter(const doctest::ContextOptions& /*options*/) {}

  static bool run_started() { return run_started_; }
  static int cases_started() { return cases_started_; }

  void test_run_start() override { run_started_ = true; }
  void test_case_start(const doctest::TestCaseData& /*data*/) override {
    ++cases_started_;
  }

  // Nothing else matters to the count.
  void report_query(const doctest::QueryData& /*data*/) override {}
  void test_run_end(const doctest::TestRunStats& /*stats*/) override {}
  void test_case_reenter(const doctest::TestCaseData& /*data*/) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& /*stats*/) override {}
  void test_case_exception(
      const doctest::TestCaseException& /*exception*/) override {}
  void subcase_start(const doctest::SubcaseSignature& /*signature*/) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData& /*data*/) override {}
  void log_message(const doctest::MessageData& /*data*/) override {}
  void test_case_skipped(const doctest::TestCaseData& /*data*/) override {}

 private:
  static inline bool run_started_ = false;
  static inline int cases_started_ = 0;
};

// The exit code for a finished run whose doctest result is `result`: that
// result, unless the run executed no test case, which fails with
// kNoTestCaseExitCode and a message on stderr.
inline int GuardedExitCode(int result) {
  if (!RunCounter::run_started() || RunCounter::cases_started() > 0) {
    return result;
  }
  std::fprintf(
      stderr,
      "turnpike tests: FAIL: this run executed 0 test cases, so it tested "
      "nothing. The --test-case filter matched no case: a CTest entry whose "
      "case was renamed or whose name contains ';' (doctest_discover_tests "
      "splits names there), or a filter with a typo. List the names with "
      "--list-test-cases.\n");
  return result != 0 ? result : kNoTestCaseExitCode;
}

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_DOCTEST_RUN_GUARD_H_
