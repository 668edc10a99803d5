// Glue between rapidcheck and doctest: a failing property fails the doctest
// case (and so the CTest test) that runs it, and a property that ran fewer
// than kMinCases cases fails too, so a lost RC_PARAMS cannot quietly weaken
// the suite.
#ifndef TURNPIKE_TESTS_PROPERTY_PROPERTY_CHECK_H_
#define TURNPIKE_TESTS_PROPERTY_PROPERTY_CHECK_H_

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <cstddef>
#include <string>
#include <utility>

namespace turnpike::testing {

inline constexpr size_t kMinCases = 1000;

// Runs `property` (a callable taking no arguments that generates with
// `*rc::gen::...`) through rc::check.
template <typename Property>
void CheckProperty(const std::string& description, Property property) {
  size_t runs = 0;
  const bool ok = rc::check(description, [&] {
    ++runs;
    property();
  });
  CHECK_MESSAGE(ok, description);
  CHECK_MESSAGE(runs >= kMinCases,
                description << ": only " << runs << " cases ran");
}

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_PROPERTY_PROPERTY_CHECK_H_
