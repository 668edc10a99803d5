// Fixture, never compiled: a core file that reads the clock. The purity guard
// must reject it (CTest: core_purity_detects_violations).
#include <chrono>

auto t = std::chrono::steady_clock::now();
