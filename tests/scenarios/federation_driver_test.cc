#include "pancaim/scenarios/federation_driver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A coordinator as the operator sees it: sites connect after a few polls, a submitted run moves
// one state per status poll (round r open, then closed), exports write a file.
class FakeChannel : public OperatorChannel {
 public:
  explicit FakeChannel(int rounds) : rounds_(rounds) {}

  StatusOr<json> Call(const std::vector<std::string>& args) override {
    calls.push_back(args);
    const std::string& command = args.at(0);
    if (command == "sites") {
      if (++sites_calls_ < 3) return UnavailableError("connection refused");
      return json{{"ok", true},
                  {"sites", {{{"site_id", "a"}, {"connected", true}},
                             {{"site_id", "b"}, {"connected", sites_calls_ > 3}}}}};
    }
    if (command == "submit") return json{{"ok", true}, {"run_id", "run-1"}};
    if (command == "status") {
      ++step_;
      const int round = (step_ + 1) / 2;  // odd steps: round open; even: closed
      const bool open = step_ % 2 == 1 && round <= rounds_;
      const bool done = round > rounds_ || (round == rounds_ && !open);
      json run = {{"run_id", "run-1"},
                  {"state", done ? "completed" : "running"},
                  {"round", std::min(round, rounds_)},
                  {"num_rounds", rounds_},
                  {"sites_selected", open ? 2 : 0},
                  {"sites_reported", open ? 1 : 0},
                  {"metrics", {{"train_loss", 1.0 / round}}}};
      return json{{"ok", true}, {"runs", {run}}};
    }
    if (command == "export") {
      const auto out = std::find(args.begin(), args.end(), "--out");
      if (out == args.end() || out + 1 == args.end()) return InvalidArgumentError("no --out");
      PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(*(out + 1), "model"));
      return json{{"ok", true}};
    }
    return InvalidArgumentError("unexpected command " + command);
  }

  std::vector<std::vector<std::string>> calls;

 private:
  int rounds_;
  int sites_calls_ = 0;
  int step_ = 0;
};

ChildSpec Sleeper(const std::string& name, const fs::path& dir) {
  return {name, "/bin/sh", {"-c", "echo started " + name + "; exec sleep 60"},
          dir / "logs" / (name + ".log"), {}};
}

FollowOptions Options(const fs::path& dir) {
  ClearStopRequest();  // another test of this executable may have requested a stop
  FollowOptions options;
  options.launch = {Sleeper("coordinator", dir), Sleeper("site-a", dir), Sleeper("site-b", dir)};
  options.site_ids = {"a", "b"};
  options.run_spec = dir / "run.json";
  options.state_dir = dir / "state";
  options.out_dir = dir;
  options.poll_interval = std::chrono::milliseconds(10);
  options.ready_timeout = std::chrono::seconds(20);
  options.progress = false;
  return options;
}

std::string Captured(std::FILE* file, char* buffer, std::size_t size) {
  std::fclose(file);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(FederationDriverTest, WaitsForSitesSubmitsFollowsExportsAndStopsEverything) {
  testing::TempDir dir;
  // The coordinator's checkpoint of the last round: the exact per-round record.
  const fs::path run_dir = dir.path() / "state/runs/run-1";
  fs::create_directories(run_dir / "round-00000003");
  ASSERT_TRUE(WriteFileAtomic(run_dir / "LATEST", R"({"round": 3})").ok());
  json history = json::array();
  for (int r = 1; r <= 3; ++r) {
    history.push_back({{"round", r}, {"sites", {"a", "b"}}, {"accepted", r == 2 ? 1 : 2},
                       {"metrics", {{"train_loss", 0.5 / r}}},
                       {"timing", {{"round_seconds", 1.5 * r}}}});
  }
  ASSERT_TRUE(WriteFileAtomic(run_dir / "round-00000003/run_state.json",
                              json{{"history", history}}.dump())
                  .ok());
  FakeChannel channel(3);
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  auto result = LaunchAndFollow(Options(dir.path()), channel, out);
  const std::string printed = Captured(out, buffer, size);
  ASSERT_TRUE(result.ok()) << result.status() << "\n" << printed;
  EXPECT_EQ(result->run_id, "run-1");
  EXPECT_EQ(result->state, "completed");
  ASSERT_EQ(result->rounds.size(), 3u);
  EXPECT_EQ(result->rounds[1].round, 2);
  EXPECT_EQ(result->rounds[1].sites_done, 1);
  EXPECT_EQ(result->rounds[1].sites_selected, 2);
  ASSERT_TRUE(result->rounds[2].train_loss.has_value());
  EXPECT_DOUBLE_EQ(*result->rounds[2].train_loss, 0.5 / 3);
  EXPECT_DOUBLE_EQ(result->rounds[1].seconds, 3.0);  // the coordinator's clock
  EXPECT_EQ(result->round_models.size(), 3u);
  EXPECT_TRUE(fs::exists(dir.path() / "rounds/round-2.safetensors"));
  EXPECT_TRUE(fs::exists(dir.path() / "global_model.safetensors"));
  EXPECT_EQ(result->global_model, dir.path() / "global_model.safetensors");
  // Submitted only once every site was connected.
  std::size_t submit_at = 0, last_sites = 0;
  for (std::size_t i = 0; i < channel.calls.size(); ++i) {
    if (channel.calls[i][0] == "submit") submit_at = i;
    if (channel.calls[i][0] == "sites") last_sites = i;
  }
  EXPECT_EQ(last_sites + 1, submit_at);
  EXPECT_EQ(channel.calls[last_sites].size(), 1u);
  EXPECT_NE(printed.find("submitted run run-1"), std::string::npos) << printed;
  EXPECT_NE(printed.find("round 3/3"), std::string::npos) << printed;
  EXPECT_NE(LogTail(dir.path() / "logs/site-b.log").find("started site-b"), std::string::npos);
}

TEST(FederationDriverTest, AChildThatExitsIsReportedWithItsLog) {
  testing::TempDir dir;
  FollowOptions options = Options(dir.path());
  options.launch[2] = {"site-b", "/bin/sh", {"-c", "echo 'cannot read manifest.csv'; exit 2"},
                       dir.path() / "logs/site-b.log", {}};
  FakeChannel channel(3);
  std::FILE* out = std::tmpfile();
  auto result = LaunchAndFollow(options, channel, out);
  std::fclose(out);
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(result.status().message().find("site-b"), std::string::npos) << result.status();
  EXPECT_NE(result.status().message().find("exited with status 2"), std::string::npos);
  EXPECT_NE(result.status().message().find("cannot read manifest.csv"), std::string::npos);
}

TEST(FederationDriverTest, FaultsRestartASiteAndResumeTheCoordinator) {
  testing::TempDir dir;
  FollowOptions options = Options(dir.path());
  options.faults = {{ScheduledFault::Kind::kRestartSite, "site-a", 2},
                    {ScheduledFault::Kind::kRestartCoordinator, "coordinator", 3}};
  FakeChannel channel(4);
  std::FILE* out = std::tmpfile();
  auto result = LaunchAndFollow(options, channel, out);
  std::fclose(out);
  ASSERT_TRUE(result.ok()) << result.status();
  std::vector<std::string> kinds;
  for (const RunEvent& event : result->events) kinds.push_back(event.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"site_killed", "site_restarted",
                                             "coordinator_killed", "coordinator_resumed"}));
  EXPECT_EQ(result->events[0].round, 2);
  EXPECT_EQ(result->events[2].round, 3);
  // Each restarted process logged its start twice.
  auto starts = [&](const std::string& name) {
    auto text = ReadFile(dir.path() / "logs" / (name + ".log"));
    int count = 0;
    for (std::size_t at = 0; text.ok() && (at = text->find("started", at)) != std::string::npos;
         ++at) {
      ++count;
    }
    return count;
  };
  EXPECT_EQ(starts("site-a"), 2);
  EXPECT_EQ(starts("coordinator"), 2);
  EXPECT_EQ(starts("site-b"), 1);
}

TEST(FederationDriverTest, DescribesRunStatus) {
  json run = {{"round", 3}, {"num_rounds", 20}, {"sites_selected", 3}, {"sites_reported", 2},
              {"metrics", {{"train_loss", 0.4125}, {"val_c_index", 0.61}, {"train_seconds", 3}}}};
  EXPECT_EQ(DescribeRunStatus(run), "round 3/20  sites 2/3  train_loss 0.412  val_c_index 0.61");
}

TEST(FederationDriverTest, RunHistoryErrorsNameTheFile) {
  testing::TempDir dir;
  auto missing = ReadRunHistory(dir.path(), "run-9");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("LATEST"), std::string::npos) << missing.status();
}

}  // namespace
}  // namespace pancaim::scenarios
