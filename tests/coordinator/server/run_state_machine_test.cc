#include "pancaim/coordinator/server/run_state_machine.h"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "../test_models.h"
#include "pancaim/common/files.h"
#include "pancaim/coordinator/coordinator_config.h"
#include "pancaim/crypto/sha256.h"

namespace pancaim::coordinator::server {
namespace {

using protocol::DType;
using testing::MakeModel;
using testing::MakeModelBytes;
using testing::ReadTensor;

// Records what the state machine sends; sites are "connected" when listed in `connected`.
class FakeLinks : public SiteLinks {
 public:
  std::vector<std::string> ConnectedSites() const override { return connected; }
  Status Send(const std::string& site_id, const protocol::Message& message,
              std::shared_ptr<const std::string> payload) override {
    if (std::find(connected.begin(), connected.end(), site_id) == connected.end()) {
      return UnavailableError("site '" + site_id + "' not connected");
    }
    sent.push_back({site_id, message, std::move(payload)});
    return Status();
  }
  struct Sent {
    std::string site;
    protocol::Message message;
    std::shared_ptr<const std::string> payload;
  };
  std::vector<std::string> connected;
  std::vector<Sent> sent;
};

class RunStateMachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("rsm-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = std::make_unique<RunStore>(dir_ / "run");
    auto audit = AuditLog::Open(dir_ / "audit.jsonl");
    ASSERT_TRUE(audit.ok()) << audit.status();
    audit_ = std::move(audit).value();
    links_.connected = {"a", "b", "c"};
  }

  RunContext Context() {
    RunContext context;
    context.store = store_.get();
    context.audit = audit_.get();
    context.links = &links_;
    context.spill_dir = dir_ / "spill";
    context.run_defaults = {{"max_round_retries", 1}};
    return context;
  }

  std::unique_ptr<RunStateMachine> NewRun(nlohmann::json overrides = nlohmann::json::object()) {
    nlohmann::json spec = {{"model", {{"name", "genomics-mlp"}}}, {"rounds", 2},
                           {"round_deadline_seconds", 10}, {"min_sites", 2}, {"seed", 7}};
    spec.update(overrides);
    auto validated = ValidateRunSpec(spec);
    EXPECT_TRUE(validated.ok()) << validated.status();
    auto initial = SafetensorsBuffer::FromBytes(
        MakeModelBytes({{"w", DType::kF32, {2}, {0, 0}}}));
    EXPECT_TRUE(initial.ok());
    auto run = RunStateMachine::Create("run-1", *validated, std::move(initial).value(), "op",
                                       Context());
    EXPECT_TRUE(run.ok()) << run.status();
    return std::move(run).value();
  }

  protocol::Message Result(const RunStateMachine& run, std::int64_t round, std::int64_t samples,
                           double loss) {
    protocol::TrainResult result;
    result.base_model_sha256 = run.model()->Sha256();
    result.update_kind = protocol::UpdateKind::kWeights;
    result.num_samples = samples;
    result.metrics = {{"loss", loss}};
    protocol::Message message;
    message.run_id = run.run_id();
    message.round = round;
    message.body = result;
    return message;
  }

  static std::string Weights(double a, double b) {
    return MakeModelBytes({{"w", DType::kF32, {2}, {a, b}}});
  }

  TimePoint t0_ = TimePoint{} + std::chrono::hours(1);
  std::filesystem::path dir_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<AuditLog> audit_;
  FakeLinks links_;
};

TEST_F(RunStateMachineTest, RunsRoundsWithFedAvgAndCheckpointsEach) {
  auto run = NewRun();
  run->Tick(t0_);
  ASSERT_EQ(run->state(), RunState::kRunning);
  ASSERT_EQ(links_.sent.size(), 3u);
  EXPECT_EQ(links_.sent[0].message.type(), protocol::MessageType::kTrainRequest);
  EXPECT_EQ(links_.sent[0].message.round, 1);
  EXPECT_EQ(*links_.sent[0].payload, run->model()->bytes());

  run->OnTrainResult("a", Result(*run, 1, 10, 1.0), Weights(1, 2), t0_);
  run->OnTrainResult("b", Result(*run, 1, 30, 3.0), Weights(5, 6), t0_);
  EXPECT_EQ(run->completed_rounds(), 0);
  run->OnDecline("c", {"run-1", 1, protocol::Role::kSite, protocol::Decline{}}, t0_);
  // All answered: closed, FedAvg weighted by samples: (10*1+30*5)/40 = 4, (10*2+30*6)/40 = 5.
  ASSERT_EQ(run->completed_rounds(), 1);
  EXPECT_EQ(ReadTensor(run->model()->view(), "w"), (std::vector<double>{4, 5}));
  EXPECT_DOUBLE_EQ(run->history()[0]["metrics"]["loss"].get<double>(), 2.5);
  EXPECT_EQ(run->history()[0]["declined"], 1);

  auto saved = store_->LoadLatest();
  ASSERT_TRUE(saved.ok() && saved->has_value());
  EXPECT_EQ((*saved)->round, 1);
  EXPECT_EQ((*saved)->model->Sha256(), run->model()->Sha256());

  links_.sent.clear();
  run->Tick(t0_);
  ASSERT_EQ(links_.sent.size(), 3u);
  EXPECT_EQ(links_.sent[0].message.round, 2);
  for (const char* site : {"a", "b", "c"}) {
    run->OnTrainResult(site, Result(*run, 2, 10, 0.5), Weights(1, 1), t0_);
  }
  EXPECT_EQ(run->state(), RunState::kCompleted);
  EXPECT_EQ(run->completed_rounds(), 2);
  EXPECT_EQ(ReadTensor(run->model()->view(), "w"), (std::vector<double>{1, 1}));
  EXPECT_TRUE(VerifyAuditLog(audit_->path()).ok());
}

TEST_F(RunStateMachineTest, StragglerExcludedAtDeadlineAndRejoinsNextRound) {
  auto run = NewRun();
  run->Tick(t0_);
  run->OnTrainResult("a", Result(*run, 1, 10, 1.0), Weights(1, 1), t0_);
  run->OnTrainResult("b", Result(*run, 1, 10, 1.0), Weights(3, 3), t0_);
  run->Tick(t0_ + std::chrono::seconds(9));
  EXPECT_EQ(run->completed_rounds(), 0);  // waiting for c
  run->Tick(t0_ + std::chrono::seconds(11));
  ASSERT_EQ(run->completed_rounds(), 1);
  EXPECT_EQ(ReadTensor(run->model()->view(), "w"), (std::vector<double>{2, 2}));
  const std::string old_model = run->model()->Sha256();
  // c's late result for round 1 is refused as stale and leaves nothing behind.
  links_.sent.clear();
  run->Tick(t0_ + std::chrono::seconds(12));
  ASSERT_EQ(links_.sent.size(), 3u);  // c selected again for round 2
  run->OnTrainResult("c", Result(*run, 1, 10, 1.0), Weights(9, 9), t0_ + std::chrono::seconds(12));
  EXPECT_EQ(run->StatusReport().sites_reported, 0);
  run->OnTrainResult("c", Result(*run, 2, 10, 1.0), Weights(9, 9), t0_ + std::chrono::seconds(13));
  EXPECT_EQ(run->StatusReport().sites_reported, 1);
  EXPECT_EQ(run->model()->Sha256(), old_model);
}

TEST_F(RunStateMachineTest, TooFewUpdatesRetriesThenFailsWithReason) {
  auto run = NewRun();
  run->Tick(t0_);
  run->OnTrainResult("a", Result(*run, 1, 10, 1.0), Weights(1, 1), t0_);
  run->Tick(t0_ + std::chrono::seconds(11));  // deadline: 1 < min_sites 2 -> retry
  EXPECT_EQ(run->state(), RunState::kRunning);
  EXPECT_NE(run->StatusReport().message.find("retrying"), std::string::npos);
  links_.sent.clear();
  run->Tick(t0_ + std::chrono::seconds(12));
  ASSERT_EQ(links_.sent.size(), 3u);
  EXPECT_EQ(links_.sent[0].message.round, 1);  // same round again
  run->OnSiteDisconnected("a", t0_ + std::chrono::seconds(12));
  run->OnSiteDisconnected("b", t0_ + std::chrono::seconds(12));
  run->OnDecline("c", {"run-1", 1, protocol::Role::kSite, protocol::Decline{}},
                 t0_ + std::chrono::seconds(12));
  EXPECT_EQ(run->state(), RunState::kFailed);
  EXPECT_NE(run->StatusReport().message.find("0 accepted update(s), 2 needed"),
            std::string::npos)
      << run->StatusReport().message;
}

TEST_F(RunStateMachineTest, RejectedUpdateCountsAsAnswerAndIsAudited) {
  auto run = NewRun({{"min_sites", 1}});
  run->Tick(t0_);
  run->OnTrainResult("a", Result(*run, 1, 10, 1.0),
                     MakeModelBytes({{"w", DType::kF32, {3}, {1, 1, 1}}}), t0_);  // wrong shape
  run->OnTrainResult("b", Result(*run, 1, 10, 1.0), Weights(2, 2), t0_);
  run->OnTrainResult("c", Result(*run, 1, 10, 1.0), Weights(4, 4), t0_);
  ASSERT_EQ(run->completed_rounds(), 1);
  EXPECT_EQ(run->history()[0]["rejected"], 1);
  EXPECT_EQ(ReadTensor(run->model()->view(), "w"), (std::vector<double>{3, 3}));
  auto log = ReadFile(audit_->path());
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("update_rejected"), std::string::npos);
}

TEST_F(RunStateMachineTest, SeededFractionSelectsSameSitesEveryTime) {
  links_.connected = {"a", "b", "c", "d", "e", "f"};
  auto first = NewRun({{"fraction_per_round", 0.5}, {"min_sites", 1}});
  first->Tick(t0_);
  std::vector<std::string> chosen;
  for (const auto& s : links_.sent) chosen.push_back(s.site);
  EXPECT_EQ(chosen.size(), 3u);
  links_.sent.clear();
  std::filesystem::remove_all(dir_ / "run");
  auto second = NewRun({{"fraction_per_round", 0.5}, {"min_sites", 1}});
  second->Tick(t0_);
  std::vector<std::string> again;
  for (const auto& s : links_.sent) again.push_back(s.site);
  EXPECT_EQ(chosen, again);
}

TEST_F(RunStateMachineTest, WaitsForSitesPausesAndAborts) {
  links_.connected = {"a"};
  auto run = NewRun();
  run->Tick(t0_);
  EXPECT_EQ(run->state(), RunState::kWaiting);
  EXPECT_TRUE(links_.sent.empty());
  ASSERT_TRUE(run->Pause().ok());
  links_.connected = {"a", "b"};
  run->Tick(t0_);
  EXPECT_TRUE(links_.sent.empty());
  ASSERT_TRUE(run->Resume(t0_).ok());
  EXPECT_EQ(links_.sent.size(), 2u);
  ASSERT_TRUE(run->Abort("operator said so").ok());
  EXPECT_EQ(run->state(), RunState::kAborted);
  EXPECT_FALSE(run->Pause().ok());
}

TEST_F(RunStateMachineTest, ResumeContinuesFromLastCompletedRound) {
  auto run = NewRun();
  run->Tick(t0_);
  run->OnTrainResult("a", Result(*run, 1, 10, 1.0), Weights(1, 1), t0_);
  run->OnTrainResult("b", Result(*run, 1, 10, 1.0), Weights(3, 3), t0_);
  run->OnTrainResult("c", Result(*run, 1, 10, 1.0), Weights(5, 5), t0_);
  ASSERT_EQ(run->completed_rounds(), 1);
  run->Tick(t0_);  // round 2 open, then the coordinator "crashes"
  const std::string model = run->model()->Sha256();
  run.reset();

  auto checkpoint = store_->LoadLatest();
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  auto resumed = RunStateMachine::Resume(std::move(**checkpoint), Context());
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ((*resumed)->completed_rounds(), 1);
  EXPECT_EQ((*resumed)->model()->Sha256(), model);
  links_.sent.clear();
  (*resumed)->Tick(t0_);
  ASSERT_EQ(links_.sent.size(), 3u);
  EXPECT_EQ(links_.sent[0].message.round, 2);
}

}  // namespace
}  // namespace pancaim::coordinator::server
