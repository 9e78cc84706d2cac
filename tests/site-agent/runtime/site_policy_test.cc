#include "pancaim/site_runtime/site_policy.h"

#include <gtest/gtest.h>

namespace pancaim::site_runtime {
namespace {

protocol::Message Request(const std::string& model, std::int64_t round) {
  protocol::TrainRequest train;
  train.model_name = model;
  protocol::Message message;
  message.run_id = "run-1";
  message.round = round;
  message.body = train;
  return message;
}

SitePolicy Policy() {
  return SitePolicy::FromJson({{"allowed_models", {"genomics-mlp"}},
                               {"min_patients_per_round", 5},
                               {"max_rounds_per_run", 2},
                               {"max_payload_bytes", 4096}});
}

TEST(SitePolicyTest, AllowsRequestWithinPolicy) {
  SiteRoundCounter counter;
  EXPECT_FALSE(CheckTrainRequest(Policy(), counter, Request("genomics-mlp", 1), 100, 20));
}

TEST(SitePolicyTest, DeclinesModelNotAllowed) {
  SiteRoundCounter counter;
  auto d = CheckTrainRequest(Policy(), counter, Request("ct-unet3d", 1), 100, 20);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->code, "policy");
  EXPECT_NE(d->reason.find("ct-unet3d"), std::string::npos);
  EXPECT_EQ(d->request_type, "train_request");
}

TEST(SitePolicyTest, DeclinesLargePayloadAndTooFewPatients) {
  SiteRoundCounter counter;
  auto big = CheckTrainRequest(Policy(), counter, Request("genomics-mlp", 1), 5000, 20);
  ASSERT_TRUE(big.has_value());
  EXPECT_NE(big->reason.find("max_payload_bytes"), std::string::npos);
  auto few = CheckTrainRequest(Policy(), counter, Request("genomics-mlp", 1), 100, 4);
  ASSERT_TRUE(few.has_value());
  EXPECT_EQ(few->code, "insufficient_data");
}

TEST(SitePolicyTest, MaxRoundsPerRunCountsRetriedRoundOnce) {
  SiteRoundCounter counter;
  counter.Join("run-1", 1);
  counter.Join("run-1", 2);
  EXPECT_FALSE(CheckTrainRequest(Policy(), counter, Request("genomics-mlp", 2), 100, 20));
  auto third = CheckTrainRequest(Policy(), counter, Request("genomics-mlp", 3), 100, 20);
  ASSERT_TRUE(third.has_value());
  EXPECT_NE(third->reason.find("max_rounds_per_run"), std::string::npos);
}

}  // namespace
}  // namespace pancaim::site_runtime
