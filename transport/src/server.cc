#include "pancaim/transport/server.h"

#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "pancaim/common/log.h"
#include "tls_connection.h"

namespace pancaim::transport {
namespace asio = boost::asio;
using boost::system::error_code;
using internal::TlsConnection;

struct Server::State : std::enable_shared_from_this<Server::State> {
  State(asio::io_context& io_context, TlsContextProvider tls_provider, ServerOptions server_options,
        ConnectionHandlers connection_handlers)
      : io(io_context),
        tls(std::move(tls_provider)),
        options(std::move(server_options)),
        handlers(std::move(connection_handlers)),
        acceptor(asio::make_strand(io_context)),
        retry_timer(acceptor.get_executor()) {}

  void DoAccept();
  void OnAccept(const std::shared_ptr<TlsConnection>& connection, const error_code& ec);
  void OnReady(const std::shared_ptr<TlsConnection>& connection, const Status& status);
  void OnFinalized(const std::shared_ptr<TlsConnection>& connection);
  std::shared_ptr<TlsConnection> NewConnection();

  asio::io_context& io;
  TlsContextProvider tls;
  const ServerOptions options;
  ConnectionHandlers handlers;
  asio::ip::tcp::acceptor acceptor;  // used on its strand only
  asio::steady_timer retry_timer;
  std::uint16_t port = 0;

  mutable std::mutex mutex;
  std::condition_variable all_closed;
  bool stopping = false;
  std::unordered_map<TlsConnection*, std::shared_ptr<TlsConnection>> connections;
  std::list<TlsConnection*> pending;  // handshakes in progress, oldest first
  std::unordered_set<TlsConnection*> authenticated;
  ServerStats stats;
};

std::shared_ptr<TlsConnection> Server::State::NewConnection() {
  std::weak_ptr<State> weak = weak_from_this();
  internal::ConnectionHooks hooks;
  hooks.on_ready = [weak](const std::shared_ptr<TlsConnection>& connection, const Status& status) {
    if (auto state = weak.lock()) state->OnReady(connection, status);
  };
  hooks.on_finalized = [weak](const std::shared_ptr<TlsConnection>& connection) {
    if (auto state = weak.lock()) state->OnFinalized(connection);
  };
  return std::make_shared<TlsConnection>(io, tls(), TlsConnection::Side::kServer, options.channel,
                                         handlers, std::move(hooks));
}

void Server::State::DoAccept() {
  auto connection = NewConnection();
  acceptor.async_accept(connection->socket(),
                        [self = shared_from_this(), connection](const error_code& ec) {
                          self->OnAccept(connection, ec);
                        });
}

void Server::State::OnAccept(const std::shared_ptr<TlsConnection>& connection,
                             const error_code& ec) {
  if (ec) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    // E.g. out of file descriptors: log, pause briefly instead of spinning, keep serving.
    PANCAIM_LOG(WARNING) << "accept on port " << port << " failed: " << ec.message();
    retry_timer.expires_after(std::chrono::milliseconds(100));
    retry_timer.async_wait([self = shared_from_this()](const error_code& wait_error) {
      if (!wait_error && self->acceptor.is_open()) self->DoAccept();
    });
    return;
  }
  error_code ignored;
  connection->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  std::shared_ptr<TlsConnection> evicted;
  bool refused = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ++stats.accepted;
    if (stopping || connections.size() >= options.max_connections) {
      ++stats.refused_at_connection_cap;
      refused = true;
    } else {
      if (pending.size() >= options.max_unauthenticated_connections) {
        // The oldest pending handshake has had the longest chance; a legitimate peer finishes in
        // milliseconds, so dropping the oldest keeps slow or half-open floods from locking it out.
        evicted = connections[pending.front()];
        pending.pop_front();
        ++stats.evicted_unauthenticated;
      }
      connections[connection.get()] = connection;
      pending.push_back(connection.get());
      stats.pending_handshakes = pending.size();
      stats.max_pending_handshakes = std::max(stats.max_pending_handshakes, pending.size());
    }
  }
  if (refused) {
    auto endpoint = connection->socket().remote_endpoint(ignored);
    PANCAIM_LOG(WARNING) << "refusing connection from " << endpoint.address().to_string() << ":"
                         << endpoint.port() << ": connection cap of " << options.max_connections
                         << " reached";
    connection->socket().close(ignored);
  } else {
    if (evicted) {
      evicted->Abort(ResourceExhaustedError(
          "unauthenticated connection cap of " +
          std::to_string(options.max_unauthenticated_connections) +
          " reached: dropping the oldest pending handshake"));
    }
    connection->StartServer();
  }
  DoAccept();
}

void Server::State::OnReady(const std::shared_ptr<TlsConnection>& connection,
                            const Status& status) {
  std::lock_guard<std::mutex> lock(mutex);
  pending.remove(connection.get());
  stats.pending_handshakes = pending.size();
  if (status.ok()) {
    ++stats.authenticated;
    authenticated.insert(connection.get());
    stats.open_connections = authenticated.size();
  } else {
    ++stats.handshake_failures;
  }
}

void Server::State::OnFinalized(const std::shared_ptr<TlsConnection>& connection) {
  std::lock_guard<std::mutex> lock(mutex);
  pending.remove(connection.get());
  stats.pending_handshakes = pending.size();
  authenticated.erase(connection.get());
  stats.open_connections = authenticated.size();
  connections.erase(connection.get());
  if (connections.empty()) all_closed.notify_all();
}

Server::Server(std::shared_ptr<State> state) : state_(std::move(state)) {}

Server::~Server() { Stop(std::chrono::seconds(5)); }

StatusOr<std::unique_ptr<Server>> Server::Start(asio::io_context& io, TlsContextProvider tls,
                                                ServerOptions options,
                                                ConnectionHandlers handlers) {
  PANCAIM_CHECK(tls) << "Server::Start needs a TLS context provider";
  PANCAIM_RETURN_IF_ERROR(options.channel.Validate());
  if (options.max_unauthenticated_connections == 0 || options.max_connections == 0) {
    return InvalidArgumentError("server connection caps must be positive");
  }
  const std::string where = options.bind_address + ":" + std::to_string(options.port);
  error_code ec;
  asio::ip::address address = asio::ip::make_address(options.bind_address, ec);
  if (ec) return InvalidArgumentError("server bind address '" + options.bind_address +
                                      "' is not an IP address");
  auto state = std::make_shared<State>(io, std::move(tls), std::move(options), std::move(handlers));
  asio::ip::tcp::endpoint endpoint(address, state->options.port);
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) state->acceptor.bind(endpoint, ec);
  if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("cannot listen on " + where + ": " + ec.message());
  state->port = state->acceptor.local_endpoint(ec).port();
  PANCAIM_LOG(INFO) << "secure channel server listening on " << state->options.bind_address << ":"
                    << state->port;
  asio::post(state->acceptor.get_executor(), [state] { state->DoAccept(); });
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

std::uint16_t Server::port() const { return state_->port; }

ServerStats Server::stats() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->stats;
}

void Server::Stop(std::chrono::milliseconds grace) {
  std::vector<std::shared_ptr<TlsConnection>> to_close;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->stopping) return;
    state_->stopping = true;
    for (auto& [raw, connection] : state_->connections) to_close.push_back(connection);
  }
  asio::post(state_->acceptor.get_executor(), [state = state_] {
    error_code ignored;
    state->acceptor.close(ignored);
    state->retry_timer.cancel();
  });
  for (auto& connection : to_close) {
    if (connection->is_open()) {
      connection->Close("server stopping");
    } else {
      connection->Abort(CancelledError("server stopping"));
    }
  }
  to_close.clear();
  if (state_->io.stopped()) return;  // nothing would run the closes
  std::unique_lock<std::mutex> lock(state_->mutex);
  if (state_->all_closed.wait_for(lock, grace, [this] { return state_->connections.empty(); })) {
    return;
  }
  for (auto& [raw, connection] : state_->connections) {
    connection->Abort(CancelledError("server stopped: close did not finish within " +
                                     std::to_string(grace.count()) + " ms"));
  }
  state_->all_closed.wait_for(lock, std::chrono::seconds(1),
                              [this] { return state_->connections.empty(); });
}

}  // namespace pancaim::transport
