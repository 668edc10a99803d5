#include "runtime/transport/splice.h"

#include <algorithm>
#include <utility>

#include "runtime/transport/tcp_relay.h"

namespace turnpike::runtime {
namespace {

uv_stream_t* AsStream(uv_tcp_t* tcp) {
  return reinterpret_cast<uv_stream_t*>(tcp);
}

}  // namespace

Splice::Splice(uv_loop_t* loop, uv_tcp_t* client,
               absl::Span<const uint8_t> client_unread, uv_tcp_t* peer,
               const SpliceOptions& options, RuntimeStats* stats,
               std::function<void()> on_closed)
    : loop_(loop), options_(options), on_closed_(std::move(on_closed)) {
  client_to_peer_ = {
      this, client, peer,    {},
      0,    0,      nullptr, &stats->spliced_bytes_client_to_peer};
  peer_to_client_ = {this, peer, client,  {},
                     0,    0,    nullptr, &stats->spliced_bytes_peer_to_client};
  // A handle's data names the direction it is read for.
  client->data = &client_to_peer_;
  peer->data = &peer_to_client_;
  client_to_peer_.buffer.resize(
      std::max(options_.buffer_bytes, client_unread.size()));
  peer_to_client_.buffer.resize(options_.buffer_bytes);
  StartReading(peer_to_client_);
  if (client_unread.empty()) {
    StartReading(client_to_peer_);
  } else {
    // RFC 6062 §5.4: bytes the client sent after ConnectionBind are the
    // first of its data, so they lead.
    std::copy(client_unread.begin(), client_unread.end(),
              client_to_peer_.buffer.begin());
    Forward(client_to_peer_, client_unread.size());
    // Taken at once: read on (else OnWrite starts reading when it is).
    if (client_to_peer_.write == nullptr) StartReading(client_to_peer_);
  }
}

Splice::~Splice() { Close(); }

void Splice::Close() { Finish(/*notify=*/false); }

size_t Splice::buffered_bytes() const {
  return client_to_peer_.pending_size + peer_to_client_.pending_size;
}

void Splice::StartReading(Direction& direction) {
  if (ending_ || closed_) return;
  if (uv_read_start(AsStream(direction.from), &Splice::OnAlloc,
                    &Splice::OnRead) != 0) {
    End();
  }
}

void Splice::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  // Reading runs only while no write of this direction waits, so the
  // whole buffer is free.
  auto* direction = static_cast<Direction*>(handle->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(direction->buffer.data()),
                     static_cast<unsigned>(direction->buffer.size()));
}

void Splice::OnRead(uv_stream_t* stream, ssize_t nread,
                    const uv_buf_t* /*buf*/) {
  auto* direction = static_cast<Direction*>(stream->data);
  if (nread == 0) return;  // EAGAIN
  if (nread < 0) {         // EOF or an error: this side is done
    direction->splice->End();
    return;
  }
  direction->splice->Forward(*direction, static_cast<size_t>(nread));
}

void Splice::Forward(Direction& direction, size_t size) {
  *direction.counter += size;
  uv_buf_t part = uv_buf_init(reinterpret_cast<char*>(direction.buffer.data()),
                              static_cast<unsigned>(size));
  int written = uv_try_write(AsStream(direction.to), &part, 1);
  if (written == UV_EAGAIN) written = 0;
  if (written < 0) {
    End();
    return;
  }
  if (static_cast<size_t>(written) == size) return;  // keep reading
  // Backpressure: the other side is not taking bytes as fast as this one
  // sends them. Stop reading until the rest is written.
  uv_read_stop(AsStream(direction.from));
  direction.pending_offset = static_cast<size_t>(written);
  direction.pending_size = size - direction.pending_offset;
  part = uv_buf_init(reinterpret_cast<char*>(direction.buffer.data() +
                                             direction.pending_offset),
                     static_cast<unsigned>(direction.pending_size));
  auto* request = new uv_write_t;
  request->data = &direction;
  if (uv_write(request, AsStream(direction.to), &part, 1, &Splice::OnWrite) !=
      0) {
    delete request;
    direction.pending_size = 0;
    End();
    return;
  }
  direction.write = request;
}

void Splice::OnWrite(uv_write_t* request, int status) {
  auto* direction = static_cast<Direction*>(request->data);
  delete request;
  if (direction == nullptr) return;  // the splice closed meanwhile
  direction->write = nullptr;
  direction->pending_size = 0;
  Splice* self = direction->splice;
  if (status != 0) {
    self->End();
    return;
  }
  if (self->ending_) {
    if (self->buffered_bytes() == 0) self->Finish(/*notify=*/true);
    return;
  }
  self->StartReading(*direction);
}

void Splice::End() {
  if (ending_ || closed_) return;
  ending_ = true;
  uv_read_stop(AsStream(client_to_peer_.from));
  uv_read_stop(AsStream(peer_to_client_.from));
  if (buffered_bytes() == 0) {
    Finish(/*notify=*/true);
    return;
  }
  // Bounded: a side that never reads again does not keep the other open.
  flush_timer_ = new uv_timer_t;
  uv_timer_init(loop_, flush_timer_);
  flush_timer_->data = this;
  uv_timer_start(flush_timer_, &Splice::OnFlushTimeout,
                 static_cast<uint64_t>(options_.flush_timeout.count()), 0);
}

void Splice::OnFlushTimeout(uv_timer_t* timer) {
  static_cast<Splice*>(timer->data)->Finish(/*notify=*/true);
}

void Splice::Finish(bool notify) {
  if (closed_) return;
  closed_ = true;
  if (flush_timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(flush_timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    flush_timer_ = nullptr;
  }
  for (Direction* direction : {&client_to_peer_, &peer_to_client_}) {
    // Closing cancels a waiting write; its callback must not find us.
    if (direction->write != nullptr) direction->write->data = nullptr;
    direction->write = nullptr;
    direction->pending_size = 0;
    direction->from->data = nullptr;
    CloseAndFree(direction->from);
  }
  // Last: the owner may destroy the splice from here.
  if (notify && on_closed_) on_closed_();
}

}  // namespace turnpike::runtime
