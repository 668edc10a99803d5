#include "proc_sample.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace turnpike::e2e {
namespace {

std::optional<double> CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) may hold spaces; fields resume after its ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // After ')' come state (field 3) ... utime is field 14, stime field 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
  }
  if (!fields) return std::nullopt;
  return static_cast<double>(utime + stime) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

std::optional<ProcSample> SampleProcess(pid_t pid) {
  const std::optional<double> cpu = CpuSeconds(pid);
  if (!cpu) return std::nullopt;
  ProcSample sample;
  sample.cpu_seconds = *cpu;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  bool have_rss = false;
  bool have_peak = false;
  while (in >> key) {
    if (key == "VmRSS:") have_rss = static_cast<bool>(in >> sample.rss_kib);
    if (key == "VmHWM:")
      have_peak = static_cast<bool>(in >> sample.peak_rss_kib);
    in.ignore(1 << 16, '\n');
  }
  if (!have_rss || !have_peak) return std::nullopt;
  return sample;
}

}  // namespace turnpike::e2e
