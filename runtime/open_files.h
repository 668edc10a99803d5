// The open-file limit (RLIMIT_NOFILE): every relay socket is a descriptor,
// so the limit bounds how many allocations the host can hold. Debian's soft
// limit is 1024 while the hard limit is usually far higher; like nginx's
// worker_rlimit_nofile and Go's runtime, turnpike raises the soft limit to
// the hard one at start-up.
#ifndef TURNPIKE_RUNTIME_OPEN_FILES_H_
#define TURNPIKE_RUNTIME_OPEN_FILES_H_

#include <cstdint>

namespace turnpike::runtime {

struct OpenFileLimit {
  uint64_t before = 0;  // the soft limit found
  uint64_t now = 0;     // the soft limit in force after raising it
};

// Raises the soft RLIMIT_NOFILE to the hard limit when it can (it keeps
// the soft limit when that fails, e.g. an unlimited hard limit above
// fs.nr_open).
OpenFileLimit RaiseOpenFileLimit();

}  // namespace turnpike::runtime

#endif  // TURNPIKE_RUNTIME_OPEN_FILES_H_
