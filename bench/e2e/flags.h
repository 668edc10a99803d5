// Command-line reading shared by the benchmark's programs (turn_load,
// min_forwarder): "--name VALUE" pairs, IPv4:PORT endpoints and
// NAME:PASSWORD credentials. Each returns nullopt on bad input; the caller
// prints its own usage.
#ifndef TURNPIKE_BENCH_E2E_FLAGS_H_
#define TURNPIKE_BENCH_E2E_FLAGS_H_

#include <netinet/in.h>

#include <map>
#include <optional>
#include <string>
#include <utility>

namespace turnpike::e2e {

using Flags = std::map<std::string, std::string>;  // name without "--"

// nullopt, with the offending argument in `bad`, unless argv[1..] are
// "--name VALUE" pairs.
std::optional<Flags> ParseFlagPairs(int argc, char** argv, std::string& bad);

// The flag's value, or `fallback` when it was not given.
std::string FlagOr(const Flags& flags, const std::string& name,
                   const std::string& fallback);

std::optional<sockaddr_in> ParseIpv4Endpoint(const std::string& text);

// {name, password} from "NAME:PASSWORD" (the password may hold ':').
std::optional<std::pair<std::string, std::string>> ParseUser(
    const std::string& text);

}  // namespace turnpike::e2e

#endif  // TURNPIKE_BENCH_E2E_FLAGS_H_
