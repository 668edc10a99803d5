#include "cli/generated_credential.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace turnpike::cli {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr size_t kPasswordLength = 24;


}  // namespace

core::Credential GenerateCredential(core::Random& random) {
  std::string password;
  password.reserve(kPasswordLength);
  while (password.size() < kPasswordLength) {
    uint8_t byte = 0;
    random.Fill(absl::MakeSpan(&byte, 1));
    // 62 * 4 = 248: rejecting 248..255 keeps every character equally likely.
    if (byte >= 4 * kAlphabet.size()) continue;
    password.push_back(kAlphabet[byte % kAlphabet.size()]);
  }
  return {"turnpike", password};
}

std::string TurnUrl(core::Transport transport, const TransportAddress& server) {
  // RFC 7065 §3.1: IPv6 in brackets; UDP is the default transport but
  // browsers are clearer with it spelled out.
  const bool secure =
      transport == core::Transport::kTls || transport == core::Transport::kDtls;
  const bool datagram =
      transport == core::Transport::kUdp || transport == core::Transport::kDtls;
  return absl::StrCat(secure ? "turns:" : "turn:", server.ToString(),
                      datagram ? "?transport=udp" : "?transport=tcp");
}

std::string CredentialBanner(const core::Credential& credential,
                             const std::vector<ClientFacingListener>& servers) {
  std::vector<std::string> urls;
  std::vector<std::string> quoted;
  for (const auto& [transport, server] : servers) {
    urls.push_back(TurnUrl(transport, server));
    if (transport != core::Transport::kDtls) {
      quoted.push_back(absl::StrCat("\"", urls.back(), "\""));
    }
  }
  return absl::StrCat(
      "turnpike: no user or rest-secret is configured, so this run made up "
      "its own credential\n(it changes at every start; set `user` or "
      "`rest-secret` to keep one):\n",
      "  username: ", credential.username, "\n",
      "  password: ", credential.password, "\n",
      "  url:      ", absl::StrJoin(urls, "\n            "), "\n",
      "  iceServers: [{\"urls\": [", absl::StrJoin(quoted, ", "),
      "], \"username\": \"", credential.username, "\", \"credential\": \"",
      credential.password, "\"}]\n");
}

}  // namespace turnpike::cli
