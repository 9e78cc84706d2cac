// One authenticated secure channel to a peer, as seen by the application.
//
// A Connection is created by a Server (accepted) or by Connect() (dialled) and handed out as a
// std::shared_ptr only after the mutual-TLS handshake succeeded and the peer's identity was
// extracted from its verified certificate. That identity is fixed for the connection's life and is
// passed with every message; nothing in a message can change it.
//
// Thread-safety: every method may be called from any thread. Handlers (ConnectionHandlers) run on
// the connection's strand, one at a time per connection, in arrival order; different connections'
// handlers may run concurrently on the io_context's threads. A handler must return quickly (the
// connection reads its next frame only afterwards, which is also how a slow receiver throttles
// the sender) and must not block on this connection (e.g. SendAndWait) or it deadlocks.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/crypto/identity.h"

namespace pancaim::transport {

class Connection;

// Called when a queued frame was fully written (OK) or could not be (the connection closed first,
// Cancelled/Unavailable/DeadlineExceeded naming the peer). Runs on the connection's strand.
using SendCallback = std::function<void(const Status&)>;

// The application's side of a connection. All members are optional.
struct ConnectionHandlers {
  // The peer is authenticated; the connection is ready for Send.
  std::function<void(const std::shared_ptr<Connection>& connection)> on_connect;
  // One application frame: its JSON header (an object with a string "type") and its payload
  // (empty when the frame had none; with payload_integrity its SHA-256 was already verified).
  std::function<void(const std::shared_ptr<Connection>& connection,
                     const crypto::PeerIdentity& peer, nlohmann::json header,
                     std::string payload)>
      on_message;
  // Called exactly once for every connection that was handed to on_connect (or returned by
  // Connect): OK after an orderly close by either side, otherwise the reason (timeout, refused
  // frame, peer vanished, ...) with the peer named.
  std::function<void(const std::shared_ptr<Connection>& connection, const Status& reason)>
      on_disconnect;
};

class Connection {
 public:
  virtual ~Connection() = default;

  // The identity from the peer's verified certificate.
  virtual const crypto::PeerIdentity& peer() const = 0;
  // "127.0.0.1:40312".
  virtual const std::string& remote_address() const = 0;
  // "127.0.0.1:40312 (site:hospital-a (serial 1A2B))", for logs and error messages.
  virtual std::string Describe() const = 0;

  // Queues one frame. The header must be a JSON object with a string "type" that does not start
  // with "transport." (reserved for the channel's own frames). With payload_integrity and a
  // non-empty payload, the payload's SHA-256 is checked against the header's digest field or
  // added as "payload_sha256" (payload_integrity.h; hashing runs on the calling thread).
  // Errors, returned at once (then `done` is not called): InvalidArgument (bad header, frame over
  // the size caps, a digest field that does not match the payload), ResourceExhausted (send queue full: back-pressure, retry after earlier sends
  // complete), FailedPrecondition (connection closing or closed). Otherwise `done` (if set)
  // reports the outcome of the write later.
  virtual Status Send(nlohmann::json header, std::string payload = {}, SendCallback done = {}) = 0;
  // Same, for one payload shared by many connections (e.g. the global model sent to every site).
  virtual Status SendShared(nlohmann::json header, std::shared_ptr<const std::string> payload,
                            SendCallback done = {}) = 0;
  // Send, then blocks until the frame is written or the connection fails; while the queue is full
  // it waits (up to `timeout`) for room instead of refusing. Never call it from a handler.
  virtual Status SendAndWait(nlohmann::json header, std::string payload,
                             std::chrono::milliseconds timeout) = 0;

  // Orderly close: frames already queued are written, then a bye frame carrying `reason`, then
  // the TLS close_notify exchange (bounded by io_timeout). Further Sends are refused. Idempotent.
  virtual void Close(std::string reason = "closing") = 0;

  // Blocks until on_disconnect has run (true) or `timeout` passed (false). Not from a handler.
  virtual bool WaitClosed(std::chrono::milliseconds timeout) = 0;

  // False once closing has begun.
  virtual bool is_open() const = 0;
  // Bytes queued for sending and not yet written (see ChannelOptions::max_send_queue_bytes).
  virtual std::size_t queued_bytes() const = 0;
};

}  // namespace pancaim::transport
