// The special-purpose range table (core/policy/special_ranges.h) and the
// copy of it in docs/security.md: the same rows, and each row's examples
// judged as the document says, one subcase per row, so neither can drift
// from the other or from the filter's behaviour.
#include "core/policy/special_ranges.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/policy/peer_filter.h"

namespace turnpike::core {
namespace {

IpAddress Ip(const std::string& text) {
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  REQUIRE_MESSAGE(ip.has_value(), text);
  return *ip;
}

struct DocRow {
  std::string range;
  std::string name;
  std::string verdict;          // denied, allowed, embedded IPv4
  std::string denied_example;   // empty for —
  std::string allowed_example;  // empty for —
};

std::string Unquote(absl::string_view cell) {
  cell = absl::StripAsciiWhitespace(cell);
  if (cell == "—") return "";
  absl::ConsumePrefix(&cell, "`");
  absl::ConsumeSuffix(&cell, "`");
  return std::string(cell);
}

std::vector<DocRow> ReadDocTable() {
  std::ifstream in(TURNPIKE_SOURCE_DIR "/docs/security.md");
  REQUIRE_MESSAGE(in.good(), "cannot read docs/security.md");
  std::vector<DocRow> rows;
  bool inside = false;
  std::string line;
  while (std::getline(in, line)) {
    if (line == "<!-- special-ranges:begin -->") inside = true;
    if (line == "<!-- special-ranges:end -->") break;
    if (!inside || line.rfind("| `", 0) != 0) continue;
    std::vector<absl::string_view> cells = absl::StrSplit(line, '|');
    // "", range, name, verdict, denied, allowed, "".
    REQUIRE_MESSAGE(cells.size() == 7, line);
    rows.push_back({Unquote(cells[1]),
                    std::string(absl::StripAsciiWhitespace(cells[2])),
                    std::string(absl::StripAsciiWhitespace(cells[3])),
                    Unquote(cells[4]), Unquote(cells[5])});
  }
  return rows;
}

std::string DocVerdict(RangeVerdict verdict) {
  return verdict == RangeVerdict::kEmbedded
             ? "embedded IPv4"
             : std::string(RangeVerdictName(verdict));
}

TEST_CASE("docs/security.md lists exactly the code's special ranges") {
  const std::vector<DocRow> doc = ReadDocTable();
  const absl::Span<const SpecialRange> code = SpecialRanges();
  REQUIRE(doc.size() == code.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    CAPTURE(doc[i].range);
    CHECK(doc[i].range == code[i].prefix.ToString());
    CHECK(doc[i].name == code[i].name);
    CHECK(doc[i].verdict == DocVerdict(code[i].verdict));
  }
}

TEST_CASE("every row of the docs/security.md table holds") {
  const PeerFilter filter(PeerFilterRules{});
  for (const DocRow& row : ReadDocTable()) {
    SUBCASE(row.range.c_str()) {
      const std::optional<Cidr> prefix = Cidr::Parse(row.range);
      REQUIRE(prefix.has_value());
      if (!row.denied_example.empty()) {
        CAPTURE(row.denied_example);
        CHECK(filter.Check(Ip(row.denied_example)) ==
              PeerVerdict::kDeniedByDefault);
      }
      if (!row.allowed_example.empty()) {
        CAPTURE(row.allowed_example);
        CHECK(filter.Check(Ip(row.allowed_example)) == PeerVerdict::kAllowed);
      }
      // The example showing the row's own verdict lies in the row, and
      // the row decides for it (no longer prefix takes over).
      std::vector<std::string> own;
      if (row.verdict != "allowed") own.push_back(row.denied_example);
      if (row.verdict != "denied") own.push_back(row.allowed_example);
      for (const std::string& example : own) {
        CAPTURE(example);
        REQUIRE_FALSE(example.empty());
        const SpecialRange* decides = FindSpecialRange(Ip(example));
        REQUIRE(decides != nullptr);
        CHECK(decides->prefix == *prefix);
      }
    }
  }
}

TEST_CASE("the table lists every IPv4 row before the IPv6 rows") {
  // FindSpecialRange scans one family's part of the table only.
  bool seen_v6 = false;
  for (const SpecialRange& range : SpecialRanges()) {
    CAPTURE(range.prefix.ToString());
    if (range.prefix.network().is_v6()) seen_v6 = true;
    CHECK_FALSE((seen_v6 && range.prefix.network().is_v4()));
  }
}

TEST_CASE("with the default ranges off every row's network is allowed") {
  PeerFilterRules rules;
  rules.deny_special_ranges = false;
  const PeerFilter filter(rules);
  for (const SpecialRange& range : SpecialRanges()) {
    CAPTURE(range.prefix.ToString());
    CHECK(filter.Allows(range.prefix.network()));
  }
}

TEST_CASE("EmbeddedIpv4s decodes every embedding form") {
  using V = absl::InlinedVector<IpAddress, 2>;
  CHECK(EmbeddedIpv4s(Ip("::ffff:1.2.3.4")) == V{Ip("1.2.3.4")});
  CHECK(EmbeddedIpv4s(Ip("::ffff:0:1.2.3.4")) == V{Ip("1.2.3.4")});
  CHECK(EmbeddedIpv4s(Ip("::1.2.3.4")) == V{Ip("1.2.3.4")});
  CHECK(EmbeddedIpv4s(Ip("64:ff9b::1.2.3.4")) == V{Ip("1.2.3.4")});
  // RFC 6052 §2.2 /48: octets 6-7, the u octet (8), then octets 9-10.
  CHECK(EmbeddedIpv4s(Ip("64:ff9b:1:102:3:400::")) == V{Ip("1.2.3.4")});
  CHECK(EmbeddedIpv4s(Ip("2002:102:304::1")) == V{Ip("1.2.3.4")});
  // Teredo: server 65.54.227.120, client 192.0.2.45 (RFC 4380 §4's
  // example, the client address inverted).
  CHECK(EmbeddedIpv4s(Ip("2001:0:4136:e378:8000:63bf:3fff:fdd2")) ==
        V{Ip("65.54.227.120"), Ip("192.0.2.45")});
  // Not embeddings: another IPv6 prefix, IPv4 itself, and IPv6's own
  // unspecified and loopback addresses.
  CHECK(EmbeddedIpv4s(Ip("2001:db8::1.2.3.4")).empty());
  CHECK(EmbeddedIpv4s(Ip("64:ff9b:2::1.2.3.4")).empty());
  CHECK(EmbeddedIpv4s(Ip("1.2.3.4")).empty());
  CHECK(EmbeddedIpv4s(Ip("::")).empty());
  CHECK(EmbeddedIpv4s(Ip("::1")).empty());
  CHECK(EmbeddedIpv4s(Ip("::0.0.0.2")) == V{Ip("0.0.0.2")});
}

TEST_CASE("an embedded IPv4 address is judged with the operator's rules") {
  PeerFilterRules rules;
  rules.allow = {*Cidr::Parse("10.0.0.0/8")};
  rules.deny = {*Cidr::Parse("8.8.4.4/32")};
  const PeerFilter filter(rules);
  // 6to4 and NAT64 around an opened private address pass...
  CHECK(filter.Allows(Ip("2002:a00:1::1")));
  CHECK(filter.Allows(Ip("64:ff9b::a00:1")));
  // ...and a Teredo address whose client the operator denied does not.
  CHECK(filter.Check(Ip("2001:0:808:808::f7f7:fbfb")) ==
        PeerVerdict::kDeniedByRule);
}

}  // namespace
}  // namespace turnpike::core
