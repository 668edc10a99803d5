// What the benchmark reads about a server process from /proc (proc(5)):
// CPU time over all its threads, current and peak resident memory.
#ifndef TURNPIKE_BENCH_E2E_PROC_SAMPLE_H_
#define TURNPIKE_BENCH_E2E_PROC_SAMPLE_H_

#include <sys/types.h>

#include <optional>

namespace turnpike::e2e {

struct ProcSample {
  double cpu_seconds = 0;  // utime + stime of the whole process
  long rss_kib = 0;        // VmRSS
  long peak_rss_kib = 0;   // VmHWM
};

// nullopt when the process is gone or /proc cannot be read.
std::optional<ProcSample> SampleProcess(pid_t pid);

}  // namespace turnpike::e2e

#endif  // TURNPIKE_BENCH_E2E_PROC_SAMPLE_H_
