#include "pancaim/scenarios/federation_driver.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "pancaim/common/files.h"
#include "pancaim/common/log.h"
#include "pancaim/common/progress.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Format(double value, int digits = 3) {
  std::ostringstream out;
  out.precision(digits);
  out << value;
  return out.str();
}

// Owns the children for one LaunchAndFollow call: every path out stops them all.
class Federation {
 public:
  Federation(const FollowOptions& options, OperatorChannel& channel, std::FILE* out)
      : options_(options), channel_(channel), out_(out), start_(Clock::now()) {
    for (const ChildSpec& spec : options.launch) specs_[spec.name] = spec;
  }
  ~Federation() { supervisor_.StopAll(std::chrono::seconds(5)); }

  StatusOr<FollowResult> Run();

 private:
  Status StartAll();
  Status WaitUntilReady();
  Status Submit();
  Status Follow();
  Status Finish();
  // Reaps exited children: an exit nobody asked for is an error naming the child and its log.
  Status CheckChildren();
  Status CheckStop();
  void Event(int round, const std::string& kind, const std::string& detail);
  Status ApplyFaults(int open_round, bool round_open);
  void ExportRound(int round);
  void Sleep(std::chrono::milliseconds duration);

  const FollowOptions& options_;
  OperatorChannel& channel_;
  std::FILE* out_;
  ProcessSupervisor supervisor_;
  std::map<std::string, ChildSpec> specs_;
  std::set<std::string> killed_;  // children we killed on purpose (their exit is expected)
  std::vector<bool> fault_done_;
  Clock::time_point start_;
  Clock::time_point submitted_;
  FollowResult result_;
};

void Federation::Event(int round, const std::string& kind, const std::string& detail) {
  result_.events.push_back({SecondsSince(start_), round, kind, detail});
  std::fprintf(out_, "      event: %s%s\n", detail.c_str(),
               round > 0 ? (" (round " + std::to_string(round) + ")").c_str() : "");
  std::fflush(out_);
}

void Federation::Sleep(std::chrono::milliseconds duration) {
  // Short slices so Ctrl-C is seen quickly.
  const auto until = Clock::now() + duration;
  while (Clock::now() < until && !StopRequested()) {
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(50),
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()) +
            std::chrono::milliseconds(1)));
  }
}

Status Federation::CheckStop() {
  if (!StopRequested()) return Status::Ok();
  std::fprintf(out_, "      interrupted: stopping %zu processes\n",
               supervisor_.RunningChildren().size());
  supervisor_.StopAll(std::chrono::seconds(5));
  return CancelledError("interrupted (Ctrl-C): every process was stopped");
}

Status Federation::CheckChildren() {
  for (const ChildExit& exit : supervisor_.WaitForExits(std::chrono::milliseconds(0))) {
    if (exit.expected || killed_.erase(exit.name) > 0) continue;
    const auto spec = specs_.find(exit.name);
    const fs::path log = spec == specs_.end() ? fs::path() : spec->second.log_file;
    Event(0, "note", exit.Describe() + " unexpectedly");
    return UnavailableError(exit.Describe() + " unexpectedly; last lines of " + log.string() +
                            ":\n" + LogTail(log));
  }
  return Status::Ok();
}

Status Federation::StartAll() {
  for (const ChildSpec& spec : options_.launch) {
    std::error_code ec;
    fs::create_directories(spec.log_file.parent_path(), ec);
    PANCAIM_RETURN_IF_ERROR(supervisor_.Start(spec));
  }
  std::fprintf(out_, "      started %zu processes (logs in %s)\n", options_.launch.size(),
               options_.launch.empty() ? "-"
                                       : options_.launch.front().log_file.parent_path().c_str());
  std::fflush(out_);
  return Status::Ok();
}

Status Federation::WaitUntilReady() {
  const auto deadline = Clock::now() + options_.ready_timeout;
  std::string last = "the coordinator has not answered yet";
  while (true) {
    PANCAIM_RETURN_IF_ERROR(CheckStop());
    PANCAIM_RETURN_IF_ERROR(CheckChildren());
    auto reply = channel_.Call({"sites"});
    if (reply.ok()) {
      std::set<std::string> connected;
      for (const json& site : (*reply).value("sites", json::array())) {
        if (site.value("connected", false)) connected.insert(site.value("site_id", ""));
      }
      std::vector<std::string> missing;
      for (const std::string& id : options_.site_ids) {
        if (!connected.contains(id)) missing.push_back(id);
      }
      if (missing.empty()) break;
      last = std::to_string(options_.site_ids.size() - missing.size()) + " of " +
             std::to_string(options_.site_ids.size()) + " sites connected (waiting for " +
             missing.front() + ")";
    } else {
      last = reply.status().message();
    }
    if (Clock::now() >= deadline) {
      return DeadlineExceededError("the federation was not ready within " +
                                   std::to_string(options_.ready_timeout.count() / 1000) +
                                   " s: " + last);
    }
    Sleep(std::chrono::milliseconds(500));
  }
  result_.startup_seconds = SecondsSince(start_);
  std::fprintf(out_, "      coordinator up and %zu sites connected after %.1f s\n",
               options_.site_ids.size(), result_.startup_seconds);
  std::fflush(out_);
  return Status::Ok();
}

Status Federation::Submit() {
  auto reply = channel_.Call({"submit", options_.run_spec.string()});
  if (!reply.ok()) return reply.status().WithContext("submit");
  result_.run_id = reply->value("run_id", std::string());
  if (result_.run_id.empty()) return InternalError("submit: the reply names no run_id");
  submitted_ = Clock::now();
  std::fprintf(out_, "      submitted run %s as operator\n", result_.run_id.c_str());
  std::fflush(out_);
  return Status::Ok();
}

void Federation::ExportRound(int round) {
  if (!options_.export_each_round) return;
  const fs::path path = options_.out_dir / "rounds" /
                        ("round-" + std::to_string(round) + ".safetensors");
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  auto reply = channel_.Call(
      {"export", result_.run_id, "--round", std::to_string(round), "--out", path.string()});
  if (reply.ok()) {
    result_.round_models[round] = path;
  } else {
    // Older rounds are pruned by the coordinator (keep_rounds): that round goes unevaluated.
    PANCAIM_LOG(WARNING) << "round " << round << " model not exported: " << reply.status();
  }
}

Status Federation::ApplyFaults(int open_round, bool round_open) {
  for (std::size_t i = 0; i < options_.faults.size(); ++i) {
    const ScheduledFault& fault = options_.faults[i];
    if (fault_done_[i] || !round_open || open_round < fault.at_round) continue;
    fault_done_[i] = true;
    const auto spec = specs_.find(fault.child);
    if (spec == specs_.end()) {
      return InvalidArgumentError("fault names no process '" + fault.child + "'");
    }
    if (fault.kind == ScheduledFault::Kind::kRestartSite) {
      PANCAIM_RETURN_IF_ERROR(supervisor_.Restart(fault.child));
      const std::string site = fault.child.rfind("site-", 0) == 0 ? fault.child.substr(5)
                                                                  : fault.child;
      Event(open_round, "site_killed", "site agent " + site + " SIGKILLed mid-round");
      Event(open_round, "site_restarted", "site agent " + site + " restarted");
    } else {
      PANCAIM_RETURN_IF_ERROR(supervisor_.Signal(fault.child, SIGKILL));
      killed_.insert(fault.child);
      Event(open_round, "coordinator_killed", "coordinator SIGKILLed mid-round");
      // Reap it before starting the replacement under the same name.
      const auto until = Clock::now() + std::chrono::seconds(10);
      while (supervisor_.IsRunning(fault.child) && Clock::now() < until) {
        for (const ChildExit& exit : supervisor_.WaitForExits(std::chrono::milliseconds(100))) {
          if (exit.name != fault.child) {
            return UnavailableError(exit.Describe() + " unexpectedly; last lines of its log:\n" +
                                    LogTail(specs_[exit.name].log_file));
          }
          killed_.erase(exit.name);
        }
      }
      ChildSpec resumed = spec->second;
      if (std::find(resumed.args.begin(), resumed.args.end(), "--resume") == resumed.args.end()) {
        resumed.args.push_back("--resume");
      }
      PANCAIM_RETURN_IF_ERROR(supervisor_.Start(resumed));
      Event(open_round, "coordinator_resumed", "coordinator restarted with serve --resume");
    }
  }
  return Status::Ok();
}

Status Federation::Follow() {
  const auto deadline = submitted_ + options_.run_timeout;
  int completed = 0;
  std::int64_t num_rounds = 0;
  Clock::time_point last_close = submitted_;
  std::unique_ptr<ProgressDisplay> progress;
  std::string note;
  int failures = 0;
  while (true) {
    PANCAIM_RETURN_IF_ERROR(CheckStop());
    PANCAIM_RETURN_IF_ERROR(CheckChildren());
    auto reply = channel_.Call({"status", result_.run_id});
    if (!reply.ok()) {
      // The coordinator may be restarting (faults): keep asking for a while.
      if (++failures > 60) return reply.status().WithContext("status");
      Sleep(options_.poll_interval);
      continue;
    }
    failures = 0;
    json run;
    for (const json& candidate : (*reply).value("runs", json::array())) {
      if (candidate.value("run_id", "") == result_.run_id) run = candidate;
    }
    if (!run.is_object()) return NotFoundError("status: the coordinator lists no run " + result_.run_id);
    const std::string state = run.value("state", "");
    const int round = run.value("round", 0);
    const int selected = run.value("sites_selected", 0);
    const bool open = selected > 0 && state != "completed";
    num_rounds = run.value("num_rounds", 0);
    const int now_completed = state == "completed" ? round : (open ? round - 1 : round);
    // Faults first: exporting the closed rounds takes operator calls, and a kill meant for an
    // open round should land while its sites are still working.
    if (state != "completed" && state != "failed" && state != "aborted") {
      PANCAIM_RETURN_IF_ERROR(ApplyFaults(round, open));
    }
    if (now_completed > completed) {
      // Rounds that closed since the last poll share the time since the last close.
      const double span = std::chrono::duration<double>(Clock::now() - last_close).count();
      for (int r = completed + 1; r <= now_completed; ++r) {
        RoundResult round_result;
        round_result.round = r;
        round_result.seconds = span / (now_completed - completed);
        result_.rounds.push_back(round_result);
        ExportRound(r);
      }
      last_close = Clock::now();
      completed = now_completed;
    }
    if (!progress && num_rounds > 0) {
      progress = std::make_unique<ProgressDisplay>("federation", num_rounds, out_);
      if (!options_.progress) progress->set_plain(true);
    }
    note = DescribeRunStatus(run);
    if (progress) progress->Update(completed, note);
    if (state == "completed") break;
    if (state == "failed" || state == "aborted") {
      if (progress) progress->Finish(note);
      result_.state = state;
      return FailedPreconditionError("run " + result_.run_id + " " + state + ": " +
                                     run.value("message", std::string()));
    }
    if (Clock::now() >= deadline) {
      return DeadlineExceededError("run " + result_.run_id + " did not complete within " +
                                   std::to_string(options_.run_timeout.count() / 1000) +
                                   " s (" + note + ")");
    }
    Sleep(options_.poll_interval);
  }
  if (progress) progress->Finish(note);
  result_.state = "completed";
  result_.run_seconds = SecondsSince(submitted_);
  return Status::Ok();
}

Status Federation::Finish() {
  // Rounds that closed between two polls faster than their export: export them now.
  for (const RoundResult& round : result_.rounds) {
    if (!result_.round_models.contains(round.round)) ExportRound(round.round);
  }
  result_.global_model = options_.out_dir / "global_model.safetensors";
  auto reply = channel_.Call({"export", result_.run_id, "--out", result_.global_model.string()});
  if (!reply.ok()) return reply.status().WithContext("export");
  auto history = ReadRunHistory(options_.state_dir, result_.run_id);
  if (history.ok()) {
    result_.history = std::move(history).value();
  } else {
    PANCAIM_LOG(WARNING) << "per-round history unavailable: " << history.status();
  }
  // The coordinator's own per-round record is exact; the polled one only times the rounds.
  for (const json& entry : result_.history) {
    const int round = entry.value("round", 0);
    auto it = std::find_if(result_.rounds.begin(), result_.rounds.end(),
                           [&](const RoundResult& r) { return r.round == round; });
    if (it == result_.rounds.end()) continue;
    it->sites_done = entry.value("accepted", 0);
    it->sites_selected = static_cast<int>(entry.value("sites", json::array()).size());
    const json metrics = entry.value("metrics", json::object());
    if (metrics.contains("train_loss") && metrics["train_loss"].is_number()) {
      it->train_loss = metrics["train_loss"].get<double>();
    }
    // The coordinator's own clock: open to checkpoint written (round_seconds reaches disk with
    // the next round's checkpoint), else open to the last update plus aggregation.
    const json timing = entry.value("timing", json::object());
    if (timing.contains("round_seconds") && timing["round_seconds"].is_number()) {
      it->seconds = timing["round_seconds"].get<double>();
    } else if (timing.contains("last_result_seconds") &&
               timing["last_result_seconds"].is_number() &&
               timing["last_result_seconds"].get<double>() >= 0) {
      it->seconds = timing["last_result_seconds"].get<double>() +
                    timing.value("finish_seconds", 0.0);
    }
  }
  // Thirty agents shutting down at once on two cores need more than a few seconds.
  const auto grace = std::chrono::milliseconds(5000 + 500 * static_cast<std::int64_t>(
                                                              options_.launch.size()));
  for (const ChildExit& exit : supervisor_.StopAll(grace)) {
    if (!exit.success() && !(exit.signaled && exit.code == SIGTERM)) {
      Event(0, "note", exit.Describe() + " when stopped");
    }
  }
  return Status::Ok();
}

StatusOr<FollowResult> Federation::Run() {
  fault_done_.assign(options_.faults.size(), false);
  PANCAIM_RETURN_IF_ERROR(StartAll());
  PANCAIM_RETURN_IF_ERROR(WaitUntilReady());
  PANCAIM_RETURN_IF_ERROR(Submit());
  PANCAIM_RETURN_IF_ERROR(Follow());
  PANCAIM_RETURN_IF_ERROR(Finish());
  return std::move(result_);
}

}  // namespace

std::string DescribeRunStatus(const json& run) {
  std::string out = "round " + std::to_string(run.value("round", 0)) + "/" +
                    std::to_string(run.value("num_rounds", 0));
  const int selected = run.value("sites_selected", 0);
  if (selected > 0) {
    out += "  sites " + std::to_string(run.value("sites_reported", 0)) + "/" +
           std::to_string(selected);
  }
  const json metrics = run.value("metrics", json::object());
  // Training loss first, then the federated evaluation (val_*), then the rest, briefly.
  std::vector<std::string> keys;
  if (metrics.contains("train_loss")) keys.push_back("train_loss");
  for (const auto& [key, value] : metrics.items()) {
    if (key.rfind("val_", 0) == 0) keys.push_back(key);
  }
  for (const std::string& key : keys) {
    if (metrics[key].is_number()) out += "  " + key + " " + Format(metrics[key].get<double>());
  }
  return out;
}

StatusOr<json> ReadRunHistory(const fs::path& state_dir, const std::string& run_id) {
  const fs::path run_dir = state_dir / "runs" / run_id;
  PANCAIM_ASSIGN_OR_RETURN(std::string latest_text, ReadFile(run_dir / "LATEST", 1 << 20));
  const json latest = json::parse(latest_text, nullptr, false);
  if (!latest.is_object() || !latest.contains("round") || !latest["round"].is_number_integer()) {
    return DataLossError((run_dir / "LATEST").string() + ": no round number");
  }
  char name[32];
  std::snprintf(name, sizeof(name), "round-%08lld", latest["round"].get<long long>());
  const fs::path state_file = run_dir / name / "run_state.json";
  PANCAIM_ASSIGN_OR_RETURN(std::string state_text, ReadFile(state_file, 64 << 20));
  const json state = json::parse(state_text, nullptr, false);
  if (!state.is_object() || !state.contains("history") || !state["history"].is_array()) {
    return DataLossError(state_file.string() + ": no history array");
  }
  return state["history"];
}

StatusOr<FollowResult> LaunchAndFollow(const FollowOptions& options, OperatorChannel& channel,
                                       std::FILE* out) {
  if (options.launch.empty()) return InvalidArgumentError("launch plan: no processes");
  for (const ScheduledFault& fault : options.faults) {
    if (fault.at_round < 1) return InvalidArgumentError("fault at round " + std::to_string(fault.at_round));
  }
  Federation federation(options, channel, out);
  return federation.Run();
}

}  // namespace pancaim::scenarios
