#include "runtime/json_event_writer.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/stun/constants.h"
#include "runtime/json_text.h"
#include "runtime/log.h"

namespace turnpike::runtime {
namespace {

// Field order is insertion order (Json is an ordered_json).
Json AddressArray(const std::vector<TransportAddress>& values) {
  Json out = Json::array();
  for (const TransportAddress& value : values) out.push_back(value.ToString());
  return out;
}

void AddSubject(Json& out, const core::EventSubject& subject) {
  const core::FiveTuple& tuple = subject.five_tuple;
  out["transport"] = std::string(core::TransportName(tuple.transport));
  out["client"] = tuple.client.ToString();
  out["server"] = tuple.server.ToString();
  out["username"] = subject.username;
  out["realm"] = subject.realm;
}

// The "event" field.
constexpr std::string_view EventName(const core::AuthVerdict&) {
  return "auth_verdict";
}
constexpr std::string_view EventName(const core::AllocationCreated&) {
  return "allocation_created";
}
constexpr std::string_view EventName(const core::AllocationDeleted&) {
  return "allocation_deleted";
}
constexpr std::string_view EventName(const core::AllocationError&) {
  return "allocation_error";
}
constexpr std::string_view EventName(const core::PermissionCreated&) {
  return "permission_created";
}
constexpr std::string_view EventName(const core::PermissionDeleted&) {
  return "permission_deleted";
}
constexpr std::string_view EventName(const core::ChannelCreated&) {
  return "channel_created";
}
constexpr std::string_view EventName(const core::ChannelDeleted&) {
  return "channel_deleted";
}

// Each event's own fields. EventName and AddFields have one overload per
// alternative of core::Event: std::visit in Format fails to compile when a
// new event kind lacks either.
void AddFields(Json& out, const core::AuthVerdict& e) {
  out["method"] = e.method;
  const std::string_view name =
      stun::MethodName(static_cast<stun::Method>(e.method));
  if (!name.empty()) out["method_name"] = std::string(name);
  out["verdict"] = std::string(core::AuthOutcomeName(e.outcome));
}
void AddFields(Json& out, const core::AllocationCreated& e) {
  out["relayed"] = AddressArray(e.relayed);
  out["requested_port"] = e.requested_port;
  out["lifetime_s"] =
      std::chrono::duration_cast<std::chrono::seconds>(e.lifetime).count();
}
void AddFields(Json& out, const core::AllocationDeleted& e) {
  out["relayed"] = AddressArray(e.relayed);
  out["reason"] = std::string(core::DeleteReasonName(e.reason));
  Json counters = Json::object();
  counters["packets_to_peer"] = e.counters.packets_to_peer;
  counters["bytes_to_peer"] = e.counters.bytes_to_peer;
  counters["packets_to_client"] = e.counters.packets_to_client;
  counters["bytes_to_client"] = e.counters.bytes_to_client;
  counters["dropped_over_bandwidth"] = e.counters.dropped_over_bandwidth;
  out["counters"] = std::move(counters);
}
void AddFields(Json& out, const core::AllocationError& e) {
  out["error_code"] = e.error_code;
}
void AddFields(Json& out, const core::PermissionCreated& e) {
  out["relayed"] = e.relayed.ToString();
  out["peer"] = e.peer.ToString();
}
void AddFields(Json& out, const core::PermissionDeleted& e) {
  out["relayed"] = e.relayed.ToString();
  out["peer"] = e.peer.ToString();
}
void AddFields(Json& out, const core::ChannelCreated& e) {
  out["relayed"] = e.relayed.ToString();
  out["peer"] = e.peer.ToString();
  out["channel"] = e.channel;
}
void AddFields(Json& out, const core::ChannelDeleted& e) {
  out["relayed"] = e.relayed.ToString();
  out["peer"] = e.peer.ToString();
  out["channel"] = e.channel;
}

}  // namespace

JsonEventWriter::JsonEventWriter(std::FILE* stream, std::string name)
    : JsonEventWriter(stream, std::move(name), /*owned=*/false) {}

JsonEventWriter::JsonEventWriter(std::FILE* stream, std::string name,
                                 bool owned)
    : stream_(stream), name_(std::move(name)), owned_(owned) {}

absl::StatusOr<std::unique_ptr<JsonEventWriter>> JsonEventWriter::Open(
    const std::string& path) {
  // "a": O_APPEND, so lines from a rotated-and-recreated or shared file are
  // never written over; "e": O_CLOEXEC, no leak into child processes.
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open event output file \"", path,
                     "\" for append: ", std::strerror(errno)));
  }
  return std::unique_ptr<JsonEventWriter>(
      new JsonEventWriter(file, path, /*owned=*/true));
}

JsonEventWriter::~JsonEventWriter() {
  if (owned_) std::fclose(stream_);
}

Json JsonEventWriter::ToJson(absl::Time wall, const core::Event& event) {
  Json line = Json::object();
  std::visit(
      [&](const auto& e) {
        line["ts"] = Rfc3339Millis(wall);
        line["event"] = std::string(EventName(e));
        AddSubject(line, e.subject);
        AddFields(line, e);
      },
      event);
  return line;
}

std::string JsonEventWriter::Format(absl::Time wall, const core::Event& event) {
  return DumpJson(ToJson(wall, event));
}

void JsonEventWriter::OnEvent(absl::Time wall, const core::Event& event) {
  WriteLine(Format(wall, event));
  Flush();
}

void JsonEventWriter::WriteLine(std::string_view line) {
  // Line and newline in one buffered stream: a line reaches the file whole.
  if (std::fwrite(line.data(), 1, line.size(), stream_) == line.size() &&
      std::fputc('\n', stream_) != EOF) {
    return;
  }
  CountFailure(errno);
}

void JsonEventWriter::Flush() {
  if (std::fflush(stream_) != 0) CountFailure(errno);
}

void JsonEventWriter::CountFailure(int error) {
  std::clearerr(stream_);
  if (failed_writes_++ == 0) {
    LogWarning(absl::StrCat("event output to ", name_, ": write failed: ",
                            std::strerror(error), "; events are being lost"));
  }
}

}  // namespace turnpike::runtime
