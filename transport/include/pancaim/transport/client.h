// The dialling side of the secure channel (used by site agents and operator tools): connects to a
// server, performs the mutual-TLS handshake (with SNI and, through the TLS context, the server
// name check), extracts the server's identity from its certificate and waits for the server's
// welcome, so a refusal by the server (revoked certificate, wrong role) is reported by Connect
// itself rather than by a later read.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "pancaim/common/status.h"
#include "pancaim/transport/channel_options.h"
#include "pancaim/transport/connection.h"

namespace pancaim::transport {

struct ClientOptions {
  ChannelOptions channel;
  std::string host = "127.0.0.1";  // name or address to dial
  std::uint16_t port = 0;
  // Name sent as SNI; empty: `host` unless it is an IP address. The name itself is checked by
  // the TLS context (crypto::TlsFiles::expected_server_name).
  std::string server_name;
};

// Dials and authenticates; blocks until the connection is ready or failed, bounded by
// channel.handshake_timeout. `io` must be running and this must not be called from its threads.
// Errors name the address (and the server identity once known): InvalidArgument (options),
// Unavailable (cannot resolve/connect, TLS handshake failed, server refused us),
// DeadlineExceeded, PermissionDenied (the server's role is not allowed).
// `tls` is used once, for this connection, and must outlive it.
StatusOr<std::shared_ptr<Connection>> Connect(boost::asio::io_context& io,
                                              boost::asio::ssl::context& tls,
                                              ClientOptions options, ConnectionHandlers handlers);

}  // namespace pancaim::transport
