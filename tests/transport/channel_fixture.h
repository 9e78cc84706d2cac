// Test support: a running secure-channel server (coordinator identity) on 127.0.0.1 with a test
// PKI, an io thread pool and short timeouts, plus helpers to connect enrolled sites.
#pragma once

#include <list>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "pancaim/transport/client.h"
#include "pancaim/transport/io_thread_pool.h"
#include "pancaim/transport/server.h"
#include "test_peers.h"
#include "channel_test_pki.h"

namespace pancaim::transport::testing {

// Short timeouts keep every test well under a second or two.
inline ChannelOptions FastChannelOptions() {
  ChannelOptions options;
  options.handshake_timeout = milliseconds(1500);
  options.idle_timeout = milliseconds(400);
  options.io_timeout = milliseconds(400);
  options.heartbeat_interval = milliseconds(100);
  return options;
}

class ChannelTest : public ::testing::Test {
 protected:
  ChannelTest() : pool_(2) {
    coordinator_files_ = pki_.Issue(crypto::Role::kCoordinator, "coordinator");
    server_tls_ = pki_.ServerContext(coordinator_files_);
  }
  ~ChannelTest() override {
    if (server_) server_->Stop(milliseconds(1000));
    pool_.Stop();  // no handler runs after this, so the inboxes below may go
  }

  // An inbox owned by the fixture, so it outlives every connection using it.
  Inbox& NewInbox() { return inboxes_.emplace_back(); }

  void StartServer(ServerOptions options = {}) {
    if (options.channel.idle_timeout == ChannelOptions().idle_timeout) {
      options.channel = FastChannelOptions();
    }
    auto server = Server::Start(
        pool_.context(), [this]() -> boost::asio::ssl::context& { return server_tls_->native(); },
        std::move(options), server_inbox_.Handlers());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // TLS context for an enrolled party (kept alive by the fixture).
  boost::asio::ssl::context& PartyContext(crypto::Role role, const std::string& id) {
    contexts_.push_back(pki_.ClientContext(pki_.Issue(role, id)));
    return contexts_.back()->native();
  }

  StatusOr<std::shared_ptr<Connection>> ConnectAs(crypto::Role role, const std::string& id,
                                                  Inbox& inbox,
                                                  ChannelOptions channel = FastChannelOptions()) {
    return ConnectWith(PartyContext(role, id), inbox, channel);
  }

  StatusOr<std::shared_ptr<Connection>> ConnectWith(boost::asio::ssl::context& tls, Inbox& inbox,
                                                    ChannelOptions channel = FastChannelOptions()) {
    ClientOptions options;
    options.channel = channel;
    options.port = server_->port();
    options.server_name = "localhost";
    return Connect(pool_.context(), tls, options, inbox.Handlers());
  }

  // A legitimate site sends a payload and gets it echoed; proves the server still serves.
  void ExpectLegitimateExchange(const std::string& site_id) {
    Inbox& inbox = NewInbox();
    auto connection = ConnectAs(crypto::Role::kSite, site_id, inbox);
    ASSERT_TRUE(connection.ok()) << connection.status();
    ASSERT_TRUE((*connection)->Send({{"type", "ping"}}, "legitimate payload").ok());
    auto echoed = inbox.NextMessage(milliseconds(2000));
    ASSERT_TRUE(echoed.has_value()) << "no echo for " << site_id;
    EXPECT_EQ(echoed->payload, "legitimate payload");
    (*connection)->Close("test done");
    EXPECT_TRUE((*connection)->WaitClosed(milliseconds(2000)));
  }

  void EchoOnServer() {
    server_inbox_.on_message = [](Inbox::Message& message) {
      nlohmann::json reply = {{"type", "echo"}};
      message.connection->Send(reply, message.payload).IgnoreError();
    };
  }

  LogCapture log_;
  IoThreadPool pool_;
  TestPki pki_;
  PartyFiles coordinator_files_;
  std::unique_ptr<crypto::TlsContext> server_tls_;
  std::vector<std::unique_ptr<crypto::TlsContext>> contexts_;
  Inbox server_inbox_;
  std::list<Inbox> inboxes_;
  std::unique_ptr<Server> server_;
};

}  // namespace pancaim::transport::testing
