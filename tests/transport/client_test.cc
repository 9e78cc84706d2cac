// The dialling side: errors that name the address, and the handshake deadline against a server
// that accepts TCP but never speaks TLS.
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "channel_fixture.h"

namespace pancaim::transport::testing {
namespace {

using crypto::Role;

class ClientTest : public ChannelTest {};

TEST_F(ClientTest, ConnectingToAClosedPortIsUnavailableAndNamesTheAddress) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();
  ClientOptions options;
  options.channel = FastChannelOptions();
  options.port = port;
  auto connection = Connect(pool_.context(), PartyContext(Role::kSite, "hospital-a"), options,
                            NewInbox().Handlers());
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), StatusCode::kUnavailable) << connection.status();
  EXPECT_NE(connection.status().message().find("127.0.0.1:" + std::to_string(port)),
            std::string::npos);
}

TEST_F(ClientTest, ServerThatNeverCompletesTheHandshakeTimesOut) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  ClientOptions options;
  options.channel = FastChannelOptions();
  options.channel.handshake_timeout = milliseconds(300);
  options.port = silent.local_endpoint().port();
  const auto start = std::chrono::steady_clock::now();
  auto connection = Connect(pool_.context(), PartyContext(Role::kSite, "hospital-a"), options,
                            NewInbox().Handlers());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), StatusCode::kDeadlineExceeded) << connection.status();
  EXPECT_LT(took, milliseconds(2000));
}

TEST_F(ClientTest, RejectsInvalidOptions) {
  ClientOptions options;
  options.port = 0;
  EXPECT_EQ(Connect(pool_.context(), PartyContext(Role::kSite, "hospital-a"), options, {})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  options.port = 1;
  options.channel.heartbeat_interval = options.channel.idle_timeout;
  EXPECT_EQ(Connect(pool_.context(), PartyContext(Role::kSite, "hospital-a"), options, {})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, ClientRefusesAServerWhoseRoleIsNotAllowed) {
  StartServer();
  ChannelOptions channel = FastChannelOptions();
  channel.allowed_peer_roles = {Role::kOperator};
  auto connection = ConnectAs(Role::kSite, "hospital-a", NewInbox(), channel);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), StatusCode::kPermissionDenied) << connection.status();
  EXPECT_NE(connection.status().message().find("coordinator:coordinator"), std::string::npos)
      << connection.status();
}

}  // namespace
}  // namespace pancaim::transport::testing
