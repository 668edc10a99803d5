// How many workers to run when `workers` is not given: one per CPU the
// process may run on (its affinity mask, which taskset, cgroups' cpusets
// and systemd's CPUAffinity= narrow), not every CPU of the host.
#ifndef TURNPIKE_CLI_WORKER_COUNT_H_
#define TURNPIKE_CLI_WORKER_COUNT_H_

namespace turnpike::cli {

// sched_getaffinity's count, within 1..runtime::kMaxWorkers; 1 when the
// mask cannot be read.
int DefaultWorkerCount();

}  // namespace turnpike::cli

#endif  // TURNPIKE_CLI_WORKER_COUNT_H_
