// RFC 6062 CONNECTION-IDs that name the worker which issued them.
//
// A process runs N workers, each with its own core Server, and the kernel
// hashes every new TCP connection to any of them (SO_REUSEPORT). A
// ConnectionBind arrives on a new connection (RFC 6062 §5.4), so it may
// reach another worker than the one holding its peer connection. The top
// WorkerBits(count) bits of every CONNECTION-ID a Server issues are its
// worker index, so the worker it reached can tell, without shared state,
// which worker to hand the connection to. The remaining bits stay random
// (§6.2.1 asks only for uniqueness; unpredictable keeps other clients from
// guessing a pending one). With one worker no bit is spent.
#ifndef TURNPIKE_CORE_TURN_CONNECTION_NUMBER_H_
#define TURNPIKE_CORE_TURN_CONNECTION_NUMBER_H_

#include <cstdint>

namespace turnpike::core::turn {

// The most workers CONNECTION-IDs can name: 8 bits, leaving 24 random.
inline constexpr uint32_t kMaxConnectionWorkers = 256;

// Bits of a CONNECTION-ID that name the worker: ceil(log2(count)), 0 for
// one worker. `count` is 1..kMaxConnectionWorkers.
int WorkerBits(uint32_t count);

// The CONNECTION-ID `random` becomes on worker `index` of `count`: the
// index in the top bits, `random`'s low bits below.
uint32_t ConnectionNumberFor(uint32_t index, uint32_t count, uint32_t random);

// The worker that issued `number`, when there are `count`; may be >= count
// for a number no worker issued (the bits allow more than count).
uint32_t WorkerOfConnectionNumber(uint32_t number, uint32_t count);

}  // namespace turnpike::core::turn

#endif  // TURNPIKE_CORE_TURN_CONNECTION_NUMBER_H_
