// Fixture, never compiled: every code line below breaks the core's purity rule
// once, and scripts/check_core_purity.sh must report each of them by line
// (CTest: core_purity_flags_every_rule).
auto a = std::chrono::steady_clock::now();
auto b = system_clock::now();
auto c = absl::Now();
auto d = time(nullptr);
auto e = std::time(nullptr);
gettimeofday(&tv, nullptr);
clock_gettime(CLOCK_MONOTONIC, &ts);
std::this_thread::sleep_for(delay);
uv_loop_t* loop = uv_default_loop();
#include <uv.h>
#include "uv.h"
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <thread>
#include <mutex>
#include <fstream>
#include <iostream>
#include <random>
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
std::random_device device;
std::mt19937 engine;
std::thread worker;
absl::BitGen gen;
int r = rand();
srand(1);
getrandom(buf, 16, 0);
int fd = open("/dev/urandom", 0);
RAND_bytes(buf, 16);
const char* home = getenv("HOME");
FILE* f = fopen("turnpike.conf", "r");
std::ifstream in("turnpike.conf");
std::cout << 1;
std::cerr << 1;
printf("%d", 1);
std::printf("%d", 1);
fprintf(stderr, "x");
puts("x");
pthread_create(&thread, nullptr, Run, nullptr);
sendto(fd, buf, 1, 0, addr, len);
