#include "pancaim/transport/client.h"

#include <future>

#include <boost/asio/ip/tcp.hpp>

#include "tls_connection.h"

namespace pancaim::transport {
namespace asio = boost::asio;
using internal::TlsConnection;

StatusOr<std::shared_ptr<Connection>> Connect(asio::io_context& io, asio::ssl::context& tls,
                                              ClientOptions options, ConnectionHandlers handlers) {
  PANCAIM_RETURN_IF_ERROR(options.channel.Validate());
  const std::string where = options.host + ":" + std::to_string(options.port);
  if (options.host.empty() || options.port == 0) {
    return InvalidArgumentError("client needs a host and a non-zero port, got '" + where + "'");
  }
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec || endpoints.empty()) {
    return UnavailableError("cannot resolve " + where + ": " + ec.message());
  }
  auto ready = std::make_shared<std::promise<Status>>();
  std::future<Status> ready_future = ready->get_future();
  internal::ConnectionHooks hooks;
  hooks.on_ready = [ready](const std::shared_ptr<TlsConnection>&, const Status& status) {
    ready->set_value(status);
  };
  const auto handshake_timeout = options.channel.handshake_timeout;
  auto connection = std::make_shared<TlsConnection>(io, tls, TlsConnection::Side::kClient,
                                                    std::move(options.channel),
                                                    std::move(handlers), std::move(hooks));
  std::string sni = options.server_name.empty() ? options.host : options.server_name;
  connection->StartClient(std::move(endpoints), std::move(sni));
  // The connection enforces handshake_timeout itself; the margin only guards an io_context that
  // is not running.
  if (ready_future.wait_for(handshake_timeout + std::chrono::seconds(2)) !=
      std::future_status::ready) {
    connection->Abort(DeadlineExceededError("connect to " + where + " did not finish"));
    return DeadlineExceededError("connect to " + where + " did not finish within " +
                                 std::to_string(handshake_timeout.count()) +
                                 " ms (is the io_context running?)");
  }
  PANCAIM_RETURN_IF_ERROR(ready_future.get());
  return std::shared_ptr<Connection>(std::move(connection));
}

}  // namespace pancaim::transport
