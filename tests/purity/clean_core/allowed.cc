// Fixture, never compiled: what the purity guard must accept
// (CTest: core_purity_accepts_clean_code). Comments may mention
// std::chrono::steady_clock::now(), time(nullptr), printf("x"), getenv,
// #include <thread> or uv_run(): only code counts.
/* Block comments too: rand(), getenv("HOME"),
   std::random_device, #include <uv.h> */
#include <chrono>
#include <cstdio>

int n = std::snprintf(buf, sizeof(buf), "%d", 1);  // snprintf formats, no I/O
uint32_t seconds = view.Lifetime().value_or(0);
int operand(int x);
auto lifetime = std::chrono::seconds(600);
auto since = deadline.time_since_epoch();
const char* url = "http://example.invalid/";  // a "//" inside a string
int million = 1'000'000;
char quote = '"';
auto stamp = now.mono;  /* time(nullptr) */ int after_block = 1;
