#include "pancaim/coordinator/run_store.h"

#include <fstream>
#include <sstream>
#include <random>

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "pancaim/crypto/sha256.h"
#include "pancaim/coordinator/aggregation_round.h"
#include "test_models.h"

namespace pancaim::coordinator {
namespace {

using testing::MakeModel;
using testing::MakeModelBytes;
using testing::RandomModel;

std::filesystem::path FreshDir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / ("run_store_" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

// A file system that fails every write once armed, as a full disk does, optionally after letting
// `writes_before_failure` writes through.
class FullDiskFileSystem : public FileSystem {
 public:
  Status WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes) override {
    if (armed_ && writes_before_failure_-- <= 0) {
      return ResourceExhaustedError("cannot write '" + path.string() +
                                    "': No space left on device");
    }
    return DefaultFileSystem().WriteFileAtomic(path, bytes);
  }
  StatusOr<std::string> ReadFile(const std::filesystem::path& path, std::uint64_t max) override {
    return DefaultFileSystem().ReadFile(path, max);
  }
  Status CreateDirectories(const std::filesystem::path& path) override {
    return DefaultFileSystem().CreateDirectories(path);
  }
  Status RemoveAll(const std::filesystem::path& path) override {
    return DefaultFileSystem().RemoveAll(path);
  }
  StatusOr<std::vector<std::string>> ListDirectory(const std::filesystem::path& path) override {
    return DefaultFileSystem().ListDirectory(path);
  }
  void Arm(int writes_before_failure) {
    armed_ = true;
    writes_before_failure_ = writes_before_failure;
  }

 private:
  bool armed_ = false;
  int writes_before_failure_ = 0;
};

RunCheckpoint Checkpoint(std::int64_t round, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  RunCheckpoint checkpoint;
  checkpoint.run_id = "run-7";
  checkpoint.run_spec = {{"rounds", 10}, {"strategy", {{"name", "fedadam"}}}};
  checkpoint.round = round;
  checkpoint.model = MakeModel(RandomModel(rng));
  checkpoint.strategy.tensors = MakeModelBytes({{"m/w", protocol::DType::kF32, {2}, {0.5, 0.25}}});
  checkpoint.strategy.scalars = {{"strategy", "fedadam"}, {"steps", round}};
  checkpoint.rng = {{"mt19937_64", "12 34"}};
  checkpoint.history = nlohmann::json::array({{{"round", round}, {"loss", 0.125}}});
  checkpoint.audit = {{"records", 12}, {"head_hash", std::string(64, 'c')}};
  return checkpoint;
}

TEST(RunStoreTest, EmptyStoreHasNoCheckpoint) {
  RunStore store(FreshDir("empty"));
  auto latest = store.LoadLatest();
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_FALSE(latest->has_value());
}

TEST(RunStoreTest, SavesAndLoadsEverything) {
  RunStore store(FreshDir("roundtrip"));
  RunCheckpoint saved = Checkpoint(4, 1);
  ASSERT_TRUE(store.Save(saved).ok());
  auto loaded = store.LoadLatest();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  const RunCheckpoint& got = **loaded;
  EXPECT_EQ(got.run_id, "run-7");
  EXPECT_EQ(got.round, 4);
  EXPECT_EQ(got.run_spec, saved.run_spec);
  EXPECT_EQ(got.model->bytes(), saved.model->bytes());
  EXPECT_EQ(got.strategy.tensors, saved.strategy.tensors);
  EXPECT_EQ(got.strategy.scalars, saved.strategy.scalars);
  EXPECT_EQ(got.rng, saved.rng);
  EXPECT_EQ(got.history, saved.history);
  EXPECT_EQ(got.audit, saved.audit);
}

TEST(RunStoreTest, KeepsOnlyTheLastRounds) {
  std::filesystem::path dir = FreshDir("prune");
  RunStore store(dir, nullptr, {.keep_rounds = 2});
  for (int round = 0; round <= 4; ++round) ASSERT_TRUE(store.Save(Checkpoint(round, round)).ok());
  EXPECT_FALSE(std::filesystem::exists(store.RoundFolder(2)));
  EXPECT_TRUE(std::filesystem::exists(store.RoundFolder(3)));
  EXPECT_TRUE(std::filesystem::exists(store.RoundFolder(4)));
}

TEST(RunStoreTest, FullDiskLeavesThePreviousCheckpointIntact) {
  for (int writes_before_failure : {0, 1, 2, 3}) {  // model, strategy, run_state, LATEST
    SCOPED_TRACE(writes_before_failure);
    FullDiskFileSystem fs;
    RunStore store(FreshDir("full_disk_" + std::to_string(writes_before_failure)), &fs);
    RunCheckpoint first = Checkpoint(1, 1);
    ASSERT_TRUE(store.Save(first).ok());
    fs.Arm(writes_before_failure);
    Status failed = store.Save(Checkpoint(2, 2));
    EXPECT_EQ(failed.code(), StatusCode::kResourceExhausted) << failed;
    EXPECT_NE(failed.message().find("No space left"), std::string::npos);
    auto latest = store.LoadLatest();
    ASSERT_TRUE(latest.ok()) << latest.status();
    ASSERT_TRUE(latest->has_value());
    EXPECT_EQ((*latest)->round, 1);
    EXPECT_EQ((*latest)->model->bytes(), first.model->bytes());
  }
}

TEST(RunStoreTest, DetectsCorruptionAndFallsBackToAnOlderVerifiedRound) {
  std::filesystem::path dir = FreshDir("corrupt");
  RunStore store(dir);
  ASSERT_TRUE(store.Save(Checkpoint(1, 1)).ok());
  ASSERT_TRUE(store.Save(Checkpoint(2, 2)).ok());
  // Flip one byte of round 2's model.
  const auto model_path = store.RoundFolder(2) / "model.safetensors";
  std::string bytes = *ReadFile(model_path);
  bytes[bytes.size() - 1] ^= 1;
  ASSERT_TRUE(WriteFileAtomic(model_path, bytes).ok());
  auto direct = store.LoadRound(2);
  EXPECT_EQ(direct.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(direct.status().message().find("model.safetensors"), std::string::npos);
  auto latest = store.LoadLatest();
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ((*latest)->round, 1);

  // An edited run state fails its own checksum.
  const auto state_path = store.RoundFolder(1) / "run_state.json";
  std::string state = *ReadFile(state_path);
  state.replace(state.find("\"run-7\""), 7, "\"run-8\"");
  ASSERT_TRUE(WriteFileAtomic(state_path, state).ok());
  EXPECT_EQ(store.LoadRound(1).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(store.LoadLatest().status().code(), StatusCode::kDataLoss);
}

TEST(RunStoreTest, InterruptedResaveOfTheLatestRoundKeepsItLoadable) {
  // Round 0 only (a run paused right after submission): saving it again is stopped by a full
  // disk just before LATEST (writes: model, strategy, run_state, then LATEST fails).
  FullDiskFileSystem fs;
  RunStore store(FreshDir("resave"), &fs);
  RunCheckpoint first = Checkpoint(0, 1);
  ASSERT_TRUE(store.Save(first).ok());
  RunCheckpoint paused = first;
  paused.rng = {{"state", "paused"}};
  fs.Arm(3);
  EXPECT_EQ(store.Save(paused).code(), StatusCode::kResourceExhausted);
  auto latest = store.LoadLatest();
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->round, 0);
  EXPECT_EQ((*latest)->rng, paused.rng);
  EXPECT_EQ((*latest)->model->bytes(), first.model->bytes());
}

TEST(RunStoreTest, EvaluationsLiveBesideTheCheckpointsWithTheirOwnChecksum) {
  std::filesystem::path dir = FreshDir("evaluations");
  RunStore store(dir);
  auto none = store.LoadEvaluations();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, nlohmann::json::object());
  ASSERT_TRUE(store.Save(Checkpoint(1, 1)).ok());
  const std::string state_before = *ReadFile(store.RoundFolder(1) / "run_state.json");
  const nlohmann::json evaluations = {{"1", {{"metrics", {{"auc", 0.8}}}, {"samples", 12}}}};
  ASSERT_TRUE(store.SaveEvaluations(evaluations).ok());
  auto loaded = store.LoadEvaluations();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, evaluations);
  // The round's checkpoint is untouched and still the latest.
  EXPECT_EQ(*ReadFile(store.RoundFolder(1) / "run_state.json"), state_before);
  ASSERT_TRUE(store.LoadLatest().ok());

  const auto path = dir / "evaluations.json";
  std::string text = *ReadFile(path);
  text.replace(text.find("0.8"), 3, "0.9");
  ASSERT_TRUE(WriteFileAtomic(path, text).ok());
  auto edited = store.LoadEvaluations();
  EXPECT_EQ(edited.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(edited.status().message().find("evaluations.json"), std::string::npos);
}

// ---- Bit-identical resume of a deterministic toy federation --------------------------------

// A toy federation: 5 sites, 3 selected per round by the run's seeded RNG; each selected site
// returns the global model plus seeded noise (a stand-in for local training).
class ToyFederation {
 public:
  ToyFederation(std::string strategy, RunStore* store) : strategy_(std::move(strategy)), store_(store) {}

  // Starts the run: initial model and state saved as round 0.
  void Start(std::uint64_t seed) {
    rng_.seed(seed);
    std::mt19937_64 init(seed ^ 0x5eed);
    global_ = MakeModel(RandomModel(init, 0, 0.5, 0));
    aggregator_ = std::move(Aggregator::Create(*ParseStrategySpec(strategy_, {}))).value();
    round_ = 0;
    history_ = nlohmann::json::array();
    ASSERT_TRUE(Save().ok());
  }

  // Drops every in-memory object and continues from the store.
  void CrashAndResume() {
    aggregator_.reset();
    global_.reset();
    rng_.seed(0);
    auto latest = store_->LoadLatest();
    ASSERT_TRUE(latest.ok()) << latest.status();
    ASSERT_TRUE(latest->has_value());
    RunCheckpoint& checkpoint = **latest;
    global_ = checkpoint.model;
    round_ = checkpoint.round;
    history_ = checkpoint.history;
    std::istringstream rng_text(checkpoint.rng.at("mt19937_64").get<std::string>());
    rng_text >> rng_;
    aggregator_ = std::move(Aggregator::Create(*ParseStrategySpec(strategy_, {}))).value();
    ASSERT_TRUE(aggregator_->LoadState(checkpoint.strategy).ok());
  }

  void RunRound() {
    ++round_;
    std::vector<int> sites = {0, 1, 2, 3, 4};
    std::shuffle(sites.begin(), sites.end(), rng_);
    sites.resize(3);
    auto round = AggregationRound::Open({"toy", round_, global_->Sha256()}, global_, aggregator_.get());
    ASSERT_TRUE(round.ok()) << round.status();
    for (int site : sites) {
      std::mt19937_64 local(static_cast<std::uint64_t>(round_ * 1000 + site));
      std::normal_distribution<double> noise(0.01 * site, 0.05);
      std::vector<testing::TestTensor> tensors;
      for (const protocol::TensorView& t : global_->view().tensors()) {
        testing::TestTensor out{t.name, t.dtype, t.shape, testing::ReadTensor(global_->view(), t.name)};
        for (double& v : out.values) v = t.dtype == protocol::DType::kI64 ? v + 3 + site : v + noise(local);
        tensors.push_back(std::move(out));
      }
      const std::string payload = MakeModelBytes(tensors);
      auto receipt = (*round)->Submit({"site-" + std::to_string(site), "toy", round_, global_->Sha256(),
                                       double(50 + 10 * site), payload, crypto::Sha256Hex(payload)});
      ASSERT_TRUE(receipt.ok()) << receipt.status();
    }
    auto next = (*round)->Close();
    ASSERT_TRUE(next.ok()) << next.status();
    global_ = std::make_shared<const SafetensorsBuffer>(std::move(next).value());
    history_.push_back({{"round", round_}, {"sites", sites}});
    ASSERT_TRUE(Save().ok());
  }

  const SafetensorsBuffer& global() const { return *global_; }

 private:
  Status Save() {
    RunCheckpoint checkpoint;
    checkpoint.run_id = "toy";
    checkpoint.run_spec = {{"strategy", strategy_}};
    checkpoint.round = round_;
    checkpoint.model = global_;
    PANCAIM_ASSIGN_OR_RETURN(checkpoint.strategy, aggregator_->SaveState());
    std::ostringstream rng_text;
    rng_text << rng_;
    checkpoint.rng = {{"mt19937_64", rng_text.str()}};
    checkpoint.history = history_;
    return store_->Save(checkpoint);
  }

  std::string strategy_;
  RunStore* store_;
  std::mt19937_64 rng_;
  std::shared_ptr<const SafetensorsBuffer> global_;
  std::unique_ptr<Aggregator> aggregator_;
  std::int64_t round_ = 0;
  nlohmann::json history_;
};

TEST(RunStoreTest, ResumeAfterCrashIsBitIdentical) {
  constexpr int kRounds = 6;
  for (const std::string strategy : {"fedavg", "fedadam", "fedavgm", "trimmed_mean"}) {
    SCOPED_TRACE(strategy);
    RunStore straight_store(FreshDir("straight_" + strategy));
    ToyFederation straight(strategy, &straight_store);
    straight.Start(42);
    for (int r = 0; r < kRounds; ++r) straight.RunRound();

    for (int crash_after : {0, 3}) {
      RunStore store(FreshDir("crash_" + strategy + std::to_string(crash_after)));
      ToyFederation crashed(strategy, &store);
      crashed.Start(42);
      for (int r = 0; r < crash_after; ++r) crashed.RunRound();
      crashed.CrashAndResume();
      for (int r = crash_after; r < kRounds; ++r) crashed.RunRound();
      EXPECT_EQ(crashed.global().bytes(), straight.global().bytes())
          << "crash after round " << crash_after;
    }
  }
}

}  // namespace
}  // namespace pancaim::coordinator
