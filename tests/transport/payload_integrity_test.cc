#include "pancaim/transport/payload_integrity.h"

#include <gtest/gtest.h>

#include "pancaim/crypto/sha256.h"

namespace pancaim::transport {
namespace {

TEST(PayloadIntegrityTest, AttachThenVerifyRoundTrips) {
  nlohmann::json header = {{"type", "update"}};
  ASSERT_TRUE(AttachPayloadSha256(header, "weights").ok());
  EXPECT_EQ(header["payload_sha256"], crypto::Sha256Hex("weights"));
  EXPECT_TRUE(VerifyPayloadSha256(header, "weights", "site:a").ok());
}

TEST(PayloadIntegrityTest, EmptyPayloadNeedsNoDigestAndGetsNone) {
  nlohmann::json header = {{"type", "status"}};
  ASSERT_TRUE(AttachPayloadSha256(header, "").ok());
  EXPECT_FALSE(header.contains("payload_sha256"));
  EXPECT_TRUE(VerifyPayloadSha256(header, "", "site:a").ok());
}

TEST(PayloadIntegrityTest, MismatchIsDataLossNamingPeerAndBothDigests) {
  nlohmann::json header = {{"type", "update"}};
  ASSERT_TRUE(AttachPayloadSha256(header, "weights").ok());
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

TEST(PayloadIntegrityTest, ProtocolDigestFieldsAreUsedInsteadOfAddingOne) {
  // train_request: the payload is the global model, named by base_model_sha256.
  nlohmann::json request = {{"type", "train_request"},
                            {"base_model_sha256", crypto::Sha256Hex("model")}};
  ASSERT_TRUE(AttachPayloadSha256(request, "model").ok());
  EXPECT_FALSE(request.contains("payload_sha256"));
  EXPECT_TRUE(VerifyPayloadSha256(request, "model", "p").ok());
  EXPECT_EQ(VerifyPayloadSha256(request, "other", "p").code(), StatusCode::kDataLoss);
  // train_result: payload_sha256 takes precedence over base_model_sha256 (the model it began from).
  nlohmann::json result = {{"type", "train_result"},
                           {"base_model_sha256", crypto::Sha256Hex("model")},
                           {"payload_sha256", crypto::Sha256Hex("update")}};
  EXPECT_TRUE(VerifyPayloadSha256(result, "update", "p").ok());
  // evaluate_result names a model but has no payload: fine.
  EXPECT_TRUE(VerifyPayloadSha256({{"type", "evaluate_result"},
                                   {"model_sha256", crypto::Sha256Hex("model")}},
                                  "", "p")
                  .ok());
}

TEST(PayloadIntegrityTest, SenderDigestThatDoesNotMatchIsRefusedAtAttach) {
  nlohmann::json request = {{"type", "evaluate_request"},
                            {"model_sha256", crypto::Sha256Hex("a different model")}};
  Status status = AttachPayloadSha256(request, "model");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("model_sha256"), std::string::npos);
}

TEST(PayloadIntegrityTest, SuppliedDigestIsTrustedWithoutRecheckButMustBeWellFormed) {
  // Not rechecked: the receiver verifies it (and refuses this one with DataLoss).
  nlohmann::json trusted = {{"type", "train_result"},
                            {"payload_sha256", crypto::Sha256Hex("other weights")}};
  EXPECT_TRUE(AttachPayloadSha256(trusted, "weights", DefaultPayloadDigestFields(),
                                  /*recheck_supplied=*/false)
                  .ok());
  EXPECT_EQ(trusted["payload_sha256"], crypto::Sha256Hex("other weights"));
  EXPECT_EQ(VerifyPayloadSha256(trusted, "weights", "site:a").code(), StatusCode::kDataLoss);
  nlohmann::json malformed = {{"type", "train_result"}, {"payload_sha256", "not hex"}};
  EXPECT_EQ(AttachPayloadSha256(malformed, "weights", DefaultPayloadDigestFields(), false).code(),
            StatusCode::kInvalidArgument);
  // Without a supplied digest one is still computed and attached.
  nlohmann::json bare = {{"type", "train_result"}};
  ASSERT_TRUE(AttachPayloadSha256(bare, "weights", DefaultPayloadDigestFields(), false).ok());
  EXPECT_EQ(bare["payload_sha256"], crypto::Sha256Hex("weights"));
}

}  // namespace
}  // namespace pancaim::transport
