// A value or an error, as a value. The codec reports malformed input this way
// rather than through absl::Status, because a Status with a message allocates
// and hostile traffic must not cost a heap allocation per packet.
#ifndef TURNPIKE_CORE_UTIL_EXPECTED_H_
#define TURNPIKE_CORE_UTIL_EXPECTED_H_

#include <utility>
#include <variant>

#include "core/util/check.h"

namespace turnpike {

template <typename E>
struct Unexpected {
  // A constructor, not an aggregate: Unexpected(e) would otherwise need
  // C++20 parenthesized aggregate initialization, which clang 14 lacks.
  explicit Unexpected(E e) : error(std::move(e)) {}
  E error;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;

template <typename T, typename E>
class Expected {
 public:
  Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}
  Expected(Unexpected<E> u)
      : storage_(std::in_place_index<1>, std::move(u.error)) {}

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    TURNPIKE_CHECK(ok(), "value() of an Expected that holds an error");
    return std::get<0>(storage_);
  }
  const T& value() const& {
    TURNPIKE_CHECK(ok(), "value() of an Expected that holds an error");
    return std::get<0>(storage_);
  }
  T&& value() && {
    TURNPIKE_CHECK(ok(), "value() of an Expected that holds an error");
    return std::get<0>(std::move(storage_));
  }
  const E& error() const {
    TURNPIKE_CHECK(!ok(), "error() of an Expected that holds a value");
    return std::get<1>(storage_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> storage_;
};

}  // namespace turnpike

#endif  // TURNPIKE_CORE_UTIL_EXPECTED_H_
