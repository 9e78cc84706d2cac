// The TLS engine under the channel (transport/src/tls_socket.cc, driven through real
// connections): payloads arrive intact across read-chunk, hashing and buffer-growth boundaries,
// and a peer that vanishes while we write costs only its own connection (EPIPE/ECONNRESET, never
// SIGPIPE killing the process).
#include <gtest/gtest.h>

#include "channel_fixture.h"
#include "pancaim/crypto/sha256.h"

namespace pancaim::transport::testing {
namespace {

using crypto::Role;

// Generous per-chunk deadlines: these tests move tens of MiB, also under sanitizers.
ChannelOptions BulkChannelOptions() {
  ChannelOptions options = FastChannelOptions();
  options.io_timeout = milliseconds(20'000);
  options.idle_timeout = milliseconds(20'000);
  options.heartbeat_interval = milliseconds(1'000);
  return options;
}

std::string Pattern(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131 + seed) >> 3);
  return bytes;
}

class TlsSocketTest : public ChannelTest {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.channel = BulkChannelOptions();
    StartServer(options);
  }
};

TEST_F(TlsSocketTest, PayloadsArriveIntactAcrossChunkAndGrowthBoundaries) {
  Inbox& inbox = NewInbox();
  auto connection = ConnectAs(Role::kSite, "hospital-bulk", inbox, BulkChannelOptions());
  ASSERT_TRUE(connection.ok()) << connection.status();
  // Around the 256 KiB read/hash chunk, around the 1 MiB write step, and past the 64 MiB first
  // allocation (the buffer grows while earlier chunks are still being hashed).
  const std::vector<std::size_t> sizes = {1,           (256u << 10) - 1, (256u << 10) + 1,
                                          (1u << 20) + 17, (3u << 20) + 5,
                                          (64u << 20) + (300u << 10) + 7};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_TRUE((*connection)
                    ->SendAndWait({{"type", "update"}, {"index", i}},
                                  Pattern(sizes[i], static_cast<unsigned>(i)),
                                  milliseconds(30'000))
                    .ok())
        << sizes[i];
  }
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    auto received = server_inbox_.NextMessage(milliseconds(30'000));
    ASSERT_TRUE(received.has_value()) << "frame " << i;
    EXPECT_EQ(received->header["index"], i);
    ASSERT_EQ(received->payload.size(), sizes[i]);
    EXPECT_TRUE(received->payload == Pattern(sizes[i], static_cast<unsigned>(i))) << sizes[i];
  }
  (*connection)->Close();
  EXPECT_TRUE((*connection)->WaitClosed(milliseconds(3000)));
}

TEST_F(TlsSocketTest, PeerVanishingWhileWeWriteCostsOnlyItsConnection) {
  EchoOnServer();
  RawTlsClient raw(PartyContext(Role::kSite, "hospital-gone"));
  ASSERT_TRUE(raw.Connect(server_->port()).ok());
  auto welcome = raw.ReadFrameHeader();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  std::shared_ptr<Connection> to_raw = server_inbox_.NextConnect(milliseconds(2000));
  ASSERT_NE(to_raw, nullptr);
  // More than the socket buffers hold, so the server is still writing when the peer is gone.
  ASSERT_TRUE(to_raw->Send({{"type", "model"}}, std::string(32u << 20, 'm')).ok());
  raw.Close();  // unread data: the kernel answers further writes with a reset
  auto reason = server_inbox_.NextDisconnect(milliseconds(5000));
  ASSERT_TRUE(reason.has_value()) << "the server did not notice the peer vanish";
  EXPECT_FALSE(reason->ok());
  EXPECT_NE(reason->message().find("hospital-gone"), std::string::npos) << *reason;
  ExpectLegitimateExchange("hospital-ok");
}

}  // namespace
}  // namespace pancaim::transport::testing
