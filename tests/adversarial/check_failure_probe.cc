// A program whose only job is to fail a TURNPIKE_CHECK, so that
// hostile_packets_test.cc can see what a broken invariant prints.
#include "core/util/check.h"

int main(int argc, char** /*argv*/) {
  TURNPIKE_CHECK(argc > 100, "the probe's invariant broke on purpose");
  return 0;
}
