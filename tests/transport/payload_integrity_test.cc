#include "pancaim/transport/payload_integrity.h"

#include <gtest/gtest.h>

#include "pancaim/crypto/sha256.h"

namespace pancaim::transport {
namespace {

TEST(PayloadIntegrityTest, AttachThenVerifyRoundTrips) {
  nlohmann::json header = {{"type", "update"}};
  AttachPayloadSha256(header, "weights");
  EXPECT_EQ(header["payload_sha256"], crypto::Sha256Hex("weights"));
  EXPECT_TRUE(VerifyPayloadSha256(header, "weights", "site:a").ok());
}

TEST(PayloadIntegrityTest, EmptyPayloadNeedsNoDigestAndGetsNone) {
  nlohmann::json header = {{"type", "status"}};
  AttachPayloadSha256(header, "");
  EXPECT_FALSE(header.contains("payload_sha256"));
  EXPECT_TRUE(VerifyPayloadSha256(header, "", "site:a").ok());
}

TEST(PayloadIntegrityTest, MismatchIsDataLossNamingPeerAndBothDigests) {
  nlohmann::json header = {{"type", "update"}};
  AttachPayloadSha256(header, "weights");
  Status status = VerifyPayloadSha256(header, "weightz", "site:a @ 127.0.0.1:4000");
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("site:a @ 127.0.0.1:4000"), std::string::npos);
  EXPECT_NE(status.message().find(crypto::Sha256Hex("weights")), std::string::npos);
  EXPECT_NE(status.message().find(crypto::Sha256Hex("weightz")), std::string::npos);
}

TEST(PayloadIntegrityTest, MissingOrMalformedDigestIsInvalidArgument) {
  EXPECT_EQ(VerifyPayloadSha256({{"type", "update"}}, "weights", "p").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyPayloadSha256({{"type", "update"}, {"payload_sha256", 5}}, "weights", "p").code(),
            StatusCode::kInvalidArgument);
  std::string upper = crypto::Sha256Hex("weights");
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(VerifyPayloadSha256({{"type", "update"}, {"payload_sha256", upper}}, "weights", "p")
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyPayloadSha256({{"type", "s"}, {"payload_sha256", crypto::Sha256Hex("")}}, "",
                                "p")
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pancaim::transport
