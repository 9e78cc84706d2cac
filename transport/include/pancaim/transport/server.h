// The accepting side of the secure channel (used by the coordinator): a TCP acceptor whose
// connections each perform a mutual-TLS handshake, are identified from their certificates, and
// then exchange frames through ConnectionHandlers.
//
// Flood protection: at most `max_unauthenticated_connections` connections may be in the handshake
// at once; when a new one arrives at the cap, the oldest pending handshake is dropped (it has had
// the longest time), so slow or half-open connections cannot keep enrolled peers out, and every
// handshake is bounded by ChannelOptions::handshake_timeout.
//
// Thread-safety: stats() and port() from any thread; Stop() from any thread except the
// io_context's own threads (it waits). The Server must outlive nothing it hands out: connections
// keep working state alive on their own, and Stop() closes them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "pancaim/common/status.h"
#include "pancaim/transport/channel_options.h"
#include "pancaim/transport/connection.h"

namespace pancaim::transport {

// Returns the TLS context for a new connection, called once per accepted or dialled connection.
// With crypto::TlsContext: [tls] () -> boost::asio::ssl::context& { return tls->native(); },
// so a Reload() (new CRL or certificate) applies to the next connection. The context must stay
// alive while connections made from it exist.
using TlsContextProvider = std::function<boost::asio::ssl::context&()>;

struct ServerOptions {
  ChannelOptions channel;
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, see Server::port()
  std::size_t max_unauthenticated_connections = 64;
  std::size_t max_connections = 1024;  // authenticated + pending; beyond it new sockets are closed
};

// Counters for status pages and tests. A snapshot.
struct ServerStats {
  std::size_t accepted = 0;                 // TCP connections accepted
  std::size_t authenticated = 0;            // handshakes that produced a verified identity
  std::size_t handshake_failures = 0;       // TLS errors, timeouts, identity/role refusals
  std::size_t evicted_unauthenticated = 0;  // dropped at the unauthenticated cap
  std::size_t refused_at_connection_cap = 0;
  std::size_t pending_handshakes = 0;       // now
  std::size_t max_pending_handshakes = 0;   // highest ever observed
  std::size_t open_connections = 0;         // authenticated and not yet disconnected, now
};

class Server {
 public:
  // Binds and starts accepting on `io` (which must be running, e.g. an IoThreadPool).
  // Errors: InvalidArgument (options), Unavailable (address cannot be bound, naming it).
  static StatusOr<std::unique_ptr<Server>> Start(boost::asio::io_context& io,
                                                 TlsContextProvider tls, ServerOptions options,
                                                 ConnectionHandlers handlers);
  ~Server();  // Stop(std::chrono::seconds(5))
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound TCP port.
  std::uint16_t port() const;
  ServerStats stats() const;

  // Stops accepting, closes every connection in order (bye, TLS shutdown), and waits up to
  // `grace` for them to finish; stragglers are then cut. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  struct State;  // shared with in-flight handlers; defined in server.cc

 private:
  explicit Server(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace pancaim::transport
