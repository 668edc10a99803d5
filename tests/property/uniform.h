// rapidcheck's gen::inRange narrows its range with the test's size (small
// values first, the full range only near the end of a run). Where every value
// of a range matters equally (which attribute kind, which error code, where
// to cut), tests use Uniform() instead.
#ifndef TURNPIKE_TESTS_PROPERTY_UNIFORM_H_
#define TURNPIKE_TESTS_PROPERTY_UNIFORM_H_

#include <rapidcheck.h>

namespace turnpike::testing {

// A value in [min, max_exclusive), uniformly, shrinking towards min.
template <typename T>
T Uniform(T min, T max_exclusive) {
  // 100 is rapidcheck's nominal size, at which inRange covers its range.
  return *rc::gen::resize(100, rc::gen::inRange<T>(min, max_exclusive));
}

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_PROPERTY_UNIFORM_H_
