#include "pancaim/coordinator/aggregation_round.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include <gtest/gtest.h>

#include "pancaim/crypto/sha256.h"
#include "test_models.h"

namespace pancaim::coordinator {
namespace {

using protocol::DType;
using testing::MakeModel;
using testing::MakeModelBytes;
using testing::ReadTensor;

class AggregationRoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    global_ = MakeModel({{"w", DType::kF32, {2}, {1, 2}}, {"steps", DType::kI64, {}, {5}}});
    auto spec = ParseStrategySpec("fedavg", {});
    ASSERT_TRUE(spec.ok());
    aggregator_ = std::move(Aggregator::Create(*spec)).value();
    AggregationRoundOptions options;
    options.selected_sites = {"a", "b", "c", "d"};
    options.max_delta_norm = 1000;
    auto round = AggregationRound::Open({"run-1", 3, global_->Sha256()}, global_,
                                        aggregator_.get(), options);
    ASSERT_TRUE(round.ok()) << round.status();
    round_ = std::move(round).value();
  }

  UpdateEnvelope Envelope(const std::string& site, const std::string& payload) {
    return {site, "run-1", 3, global_->Sha256(), 10, payload, ""};
  }

  std::string Good(double a, double b) {
    return MakeModelBytes({{"w", DType::kF32, {2}, {a, b}}, {"steps", DType::kI64, {}, {7}}});
  }

  // Accepts one update from "a" and checks the result is exactly it, proving rejected ones left
  // the accumulator untouched.
  void ExpectOnlyGoodUpdateCounted() {
    const std::string good = Good(3, 4);
    ASSERT_TRUE(round_->Submit(Envelope("a", good)).ok());
    auto next = round_->Close();
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(ReadTensor(next->view(), "w"), (std::vector<double>{3, 4}));
    EXPECT_EQ(round_->accepted(), 1);
  }

  void ExpectRejected(const UpdateEnvelope& update, StatusCode code, const std::string& words) {
    auto receipt = round_->Submit(update);
    ASSERT_FALSE(receipt.ok());
    EXPECT_EQ(receipt.status().code(), code) << receipt.status();
    EXPECT_NE(receipt.status().message().find("site '" + update.site_id + "'"), std::string::npos)
        << receipt.status();
    EXPECT_NE(receipt.status().message().find(words), std::string::npos) << receipt.status();
  }

  std::shared_ptr<const SafetensorsBuffer> global_;
  std::unique_ptr<Aggregator> aggregator_;
  std::unique_ptr<AggregationRound> round_;
};

TEST_F(AggregationRoundTest, AcceptsAndReportsReceipt) {
  const std::string payload = Good(3, 4);
  auto receipt = round_->Submit(Envelope("b", payload));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->site_id, "b");
  EXPECT_EQ(receipt->bytes, payload.size());
  EXPECT_EQ(receipt->sha256, crypto::Sha256Hex(payload));
  EXPECT_NEAR(receipt->delta_l2_norm, std::sqrt(8.0), 1e-9);
  // A digest the transport already computed is used as given.
  UpdateEnvelope hashed = Envelope("c", payload);
  hashed.payload_sha256 = crypto::Sha256Hex(payload);
  EXPECT_EQ(round_->Submit(hashed)->sha256, hashed.payload_sha256);
  auto next = round_->Close();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(ReadTensor(next->view(), "steps"), std::vector<double>{7});
  EXPECT_EQ(round_->Submit(Envelope("c", payload)).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(AggregationRoundTest, RejectsNaN) {
  const std::string nan = MakeModelBytes(
      {{"w", DType::kF32, {2}, {1, std::numeric_limits<double>::quiet_NaN()}},
       {"steps", DType::kI64, {}, {7}}});
  ExpectRejected(Envelope("b", nan), StatusCode::kInvalidArgument, "tensor 'w' element 1");
  const std::string inf = MakeModelBytes(
      {{"w", DType::kF32, {2}, {std::numeric_limits<double>::infinity(), 1}},
       {"steps", DType::kI64, {}, {7}}});
  ExpectRejected(Envelope("c", inf), StatusCode::kInvalidArgument, "finite");
  ExpectOnlyGoodUpdateCounted();
}

TEST_F(AggregationRoundTest, RejectsWrongShapeDtypeNamesAndGarbage) {
  ExpectRejected(Envelope("b", MakeModelBytes({{"w", DType::kF32, {3}, {1, 2, 3}},
                                               {"steps", DType::kI64, {}, {7}}})),
                 StatusCode::kInvalidArgument, "shape [3]");
  ExpectRejected(Envelope("c", MakeModelBytes({{"w", DType::kF64, {2}, {1, 2}},
                                               {"steps", DType::kI64, {}, {7}}})),
                 StatusCode::kInvalidArgument, "dtype F64");
  ExpectRejected(Envelope("d", MakeModelBytes({{"w", DType::kF32, {2}, {1, 2}}})),
                 StatusCode::kInvalidArgument, "'steps' is missing");
  ExpectOnlyGoodUpdateCounted();
}

TEST_F(AggregationRoundTest, RejectsExtraTensorAndUnparsablePayload) {
  ExpectRejected(Envelope("b", MakeModelBytes({{"w", DType::kF32, {2}, {1, 2}},
                                               {"steps", DType::kI64, {}, {7}},
                                               {"x", DType::kF32, {1}, {1}}})),
                 StatusCode::kInvalidArgument, "'x' is not part of the global model");
  const std::string garbage("\x10\0\0\0\0\0\0\0{not json}xxxxxx", 24);
  auto receipt = round_->Submit(Envelope("c", garbage));
  EXPECT_FALSE(receipt.ok());
  ExpectOnlyGoodUpdateCounted();
}

TEST_F(AggregationRoundTest, RejectsReplayFromAnOldRoundAndOtherRun) {
  const std::string payload = Good(9, 9);  // envelopes borrow their payload
  UpdateEnvelope old = Envelope("b", payload);
  old.round = 2;
  ExpectRejected(old, StatusCode::kFailedPrecondition, "replayed");
  UpdateEnvelope other = Envelope("c", payload);
  other.run_id = "run-0";
  ExpectRejected(other, StatusCode::kFailedPrecondition, "not the current run");
  ExpectOnlyGoodUpdateCounted();
}

TEST_F(AggregationRoundTest, RejectsDuplicate) {
  ASSERT_TRUE(round_->Submit(Envelope("a", Good(3, 4))).ok());
  ExpectRejected(Envelope("a", Good(100, 100)), StatusCode::kAlreadyExists, "already submitted");
  auto next = round_->Close();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(ReadTensor(next->view(), "w"), (std::vector<double>{3, 4}));
}

TEST_F(AggregationRoundTest, ARejectedSiteCannotRetryInTheSameRound) {
  const std::string nan = MakeModelBytes(
      {{"w", DType::kF32, {2}, {std::numeric_limits<double>::quiet_NaN(), 1}},
       {"steps", DType::kI64, {}, {7}}});
  EXPECT_FALSE(round_->Submit(Envelope("b", nan)).ok());
  ExpectRejected(Envelope("b", Good(3, 4)), StatusCode::kAlreadyExists, "already submitted");
  EXPECT_EQ(round_->rejected(), 2);
}

TEST_F(AggregationRoundTest, RejectsWrongBaseModelVersionAndUnselectedSite) {
  const std::string payload = Good(3, 4);
  UpdateEnvelope stale = Envelope("b", payload);
  stale.base_model_sha256 = crypto::Sha256Hex("an older model");
  ExpectRejected(stale, StatusCode::kFailedPrecondition, "trained from model version");
  ExpectRejected(Envelope("z", payload), StatusCode::kFailedPrecondition, "not selected");
  ExpectOnlyGoodUpdateCounted();
}

TEST_F(AggregationRoundTest, RejectsNormAboveBoundAndBadSampleCount) {
  ExpectRejected(Envelope("b", Good(1000, 1000)), StatusCode::kOutOfRange, "over the bound");
  const std::string payload = Good(3, 4);
  UpdateEnvelope zero = Envelope("c", payload);
  zero.sample_count = 0;
  ExpectRejected(zero, StatusCode::kInvalidArgument, "sample count");
  ExpectOnlyGoodUpdateCounted();
}

TEST_F(AggregationRoundTest, OwnedPayloadsAreCheckedAndFoldedInPlace) {
  // "a" first: folded at once, through the one-pass check and fold over its own bytes.
  std::string nan = MakeModelBytes(
      {{"w", DType::kF32, {2}, {1, std::numeric_limits<double>::quiet_NaN()}},
       {"steps", DType::kI64, {}, {7}}});
  auto rejected = round_->Submit(Envelope("a", nan), nan);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(rejected.status().message().find("tensor 'w' element 1"), std::string::npos)
      << rejected.status();
  std::string b = Good(3, 4);
  const std::string b_sha = crypto::Sha256Hex(b);
  auto receipt = round_->Submit(Envelope("b", b), b);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->sha256, b_sha);
  EXPECT_EQ(receipt->bytes, Good(3, 4).size());
  EXPECT_NEAR(receipt->delta_l2_norm, std::sqrt(8.0), 1e-9);
  // "d" before "c": held (moved, not copied), folded in place at Close.
  std::string d = Good(5, 8);
  ASSERT_TRUE(round_->Submit(Envelope("d", d), d).ok());
  EXPECT_EQ(round_->held(), 1u);
  std::string far = Good(1000, 1000);
  EXPECT_EQ(round_->Submit(Envelope("c", far), far).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(round_->held(), 0u);  // c's rejection let d fold
  auto next = round_->Close();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(ReadTensor(next->view(), "w"), (std::vector<double>{4, 6}));
  EXPECT_EQ(ReadTensor(next->view(), "steps"), std::vector<double>{7});
  EXPECT_EQ(round_->accepted(), 2);
  EXPECT_EQ(round_->rejected(), 2);
}

TEST_F(AggregationRoundTest, CloseWithoutUpdatesFails) {
  EXPECT_EQ(round_->Close().status().code(), StatusCode::kFailedPrecondition);
}


// ---- Fold order ---------------------------------------------------------------------------------

// The new global model of one FedAvg round whose updates arrive in `order` (sites a, b, c with
// values whose float32 sum depends on the order), with `skip` sending nothing.
std::string RoundResult(const std::vector<std::string>& order, const std::string& skip,
                        const std::filesystem::path& hold_dir, bool owned = false) {
  auto global = MakeModel({{"w", DType::kF32, {2}, {0, 0}}});
  auto aggregator = std::move(Aggregator::Create(*ParseStrategySpec("fedavg", {}))).value();
  AggregationRoundOptions options;
  options.selected_sites = {"a", "b", "c", "d"};
  options.hold_dir = hold_dir;
  auto round = std::move(
      AggregationRound::Open({"run-1", 1, global->Sha256()}, global, aggregator.get(), options))
                   .value();
  const std::map<std::string, std::vector<double>> values = {
      {"a", {16777216, 0.1}}, {"b", {1, 0.7}}, {"c", {1, 3e-9}}, {"d", {3, 1e7}}};
  std::vector<std::string> payloads;
  for (const std::string& site : order) {
    if (site == skip) {
      EXPECT_TRUE(round->Skip(site).ok());
      continue;
    }
    payloads.push_back(MakeModelBytes({{"w", DType::kF32, {2}, values.at(site)}}));
    const UpdateEnvelope update{site, "run-1", 1, global->Sha256(), 7, payloads.back(), ""};
    EXPECT_TRUE((owned ? round->Submit(update, payloads.back()) : round->Submit(update)).ok());
  }
  auto next = round->Close();
  EXPECT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(round->held(), 0u);
  return next.ok() ? next->bytes() : "";
}

TEST(AggregationRoundOrderTest, ArrivalOrderDoesNotChangeTheBits) {
  const std::filesystem::path hold = std::filesystem::path(::testing::TempDir()) / "held";
  std::filesystem::remove_all(hold);
  const std::string in_order = RoundResult({"a", "b", "c", "d"}, "", "");
  for (const auto& order : std::vector<std::vector<std::string>>{
           {"d", "c", "b", "a"}, {"b", "d", "a", "c"}, {"c", "a", "d", "b"}}) {
    EXPECT_EQ(RoundResult(order, "", hold), in_order);
    EXPECT_EQ(RoundResult(order, "", ""), in_order);  // held in memory
    // Owned payloads: checked and folded in one pass over their bytes, same bits.
    EXPECT_EQ(RoundResult(order, "", "", /*owned=*/true), in_order);
    EXPECT_EQ(RoundResult(order, "", hold, /*owned=*/true), in_order);
  }
  EXPECT_TRUE(std::filesystem::is_empty(hold));  // held files removed once folded
  // A site that never answers (skipped, or missing at Close) does not block the others.
  const std::string without_b = RoundResult({"a", "c", "d", "b"}, "b", "");
  EXPECT_EQ(RoundResult({"d", "b", "c", "a"}, "b", hold), without_b);
  EXPECT_EQ(RoundResult({"d", "c", "a"}, "", hold), without_b);  // b missing at Close
  EXPECT_NE(without_b, in_order);
}

}  // namespace
}  // namespace pancaim::coordinator
