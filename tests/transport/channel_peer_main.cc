// transport-channel-peer: one side of the two-process end-to-end test. `serve` runs a secure
// channel server that echoes every frame and exits after its first peer disconnects; `send`
// connects, sends one frame with a payload, checks the echo and closes. Exit status 0 on success.
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>

#include <CLI/CLI.hpp>

#include "pancaim/crypto/tls_context.h"
#include "pancaim/transport/client.h"
#include "pancaim/transport/io_thread_pool.h"
#include "pancaim/transport/server.h"

namespace {

using namespace pancaim;

struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<std::string> echoed;
  std::optional<Status> disconnected;
  int messages = 0;
};

int Fail(const std::string& what, const Status& status) {
  std::cerr << "transport-channel-peer: " << what << ": " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"One side of the two-process secure channel test (serve or send)."};
  app.require_subcommand(1);
  crypto::TlsFiles files;
  std::string port_file;
  std::uint16_t port = 0;
  std::size_t payload_bytes = 1 << 20;
  for (CLI::App* command : {app.add_subcommand("serve", "echo frames; exit after one peer"),
                            app.add_subcommand("send", "send one frame and check the echo")}) {
    command->add_option("--ca", files.ca_cert_path, "consortium CA certificate")->required();
    command->add_option("--cert", files.cert_path, "own certificate")->required();
    command->add_option("--key", files.key_path, "own private key")->required();
    command->add_option("--crl", files.crl_path, "consortium CRL")->required();
  }
  app.get_subcommand("serve")->add_option("--port-file", port_file, "write the port here")
      ->required();
  app.get_subcommand("send")->add_option("--port", port, "server port")->required();
  app.get_subcommand("send")->add_option("--payload-bytes", payload_bytes, "payload size");
  CLI11_PARSE(app, argc, argv);
  const bool serve = app.got_subcommand("serve");
  if (!serve) files.expected_server_name = "localhost";

  auto tls = crypto::TlsContext::Create(
      serve ? crypto::TlsContext::Side::kServer : crypto::TlsContext::Side::kClient, files);
  if (!tls.ok()) return Fail("TLS context", tls.status());
  transport::IoThreadPool pool(2);
  Shared shared;
  transport::ConnectionHandlers handlers;
  handlers.on_message = [&](const std::shared_ptr<transport::Connection>& connection,
                            const crypto::PeerIdentity& peer, nlohmann::json header,
                            std::string payload) {
    std::cout << "message '" << header["type"].get<std::string>() << "' from " << peer.ToString()
              << ", " << payload.size() << " payload bytes" << std::endl;
    if (serve) connection->Send({{"type", "echo"}}, std::move(payload)).IgnoreError();
    std::lock_guard<std::mutex> lock(shared.mutex);
    ++shared.messages;
    if (!serve) shared.echoed = std::move(payload);
    shared.changed.notify_all();
  };
  handlers.on_disconnect = [&](const std::shared_ptr<transport::Connection>&, const Status& why) {
    std::lock_guard<std::mutex> lock(shared.mutex);
    shared.disconnected = why;
    shared.changed.notify_all();
  };
  std::unique_lock<std::mutex> lock(shared.mutex, std::defer_lock);
  if (serve) {
    transport::ServerOptions options;
    auto server = transport::Server::Start(
        pool.context(), [&]() -> boost::asio::ssl::context& { return (*tls)->native(); }, options,
        handlers);
    if (!server.ok()) return Fail("server", server.status());
    std::ofstream(port_file + ".tmp") << (*server)->port() << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
    lock.lock();
    if (!shared.changed.wait_for(lock, std::chrono::seconds(30),
                                 [&] { return shared.disconnected.has_value(); })) {
      return Fail("serve", DeadlineExceededError("no peer came and went within 30 s"));
    }
    if (!shared.disconnected->ok()) return Fail("peer disconnected", *shared.disconnected);
    return shared.messages == 1 ? 0 : Fail("serve", InternalError("expected exactly 1 message"));
  }
  transport::ClientOptions options;
  options.port = port;
  options.server_name = "localhost";
  auto connection = transport::Connect(pool.context(), (*tls)->native(), options, handlers);
  if (!connection.ok()) return Fail("connect", connection.status());
  std::string payload(payload_bytes, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i % 251);
  Status sent = (*connection)->SendAndWait({{"type", "update"}}, payload, std::chrono::seconds(10));
  if (!sent.ok()) return Fail("send", sent);
  lock.lock();
  if (!shared.changed.wait_for(lock, std::chrono::seconds(10),
                               [&] { return shared.echoed.has_value(); })) {
    return Fail("echo", DeadlineExceededError("no echo within 10 s"));
  }
  if (*shared.echoed != payload) return Fail("echo", DataLossError("echo differs from payload"));
  lock.unlock();
  (*connection)->Close("done");
  (*connection)->WaitClosed(std::chrono::seconds(5));
  return 0;
}
