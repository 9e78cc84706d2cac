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

// After a coordinator restart the next round waits for the sites of the earlier rounds (so the
// same sites are selected as without the restart), but only for rejoin_wait_seconds.
TEST_F(RunStateMachineTest, ResumedRunWaitsForEarlierSitesToReconnectThenGoesOnWithout) {
  auto run = NewRun({{"rounds", 3}});
  run->Tick(t0_);
  for (const char* site : {"a", "b", "c"}) {
    run->OnTrainResult(site, Result(*run, 1, 10, 1.0), Weights(1, 1), t0_);
  }
  ASSERT_EQ(run->completed_rounds(), 1);
  run.reset();

  auto resume = [&] {
    auto checkpoint = store_->LoadLatest();
    EXPECT_TRUE(checkpoint.ok() && checkpoint->has_value());
    RunContext context = Context();
    context.run_defaults["rejoin_wait_seconds"] = 30;
    auto resumed = RunStateMachine::Resume(std::move(**checkpoint), context);
    EXPECT_TRUE(resumed.ok()) << resumed.status();
    return std::move(resumed).value();
  };
  // Only a and b have redialled: min_sites (2) would allow a round, but c took part before.
  links_.connected = {"a", "b"};
  links_.sent.clear();
  auto resumed = resume();
  resumed->Tick(t0_);
  EXPECT_TRUE(links_.sent.empty());
  EXPECT_EQ(resumed->state(), RunState::kWaiting);
  EXPECT_NE(resumed->message().find("waiting for c"), std::string::npos) << resumed->message();
  resumed->Tick(t0_ + std::chrono::seconds(10));
  EXPECT_TRUE(links_.sent.empty());
  // c is back: round 2 opens with all three, as it would have without the restart.
  links_.connected = {"a", "b", "c"};
  resumed->Tick(t0_ + std::chrono::seconds(11));
  ASSERT_EQ(links_.sent.size(), 3u);
  EXPECT_EQ(links_.sent[0].message.round, 2);
  resumed.reset();

  // A site that never comes back delays the round by rejoin_wait_seconds at most.
  links_.connected = {"a", "b"};
  links_.sent.clear();
  resumed = resume();
  resumed->Tick(t0_);
  EXPECT_TRUE(links_.sent.empty());
  resumed->Tick(t0_ + std::chrono::seconds(30));
  ASSERT_EQ(links_.sent.size(), 2u);
  EXPECT_EQ(links_.sent[0].message.round, 2);
}

// ---- Federated evaluation ---------------------------------------------------------------------

protocol::Message EvalResult(const std::string& sha, std::int64_t round, std::int64_t samples,
                             double c_index) {
  protocol::EvaluateResult result;
  result.model_sha256 = sha;
  result.split = "validation";
  result.num_samples = samples;
  result.metrics = {{"c_index", c_index}, {"loss", 1.0 - c_index}};
  protocol::Message message;
  message.run_id = "run-1";
  message.round = round;
  message.sender_role = protocol::Role::kSite;
  message.body = result;
  return message;
}

std::vector<FakeLinks::Sent> OfType(const FakeLinks& links, protocol::MessageType type) {
  std::vector<FakeLinks::Sent> out;
  for (const auto& sent : links.sent) {
    if (sent.message.type() == type) out.push_back(sent);
  }
  return out;
}

TEST_F(RunStateMachineTest, EvaluatesEachRoundModelAndFoldsSampleWeightedMeans) {
  auto run = NewRun({{"training", {{"batch_size", 4}}}});
  run->Tick(t0_);
  for (const char* site : {"a", "b", "c"}) {
    run->OnTrainResult(site, Result(*run, 1, 10, 1.0), Weights(1, 1), t0_);
  }
  ASSERT_EQ(run->completed_rounds(), 1);
  const std::string round1 = run->model()->Sha256();
  const auto asked = OfType(links_, protocol::MessageType::kEvaluateRequest);
  ASSERT_EQ(asked.size(), 3u);
  for (const auto& sent : asked) {
    const auto& request = std::get<protocol::EvaluateRequest>(sent.message.body);
    EXPECT_EQ(sent.message.run_id, "run-1");
    EXPECT_EQ(sent.message.round, 1);
    EXPECT_EQ(request.model_name, "genomics-mlp");
    EXPECT_EQ(request.model_sha256, round1);
    EXPECT_EQ(request.split, "validation");
    EXPECT_EQ(request.batch_size, 4);
    EXPECT_EQ(*sent.payload, run->model()->bytes());
  }
  EXPECT_EQ(run->PendingEvaluations(), (std::vector<std::int64_t>{1}));

  // Evaluation does not hold back the next round.
  links_.sent.clear();
  run->Tick(t0_);
  EXPECT_EQ(OfType(links_, protocol::MessageType::kTrainRequest).size(), 3u);
  EXPECT_EQ(run->StatusReport().round, 2);

  run->OnEvaluateResult("a", EvalResult(round1, 1, 10, 0.6));
  run->OnEvaluateResult("b", EvalResult(round1, 1, 30, 0.8));
  // Refused: a second answer, a site not asked, another model, a round not evaluated.
  run->OnEvaluateResult("a", EvalResult(round1, 1, 1000, 0.0));
  run->OnEvaluateResult("d", EvalResult(round1, 1, 1000, 0.0));
  run->OnEvaluateResult("c", EvalResult(std::string(64, 'f'), 1, 1000, 0.0));
  run->OnEvaluateResult("c", EvalResult(round1, 2, 1000, 0.0));
  const nlohmann::json& evaluation = run->history()[0]["evaluation"];
  EXPECT_DOUBLE_EQ(evaluation["metrics"]["c_index"].get<double>(), (10 * 0.6 + 30 * 0.8) / 40);
  EXPECT_DOUBLE_EQ(evaluation["samples"].get<double>(), 40);
  EXPECT_EQ(evaluation["sites"], 2);
  EXPECT_DOUBLE_EQ(run->StatusReport().metrics.at("val_c_index"), 0.75);
  EXPECT_DOUBLE_EQ(run->StatusReport().metrics.at("loss"), 1.0);  // training metric kept
  run->OnEvaluateResult("c", EvalResult(round1, 1, 40, 0.5));
  EXPECT_EQ(run->history()[0]["evaluation"]["sites"], 3);
  EXPECT_DOUBLE_EQ(run->StatusReport().metrics.at("val_c_index"), (6 + 24 + 20) / 80.0);
  EXPECT_TRUE(run->PendingEvaluations().empty());

  auto log = ReadFile(audit_->path());
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("evaluation_requested"), std::string::npos);
  EXPECT_NE(log->find("evaluation_accepted"), std::string::npos);
  EXPECT_NE(log->find("the site already answered"), std::string::npos);
  EXPECT_NE(log->find("the site was not asked"), std::string::npos);
  EXPECT_NE(log->find("no evaluation of that round is pending"), std::string::npos);
  EXPECT_TRUE(VerifyAuditLog(audit_->path()).ok());

  // The results survive a restart, and the checkpoint still holds the round's model as it was.
  run.reset();
  auto checkpoint = store_->LoadLatest();
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  EXPECT_EQ((*checkpoint)->model->Sha256(), round1);
  auto resumed = RunStateMachine::Resume(std::move(**checkpoint), Context());
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ((*resumed)->history()[0]["evaluation"]["sites"], 3);
  EXPECT_DOUBLE_EQ((*resumed)->StatusReport().metrics.at("val_c_index"), 50 / 80.0);
}

TEST_F(RunStateMachineTest, EvaluatesEveryKRoundsAndAfterTheLastEvenOnceCompleted) {
  links_.connected = {"a", "b"};
  auto run = NewRun({{"rounds", 3}, {"evaluate_every", 2}});
  std::vector<std::int64_t> evaluated;
  for (std::int64_t round = 1; round <= 3; ++round) {
    links_.sent.clear();
    run->Tick(t0_);
    for (const char* site : {"a", "b"}) {
      run->OnTrainResult(site, Result(*run, round, 10, 1.0), Weights(round, round), t0_);
    }
    ASSERT_EQ(run->completed_rounds(), round);
    for (const auto& sent : OfType(links_, protocol::MessageType::kEvaluateRequest)) {
      if (sent.site == "a") evaluated.push_back(sent.message.round);
    }
  }
  EXPECT_EQ(evaluated, (std::vector<std::int64_t>{2, 3}));
  ASSERT_EQ(run->state(), RunState::kCompleted);
  EXPECT_FALSE(run->StatusReport().metrics.contains("val_c_index"));
  // Results arriving after the run completed still count.
  run->OnEvaluateResult("b", EvalResult(run->model()->Sha256(), 3, 5, 0.7));
  EXPECT_EQ(run->history()[2]["evaluation"]["sites"], 1);
  EXPECT_FALSE(run->history()[1].contains("evaluation"));
  EXPECT_DOUBLE_EQ(run->StatusReport().metrics.at("val_c_index"), 0.7);
  auto saved = store_->LoadEvaluations();
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ((*saved)["3"]["sites"], 1);
}

TEST_F(RunStateMachineTest, DeclinedEvaluationEndsTheWaitButNotTraining) {
  auto run = NewRun();
  run->Tick(t0_);
  for (const char* site : {"a", "b", "c"}) {
    run->OnTrainResult(site, Result(*run, 1, 10, 1.0), Weights(1, 1), t0_);
  }
  ASSERT_EQ(run->completed_rounds(), 1);
  run->Tick(t0_);  // round 2 open
  protocol::Decline busy{"busy", "queue full", "evaluate_request"};
  for (const char* site : {"a", "b", "c"}) {
    run->OnDecline(site, {"run-1", 1, protocol::Role::kSite, busy}, t0_);
  }
  EXPECT_TRUE(run->PendingEvaluations().empty());
  EXPECT_EQ(run->StatusReport().sites_reported, 0);  // round 2 still waits for its updates
  EXPECT_EQ(run->state(), RunState::kRunning);
}

TEST_F(RunStateMachineTest, DisconnectedSitesAreNotAskedToEvaluate) {
  auto run = NewRun({{"rounds", 1}});
  run->Tick(t0_);
  run->OnTrainResult("a", Result(*run, 1, 10, 1.0), Weights(1, 1), t0_);
  run->OnTrainResult("b", Result(*run, 1, 10, 1.0), Weights(1, 1), t0_);
  links_.connected = {"a", "b"};
  run->OnSiteDisconnected("c", t0_);
  ASSERT_EQ(run->completed_rounds(), 1);
  std::vector<std::string> asked;
  for (const auto& sent : OfType(links_, protocol::MessageType::kEvaluateRequest)) {
    asked.push_back(sent.site);
  }
  EXPECT_EQ(asked, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace pancaim::coordinator::server
