#include "cli/worker_count.h"

#include <sched.h>

#include <algorithm>

#include "runtime/supervisor.h"

namespace turnpike::cli {

int DefaultWorkerCount() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) return 1;
  return std::clamp(CPU_COUNT(&cpus), 1, runtime::kMaxWorkers);
}

}  // namespace turnpike::cli
