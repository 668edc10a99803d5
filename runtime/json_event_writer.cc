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

// Builds one object; every Add* appends `,"key":value` (the first without
// the comma), so field order is the order of the calls.
class JsonObject {
 public:
  JsonObject() { text_.push_back('{'); }

  void AddString(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(text_, value);
  }
  template <typename Integer>
  void AddNumber(std::string_view key, Integer value) {
    Key(key);
    absl::StrAppend(&text_, value);
  }
  void AddTime(std::string_view key, absl::Time value) {
    Key(key);
    text_.push_back('"');
    AppendRfc3339Millis(text_, value);
    text_.push_back('"');
  }
  void AddAddressArray(std::string_view key,
                       const std::vector<TransportAddress>& values) {
    Key(key);
    text_.push_back('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) text_.push_back(',');
      AppendJsonString(text_, values[i].ToString());
    }
    text_.push_back(']');
  }
  void AddObject(std::string_view key, const JsonObject& value) {
    Key(key);
    text_.append(value.Finish());
  }

  std::string Finish() const { return text_ + '}'; }

 private:
  void Key(std::string_view key) {
    if (text_.size() > 1) text_.push_back(',');
    AppendJsonString(text_, key);
    text_.push_back(':');
  }

  std::string text_;
};

void AddSubject(JsonObject& out, const core::EventSubject& subject) {
  const core::FiveTuple& tuple = subject.five_tuple;
  out.AddString("transport", core::TransportName(tuple.transport));
  out.AddString("client", tuple.client.ToString());
  out.AddString("server", tuple.server.ToString());
  out.AddString("username", subject.username);
  out.AddString("realm", subject.realm);
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
void AddFields(JsonObject& out, const core::AuthVerdict& e) {
  out.AddNumber("method", e.method);
  const std::string_view name =
      stun::MethodName(static_cast<stun::Method>(e.method));
  if (!name.empty()) out.AddString("method_name", name);
  out.AddString("verdict", core::AuthOutcomeName(e.outcome));
}
void AddFields(JsonObject& out, const core::AllocationCreated& e) {
  out.AddAddressArray("relayed", e.relayed);
  out.AddNumber("requested_port", e.requested_port);
  out.AddNumber(
      "lifetime_s",
      std::chrono::duration_cast<std::chrono::seconds>(e.lifetime).count());
}
void AddFields(JsonObject& out, const core::AllocationDeleted& e) {
  out.AddAddressArray("relayed", e.relayed);
  out.AddString("reason", core::DeleteReasonName(e.reason));
  JsonObject counters;
  counters.AddNumber("packets_to_peer", e.counters.packets_to_peer);
  counters.AddNumber("bytes_to_peer", e.counters.bytes_to_peer);
  counters.AddNumber("packets_to_client", e.counters.packets_to_client);
  counters.AddNumber("bytes_to_client", e.counters.bytes_to_client);
  counters.AddNumber("dropped_over_bandwidth",
                     e.counters.dropped_over_bandwidth);
  out.AddObject("counters", counters);
}
void AddFields(JsonObject& out, const core::AllocationError& e) {
  out.AddNumber("error_code", e.error_code);
}
void AddFields(JsonObject& out, const core::PermissionCreated& e) {
  out.AddString("relayed", e.relayed.ToString());
  out.AddString("peer", e.peer.ToString());
}
void AddFields(JsonObject& out, const core::PermissionDeleted& e) {
  out.AddString("relayed", e.relayed.ToString());
  out.AddString("peer", e.peer.ToString());
}
void AddFields(JsonObject& out, const core::ChannelCreated& e) {
  out.AddString("relayed", e.relayed.ToString());
  out.AddString("peer", e.peer.ToString());
  out.AddNumber("channel", e.channel);
}
void AddFields(JsonObject& out, const core::ChannelDeleted& e) {
  out.AddString("relayed", e.relayed.ToString());
  out.AddString("peer", e.peer.ToString());
  out.AddNumber("channel", e.channel);
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

std::string JsonEventWriter::Format(absl::Time wall, const core::Event& event) {
  JsonObject line;
  std::visit(
      [&](const auto& e) {
        line.AddTime("ts", wall);
        line.AddString("event", EventName(e));
        AddSubject(line, e.subject);
        AddFields(line, e);
      },
      event);
  return line.Finish();
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
