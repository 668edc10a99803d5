// Touches everything a parsed message exposes. The robustness properties
// (and fuzz targets) call this on whatever Parse() accepted: Parse() promises
// that no accessor can fail afterwards, and this is where ASan and UBSan get
// to check that promise.
#ifndef TURNPIKE_TESTS_HARNESS_EXERCISE_ACCESSORS_H_
#define TURNPIKE_TESTS_HARNESS_EXERCISE_ACCESSORS_H_

#include <cstdint>

#include "core/stun/message_view.h"

namespace turnpike::testing {

// Calls every accessor (and the integrity checks with a fixed key) and folds
// the results into a number so none of it can be optimised away.
uint64_t ExerciseAllAccessors(const stun::MessageView& view);

}  // namespace turnpike::testing

#endif  // TURNPIKE_TESTS_HARNESS_EXERCISE_ACCESSORS_H_
