// The secure channel's behaviour per connection: framed exchange with payloads, identity from the
// certificate only, and every malformed or hostile input refused with a log line naming the
// reason while a legitimate peer keeps working.
#include <thread>

#include <gtest/gtest.h>

#include "channel_fixture.h"
#include "pancaim/crypto/sha256.h"
#include "pancaim/transport/payload_integrity.h"

namespace pancaim::transport::testing {
namespace {

using crypto::Role;

class TlsConnectionTest : public ChannelTest {
 protected:
  void SetUp() override {
    EchoOnServer();
    StartServer();
  }

  // A raw client enrolled as `site_id`, past the handshake and the server's welcome.
  std::unique_ptr<RawTlsClient> RawSite(const std::string& site_id) {
    auto client = std::make_unique<RawTlsClient>(PartyContext(Role::kSite, site_id));
    Status connected = client->Connect(server_->port());
    EXPECT_TRUE(connected.ok()) << connected;
    auto welcome = client->ReadFrameHeader();
    EXPECT_TRUE(welcome.ok()) << welcome.status();
    if (welcome.ok()) {
      EXPECT_EQ((*welcome)["type"], "transport.welcome");
    }
    EXPECT_TRUE(server_inbox_.NextConnect(milliseconds(2000)) != nullptr);
    return client;
  }

  // The server dropped the raw peer with `code`, said why in the log, and still serves others.
  void ExpectRefused(RawTlsClient& client, StatusCode code,
                     const std::vector<std::string>& log_needles) {
    auto reason = server_inbox_.NextDisconnect(milliseconds(3000));
    ASSERT_TRUE(reason.has_value()) << "server did not drop the peer";
    EXPECT_EQ(reason->code(), code) << *reason;
    EXPECT_TRUE(client.WaitForClose(milliseconds(2000)));
    EXPECT_TRUE(log_.WaitFor(log_needles, milliseconds(1000)));
    ExpectLegitimateExchange("hospital-ok");
  }
};

TEST_F(TlsConnectionTest, ExchangesFramesWithPayloadAndIdentityFromCertificate) {
  Inbox& inbox = NewInbox();
  auto connection = ConnectAs(Role::kSite, "hospital-a", inbox);
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ((*connection)->peer().role, Role::kCoordinator);
  EXPECT_EQ((*connection)->peer().id, "coordinator");

  std::string payload(3 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 31 + 7);
  // A header claiming another identity changes nothing: identity comes from the certificate.
  nlohmann::json header = {{"type", "update"}, {"round", 3}, {"sender", "site:hospital-b"}};
  ASSERT_TRUE((*connection)->SendAndWait(header, payload, milliseconds(3000)).ok());

  auto received = server_inbox_.NextMessage(milliseconds(3000));
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->peer.role, Role::kSite);
  EXPECT_EQ(received->peer.id, "hospital-a");
  EXPECT_EQ(received->header["type"], "update");
  EXPECT_EQ(received->header["round"], 3);
  EXPECT_EQ(received->header[std::string(kPayloadSha256Field)], crypto::Sha256Hex(payload));
  EXPECT_EQ(received->payload, payload);

  auto echoed = inbox.NextMessage(milliseconds(3000));
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->header["type"], "echo");
  EXPECT_EQ(echoed->peer.id, "coordinator");
  EXPECT_EQ(echoed->payload, payload);

  // A frame without payload, then an orderly close seen as OK on both sides.
  ASSERT_TRUE((*connection)->Send({{"type", "status"}}).ok());
  auto status = server_inbox_.NextMessage(milliseconds(2000));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->payload.empty());
  EXPECT_FALSE(status->header.contains(std::string(kPayloadSha256Field)));
  (*connection)->Close("round done");
  ASSERT_TRUE((*connection)->WaitClosed(milliseconds(2000)));
  auto client_reason = inbox.NextDisconnect(milliseconds(100));
  ASSERT_TRUE(client_reason.has_value());
  EXPECT_TRUE(client_reason->ok()) << *client_reason;
  auto server_reason = server_inbox_.NextDisconnect(milliseconds(2000));
  ASSERT_TRUE(server_reason.has_value());
  EXPECT_TRUE(server_reason->ok()) << *server_reason;
  EXPECT_TRUE(log_.WaitFor({"said bye", "round done"}, milliseconds(1000)));
  EXPECT_FALSE((*connection)->Send({{"type", "late"}}).ok());
}

TEST_F(TlsConnectionTest, ProtocolDigestFieldIsVerifiedAndNotDuplicated) {
  Inbox& inbox = NewInbox();
  auto connection = ConnectAs(Role::kSite, "hospital-a", inbox);
  ASSERT_TRUE(connection.ok()) << connection.status();
  // A digest field that does not describe the payload is the sender's bug: refused at Send.
  EXPECT_EQ((*connection)
                ->Send({{"type", "train_request"}, {"base_model_sha256", crypto::Sha256Hex("x")}},
                       "model")
                .code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE((*connection)
                  ->Send({{"type", "train_request"},
                          {"base_model_sha256", crypto::Sha256Hex("model")}},
                         "model")
                  .ok());
  auto received = server_inbox_.NextMessage(milliseconds(2000));
  ASSERT_TRUE(received.has_value());
  EXPECT_FALSE(received->header.contains(std::string(kPayloadSha256Field)));
  EXPECT_EQ(received->payload, "model");
  (*connection)->Close();
  EXPECT_TRUE((*connection)->WaitClosed(milliseconds(2000)));
}

TEST_F(TlsConnectionTest, RefusesReservedTypesAndHeadersWithoutType) {
  Inbox& inbox = NewInbox();
  auto connection = ConnectAs(Role::kSite, "hospital-a", inbox);
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ((*connection)->Send({{"type", "transport.bye"}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*connection)->Send({{"kind", "x"}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*connection)->Send(nlohmann::json::array()).code(), StatusCode::kInvalidArgument);
  (*connection)->Close();
  EXPECT_TRUE((*connection)->WaitClosed(milliseconds(2000)));
}

TEST_F(TlsConnectionTest, FrameOverTheHeaderCapIsRefusedBeforeAllocation) {
  auto raw = RawSite("hospital-x");
  ASSERT_TRUE(raw->Write(RawPrefix((64u << 10) + 1, 0)).ok());
  ExpectRefused(*raw, StatusCode::kResourceExhausted, {"refusing", "hospital-x", "header"});
}

TEST_F(TlsConnectionTest, FrameWithA4GiBPayloadLengthIsRefused) {
  auto raw = RawSite("hospital-x");
  ASSERT_TRUE(raw->Write(RawPrefix(20, std::uint64_t{4} << 30)).ok());
  ExpectRefused(*raw, StatusCode::kResourceExhausted, {"refusing", "hospital-x", "4294967296"});
}

TEST_F(TlsConnectionTest, FrameWithA4GiBHeaderLengthIsRefused) {
  auto raw = RawSite("hospital-x");
  ASSERT_TRUE(raw->Write(RawPrefix(0xFFFFFFFFu, 0)).ok());
  ExpectRefused(*raw, StatusCode::kResourceExhausted, {"refusing", "hospital-x", "4294967295"});
}

TEST_F(TlsConnectionTest, TruncatedFrameThenDisconnectIsRefused) {
  auto raw = RawSite("hospital-x");
  nlohmann::json header = {{"type", "update"},
                           {std::string(kPayloadSha256Field), crypto::Sha256Hex("0123456789")}};
  std::string frame = RawFrame(header, "0123456789");
  ASSERT_TRUE(raw->Write(frame.substr(0, frame.size() - 4)).ok());
  raw->Close();
  auto reason = server_inbox_.NextDisconnect(milliseconds(3000));
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(reason->code(), StatusCode::kDataLoss) << *reason;
  EXPECT_TRUE(log_.WaitFor({"truncated frame", "hospital-x"}, milliseconds(1000)));
  EXPECT_FALSE(server_inbox_.NextMessage(milliseconds(50)).has_value());
  ExpectLegitimateExchange("hospital-ok");
}

TEST_F(TlsConnectionTest, PayloadWhoseSha256DoesNotMatchIsRefused) {
  auto raw = RawSite("hospital-x");
  nlohmann::json header = {{"type", "update"},
                           {std::string(kPayloadSha256Field), crypto::Sha256Hex("other bytes")}};
  ASSERT_TRUE(raw->Write(RawFrame(header, "tampered update")).ok());
  ExpectRefused(*raw, StatusCode::kDataLoss, {"refusing", "hospital-x", "does not match"});
  // Only the legitimate peer's message was delivered, never the tampered update.
  auto delivered = server_inbox_.NextMessage(milliseconds(50));
  ASSERT_TRUE(delivered.has_value());
  EXPECT_EQ(delivered->header["type"], "ping");
  EXPECT_FALSE(server_inbox_.NextMessage(milliseconds(50)).has_value());
}

TEST_F(TlsConnectionTest, PayloadWithoutSha256IsRefused) {
  auto raw = RawSite("hospital-x");
  ASSERT_TRUE(raw->Write(RawFrame({{"type", "update"}}, "unchecked update")).ok());
  ExpectRefused(*raw, StatusCode::kInvalidArgument, {"refusing", "no digest field"});
}

TEST_F(TlsConnectionTest, HeaderThatIsNotJsonIsRefused) {
  auto raw = RawSite("hospital-x");
  std::string junk = "{not json";
  ASSERT_TRUE(raw->Write(RawPrefix(static_cast<std::uint32_t>(junk.size()), 0) + junk).ok());
  ExpectRefused(*raw, StatusCode::kInvalidArgument, {"refusing", "not valid JSON"});
}

TEST_F(TlsConnectionTest, IdlePeerIsTimedOut) {
  auto raw = RawSite("hospital-idle");
  // The raw client never answers heartbeats; the server's idle timeout (400 ms) closes it.
  ExpectRefused(*raw, StatusCode::kDeadlineExceeded, {"hospital-idle", "idle for 400 ms"});
}

TEST_F(TlsConnectionTest, StalledFrameIsTimedOut) {
  auto raw = RawSite("hospital-slow");
  std::string frame = RawFrame({{"type", "update"}});
  ASSERT_TRUE(raw->Write(frame.substr(0, 20)).ok());
  ExpectRefused(*raw, StatusCode::kDeadlineExceeded, {"hospital-slow", "stalled"});
}

TEST_F(TlsConnectionTest, HeartbeatsKeepAnIdleButLiveConnectionOpen) {
  Inbox& inbox = NewInbox();
  auto connection = ConnectAs(Role::kSite, "hospital-quiet", inbox);
  ASSERT_TRUE(connection.ok()) << connection.status();
  // Three idle timeouts without application traffic.
  std::this_thread::sleep_for(milliseconds(1200));
  EXPECT_TRUE((*connection)->is_open());
  EXPECT_FALSE(server_inbox_.NextDisconnect(milliseconds(10)).has_value());
  ASSERT_TRUE((*connection)->Send({{"type", "ping"}}, "still here").ok());
  auto echoed = inbox.NextMessage(milliseconds(2000));
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->payload, "still here");
  (*connection)->Close();
  EXPECT_TRUE((*connection)->WaitClosed(milliseconds(2000)));
}

TEST_F(TlsConnectionTest, FullSendQueueRefusesInsteadOfGrowing) {
  // The server's handler blocks, so the receiver stops reading and TCP buffers fill up.
  std::mutex gate;
  std::unique_lock<std::mutex> hold(gate);
  server_inbox_.on_message = [&gate](Inbox::Message&) { std::lock_guard<std::mutex> wait(gate); };
  ChannelOptions options = FastChannelOptions();
  options.max_send_queue_bytes = 4 << 20;
  options.io_timeout = milliseconds(5000);
  options.idle_timeout = milliseconds(5000);
  Inbox& inbox = NewInbox();
  auto connection = ConnectAs(Role::kSite, "hospital-bulk", inbox, options);
  ASSERT_TRUE(connection.ok()) << connection.status();
  const std::string chunk(1 << 20, 'u');
  Status refused;
  int accepted = 0;
  for (int i = 0; i < 200 && refused.ok(); ++i) {
    refused = (*connection)->Send({{"type", "update"}}, chunk);
    if (refused.ok()) ++accepted;
    EXPECT_LE((*connection)->queued_bytes(), options.max_send_queue_bytes + (1 << 20) + 4096);
  }
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused;
  EXPECT_NE(refused.message().find("send queue"), std::string::npos);
  hold.unlock();
  // Once the receiver drains, a blocking send waits for room and completes.
  EXPECT_TRUE((*connection)->SendAndWait({{"type", "update"}}, chunk, milliseconds(5000)).ok());
  for (int i = 0; i < accepted + 1; ++i) {
    ASSERT_TRUE(server_inbox_.NextMessage(milliseconds(5000)).has_value()) << i;
  }
  (*connection)->Close();
  EXPECT_TRUE((*connection)->WaitClosed(milliseconds(3000)));
}

}  // namespace
}  // namespace pancaim::transport::testing
