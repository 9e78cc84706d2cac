// Step 5 of `pancaim-sim run`: launch the coordinator and the site agents as separate processes
// (a ProcessSupervisor, logs in OUT/logs), wait until the coordinator answers and every site is
// connected, submit the run as operator, follow it with a progress display (round r/R, sites
// answered, metrics so far, elapsed and time left) while exporting each round's global model,
// export the final model, and stop every process. Ctrl-C (StopRequested()) stops every child and
// returns Cancelled; a child that exits on its own is an error carrying the tail of its log.
//
// Faults (the `faults` scenario) are scheduled actions on the children: a site SIGKILLed and
// restarted while a round is open, the coordinator SIGKILLed and restarted with `--resume`.
//
// Plain functions over values; the supervisor and channel belong to the caller's thread.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/operator_channel.h"
#include "pancaim/scenarios/process_supervisor.h"
#include "pancaim/scenarios/run_results.h"

namespace pancaim::scenarios {

// A failure injected while the run is followed.
struct ScheduledFault {
  enum class Kind {
    kRestartSite,         // SIGKILL the site agent's group while round `at_round` is open, restart
    kRestartCoordinator,  // SIGKILL the coordinator during round `at_round`, restart with --resume
  };
  Kind kind = Kind::kRestartSite;
  std::string child;  // child name in the launch plan ("site-<id>", "coordinator")
  int at_round = 1;   // >= 1
};

struct FollowOptions {
  std::vector<ChildSpec> launch;        // coordinator first ("coordinator"), then "site-<id>"
  std::vector<std::string> site_ids;    // must all be connected before the run is submitted
  std::filesystem::path run_spec;       // run.json for `submit`
  std::filesystem::path state_dir;      // the coordinator's storage.state_dir (run history)
  std::filesystem::path out_dir;        // rounds/ and global_model.safetensors go here
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(120)};
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds run_timeout{std::chrono::hours(2)};
  bool progress = true;
  bool export_each_round = true;        // rounds/round-<r>.safetensors for per-round evaluation
  std::vector<ScheduledFault> faults;
};

struct FollowResult {
  std::string run_id;
  std::string state;                     // final coordinator state ("completed", ...)
  std::string message;
  // One per completed round (metric left empty here); accepted updates, training loss and
  // seconds from the coordinator's checkpointed history (polled times when it has none).
  std::vector<RoundResult> rounds;
  std::vector<RunEvent> events;          // launch, faults, unusual exits
  nlohmann::json history = nlohmann::json::array();  // the coordinator's per-round records
  std::map<int, std::filesystem::path> round_models;  // round -> exported global model
  std::filesystem::path global_model;    // final model (OUT/global_model.safetensors)
  double startup_seconds = 0;            // launch until every site connected
  double run_seconds = 0;                // submit until completed
};

// Runs step 5 as described above; `channel` reaches the coordinator as operator. Errors:
// Cancelled on Ctrl-C, DeadlineExceeded when the processes are not ready or the run does not end
// in time, FailedPrecondition when the run failed or was aborted (with the coordinator's
// reason), Unavailable naming a child that exited unexpectedly with its log tail. Every child is
// stopped before returning, in every case.
StatusOr<FollowResult> LaunchAndFollow(const FollowOptions& options, OperatorChannel& channel,
                                       std::FILE* out);

// The coordinator's per-round history of `run_id` from its latest checkpoint under `state_dir`
// (runs/<run>/LATEST and that round's run_state.json). Errors name the file.
StatusOr<nlohmann::json> ReadRunHistory(const std::filesystem::path& state_dir,
                                        const std::string& run_id);

// Progress note for one status record: "round 3/20  sites 2/3  train_loss 0.41  val_auc 0.7".
std::string DescribeRunStatus(const nlohmann::json& run);

}  // namespace pancaim::scenarios
