// Settings of one secure channel (a mutual-TLS connection carrying protocol frames), shared by the
// server and the client side. A plain value; copy it freely.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/crypto/identity.h"
#include "pancaim/protocol/frame.h"
#include "pancaim/transport/payload_integrity.h"

namespace pancaim::transport {

// Extracts the verified identity from an SSL* after a successful handshake. The default (an empty
// function) is crypto::VerifiedPeerIdentity; tests and tools may substitute their own.
using IdentityExtractor = std::function<StatusOr<crypto::PeerIdentity>(void* ssl_native_handle)>;

struct ChannelOptions {
  // Size caps checked on the 16-byte prefix of every incoming frame, before anything is allocated,
  // and on every outgoing frame.
  protocol::FrameLimits frame_limits;

  // TCP connect (client side) plus TLS handshake plus the server's welcome must finish within this.
  std::chrono::milliseconds handshake_timeout{10'000};
  // Longest silence between frames; peers send heartbeats every `heartbeat_interval`.
  std::chrono::milliseconds idle_timeout{60'000};
  // Once a frame has started, each chunk (up to 1 MiB) must arrive or be written within this.
  // Also bounds the orderly shutdown.
  std::chrono::milliseconds io_timeout{30'000};
  // A heartbeat frame is sent when nothing else was sent for this long. Keep it well below the
  // peer's idle_timeout.
  std::chrono::milliseconds heartbeat_interval{15'000};

  // Bytes (headers + payloads) queued for sending but not yet written. Send() refuses with
  // ResourceExhausted beyond this, except that one frame is always accepted into an empty queue.
  std::size_t max_send_queue_bytes = std::size_t{256} << 20;

  // Outgoing frames with a payload carry the payload's SHA-256 (see payload_integrity.h: an
  // existing digest field is checked, else "payload_sha256" is added; hashing runs on the
  // sender's thread inside Send); incoming frames with a payload must carry one that matches, or
  // the connection is refused (InvalidArgument without a digest, DataLoss on a mismatch).
  bool payload_integrity = true;
  std::vector<std::string> payload_digest_fields = DefaultPayloadDigestFields();
  // With payload_integrity, a digest the application already put in the header (the coordinator
  // hashes the global model once per round and sends it to every site; a site hashes its update
  // once) is recomputed and compared before sending when true, which costs one SHA-256 pass per
  // frame and connection. False trusts it on the way out: the receiver verifies every payload
  // either way, so a wrong digest is still refused (DataLoss at the peer), only later.
  bool recheck_supplied_digest = true;

  // Roles the peer's certificate may carry; empty accepts any consortium role. A peer with another
  // role is refused right after the handshake (PermissionDenied).
  std::vector<crypto::Role> allowed_peer_roles;

  IdentityExtractor identity_extractor;

  // InvalidArgument naming the field when a timeout is not positive, the heartbeat is not shorter
  // than the idle timeout, or the send queue cap is 0.
  Status Validate() const;
};

}  // namespace pancaim::transport
