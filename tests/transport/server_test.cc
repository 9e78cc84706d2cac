// The accepting side: flood protection (unauthenticated cap, handshake timeout), peers without
// TLS or without an acceptable certificate, role restrictions, and an orderly stop.
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "channel_fixture.h"

namespace pancaim::transport::testing {
namespace {

using crypto::Role;

class ServerTest : public ChannelTest {
 protected:
  void SetUp() override { EchoOnServer(); }
};

TEST_F(ServerTest, PlainTcpClientSendingJunkIsRefused) {
  StartServer();
  RawTcpClient junk;
  ASSERT_TRUE(junk.Connect(server_->port()).ok());
  ASSERT_TRUE(junk.Write("GET / HTTP/1.1\r\nHost: coordinator\r\n\r\n").ok());
  EXPECT_TRUE(junk.WaitForClose(milliseconds(2000)));
  EXPECT_TRUE(log_.WaitFor({"TLS handshake with 127.0.0.1", "failed"}, milliseconds(2000)));
  ExpectLegitimateExchange("hospital-a");
  ServerStats stats = server_->stats();
  EXPECT_EQ(stats.handshake_failures, 1u);
  EXPECT_EQ(stats.authenticated, 1u);
}

TEST_F(ServerTest, Tls12OnlyClientIsRefused) {
  if (std::system("command -v openssl > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "the openssl command-line tool is not installed";
  }
  StartServer();
  // A real foreign TLS stack that only speaks TLS 1.2.
  const std::string command = "timeout 10 openssl s_client -tls1_2 -connect 127.0.0.1:" +
                              std::to_string(server_->port()) +
                              " -servername localhost < /dev/null > /dev/null 2>&1";
  EXPECT_NE(std::system(command.c_str()), 0);
  EXPECT_TRUE(log_.WaitFor({"TLS handshake with 127.0.0.1", "failed"}, milliseconds(2000)));
  ExpectLegitimateExchange("hospital-a");
  EXPECT_EQ(server_->stats().handshake_failures, 1u);
}

TEST_F(ServerTest, SlowHandshakesTimeOutAndTheUnauthenticatedCapHolds) {
  ServerOptions options;
  options.channel = FastChannelOptions();
  options.channel.handshake_timeout = milliseconds(1000);
  options.max_unauthenticated_connections = 4;
  StartServer(options);
  // Ten half-open connections that never say anything (a slowloris on the handshake).
  std::vector<std::unique_ptr<RawTcpClient>> flood;
  for (int i = 0; i < 10; ++i) {
    flood.push_back(std::make_unique<RawTcpClient>());
    ASSERT_TRUE(flood.back()->Connect(server_->port()).ok());
  }
  // A legitimate site still gets in while the flood is pending.
  ExpectLegitimateExchange("hospital-a");
  ServerStats stats = server_->stats();
  EXPECT_LE(stats.max_pending_handshakes, 4u);
  EXPECT_GE(stats.evicted_unauthenticated, 6u);
  EXPECT_TRUE(log_.WaitFor({"unauthenticated connection cap of 4"}, milliseconds(1000)));
  // The survivors of the flood are cut by the handshake timeout.
  for (auto& client : flood) EXPECT_TRUE(client->WaitForClose(milliseconds(3000)));
  EXPECT_TRUE(log_.WaitFor({"handshake with 127.0.0.1", "not completed within 1000 ms"},
                           milliseconds(1000)));
  // The bookkeeping follows the socket close on the server's strand.
  for (int i = 0; i < 100 && server_->stats().pending_handshakes != 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(server_->stats().pending_handshakes, 0u);
}

TEST_F(ServerTest, PeerWithADisallowedRoleIsRefusedWithItsReason) {
  ServerOptions options;
  options.channel = FastChannelOptions();
  options.channel.allowed_peer_roles = {Role::kSite};
  StartServer(options);
  Inbox& inbox = NewInbox();
  auto refused = ConnectAs(Role::kOperator, "alice", inbox);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied) << refused.status();
  EXPECT_NE(refused.status().message().find("operator"), std::string::npos);
  EXPECT_TRUE(log_.WaitFor({"refusing", "operator:alice", "may not connect"}, milliseconds(1000)));
  ExpectLegitimateExchange("hospital-a");
}

TEST_F(ServerTest, RevokedClientIsRefusedEndToEndAfterACrlReload) {
  StartServer();
  auto client_tls = pki_.ClientContext(pki_.Issue(Role::kSite, "hospital-revoked"));
  Inbox& before = NewInbox();
  auto admitted = ConnectWith(client_tls->native(), before);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  (*admitted)->Close();
  ASSERT_TRUE((*admitted)->WaitClosed(milliseconds(2000)));

  // Revoked and a new CRL loaded by the running server, without a restart.
  pki_.Revoke(Role::kSite, "hospital-revoked");
  ASSERT_TRUE(server_tls_->Reload().ok());
  auto refused = ConnectWith(client_tls->native(), NewInbox());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("127.0.0.1"), std::string::npos) << refused.status();
  EXPECT_TRUE(log_.WaitFor({"TLS handshake with 127.0.0.1", "revoked"}, milliseconds(2000)));
  ExpectLegitimateExchange("hospital-a");
  EXPECT_EQ(server_->stats().authenticated, 2u);
}

TEST_F(ServerTest, StopClosesConnectionsInOrder) {
  StartServer();
  Inbox& inbox = NewInbox();
  auto connection = ConnectAs(Role::kSite, "hospital-a", inbox);
  ASSERT_TRUE(connection.ok()) << connection.status();
  ASSERT_TRUE(server_inbox_.NextConnect(milliseconds(2000)) != nullptr);
  EXPECT_EQ(server_->stats().open_connections, 1u);
  server_->Stop(milliseconds(2000));
  ASSERT_TRUE((*connection)->WaitClosed(milliseconds(2000)));
  auto reason = inbox.NextDisconnect(milliseconds(100));
  ASSERT_TRUE(reason.has_value());
  EXPECT_TRUE(reason->ok()) << *reason;
  EXPECT_EQ(server_->stats().open_connections, 0u);
  EXPECT_TRUE(log_.WaitFor({"said bye", "server stopping"}, milliseconds(1000)));
}

TEST_F(ServerTest, RefusesAnAddressItCannotBind) {
  StartServer();
  ServerOptions options;
  options.port = server_->port();  // taken
  auto second = Server::Start(
      pool_.context(), [this]() -> boost::asio::ssl::context& { return server_tls_->native(); },
      options,
      {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(std::to_string(server_->port())), std::string::npos);
}

}  // namespace
}  // namespace pancaim::transport::testing
