// RunStateMachine: one federated training run, round after round.
//
// Each round: select sites (the run's sites, or every connected site, or a seeded fraction of
// them with at least min_sites), send each the global model and the round config
// (train_request), fold their train_results through AggregationRound as they arrive, and close
// the round when every selected site answered (an update, a rejected update, a decline or a
// disconnect all count as answers) or the deadline passed. With at least min_sites accepted
// updates the round aggregates, checkpoints through RunStore (the round counts only once the
// checkpoint is written) and audit-logs every step; with fewer the round is retried (a new
// selection) up to max_round_retries times, then the run fails with the reason. Sites that miss
// the deadline are excluded from that round (their late results are refused as stale) and may be
// selected again in the next one.
//
// Time comes from the caller (`now` arguments and Tick()), so tests drive deadlines without
// sleeping. Site selection and the sites' training seeds derive from (seed, round, attempt)
// alone, so a resumed run makes the same choices as one that never stopped.
//
// Not thread-safe: owned by one strand (the coordinator's), which calls every method. Holds
// pointers to the RunStore, AuditLog and SiteLinks, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/coordinator/aggregation_round.h"
#include "pancaim/coordinator/aggregator.h"
#include "pancaim/coordinator/audit_log.h"
#include "pancaim/coordinator/run_store.h"
#include "pancaim/coordinator/safetensors_buffer.h"
#include "pancaim/coordinator/server/site_links.h"
#include "pancaim/protocol/messages.h"

namespace pancaim::coordinator::server {

using TimePoint = std::chrono::steady_clock::time_point;

// What a run needs from its surroundings. Pointers are borrowed and must outlive the run.
struct RunContext {
  RunStore* store = nullptr;    // the run's own folder
  AuditLog* audit = nullptr;    // shared coordinator audit log; may be null in tests
  SiteLinks* links = nullptr;
  std::filesystem::path spill_dir;  // for median / trimmed mean
  // run_defaults section of coordinator.json (min_sites, round_deadline_seconds,
  // max_round_retries); missing keys take the schema defaults.
  nlohmann::json run_defaults = nlohmann::json::object();
  // Observer called after each round's checkpoint is written, with the round's history entry
  // (including its "timing"); for benchmarks and tests. Must not call back into the run.
  std::function<void(const std::string& run_id, const nlohmann::json& entry)> on_round_closed;
};

enum class RunState { kWaiting, kRunning, kPaused, kCompleted, kAborted, kFailed };
std::string_view RunStateName(RunState state);  // "pending", "running", ... (protocol names)

class RunStateMachine {
 public:
  // A new run: `spec` as returned by ValidateRunSpec, `initial_model` the model's initial weights.
  // Saves round 0 (the initial model) before returning, and audit-logs the submission with
  // `operator_id`. Errors: strategy, model layout or checkpoint errors, naming the run.
  static StatusOr<std::unique_ptr<RunStateMachine>> Create(std::string run_id,
                                                           nlohmann::json spec,
                                                           SafetensorsBuffer initial_model,
                                                           const std::string& operator_id,
                                                           RunContext context);
  // A run continued from its latest checkpoint (RunStore::LoadLatest). The round in progress
  // when the coordinator stopped is started again from its first attempt.
  static StatusOr<std::unique_ptr<RunStateMachine>> Resume(RunCheckpoint checkpoint,
                                                           RunContext context);

  ~RunStateMachine();
  RunStateMachine(const RunStateMachine&) = delete;
  RunStateMachine& operator=(const RunStateMachine&) = delete;

  // Advances the run: opens a round when none is open (and enough sites are connected), and
  // closes the open one when its deadline passed. Call it periodically and after sites connect.
  void Tick(TimePoint now);
  // A train_result from `site_id` (from its certificate) with its payload, which the run takes
  // over: an update folded on arrival is checked and folded in one pass written over these
  // bytes (AggregationRound::Submit with an owned payload). Refused updates are audit-logged
  // with the reason and count as the site's answer.
  void OnTrainResult(const std::string& site_id, const protocol::Message& message,
                     std::string payload, TimePoint now);
  // A decline of the current round's train_request: counts as the site's answer. A decline of
  // an evaluate_request (request_type) only ends the wait for that site's evaluation.
  void OnDecline(const std::string& site_id, const protocol::Message& message, TimePoint now);
  // An evaluate_result from `site_id`. Accepted when its envelope round has a pending
  // evaluation, the site was asked, has not answered yet and evaluated the model sent (SHA-256);
  // folded into that round's history entry ("evaluation": sample-weighted mean metrics, samples,
  // sites), persisted (RunStore::SaveEvaluations) and audit-logged. Counts in any run state,
  // also after the run finished. Refusals are logged and audit-logged with the reason.
  void OnEvaluateResult(const std::string& site_id, const protocol::Message& message);
  // A selected site went away: counts as its answer (the round closes with the others).
  // Pending evaluations keep waiting for it (a reconnected site may still answer them).
  void OnSiteDisconnected(const std::string& site_id, TimePoint now);

  // Operator controls. Pause keeps the open round collecting but opens no new one; Abort ends
  // the run for good (the latest checkpoint stays exportable). FailedPrecondition when the run
  // is already finished (or, for Resume, not paused).
  Status Pause();
  Status Resume(TimePoint now);
  Status Abort(const std::string& reason);

  const std::string& run_id() const { return run_id_; }
  RunState state() const { return state_; }
  bool finished() const {
    return state_ == RunState::kCompleted || state_ == RunState::kAborted ||
           state_ == RunState::kFailed;
  }
  std::int64_t completed_rounds() const { return completed_rounds_; }
  // Why the run is in its state ("waiting for sites: ...", "round 3 open", a failure reason).
  const std::string& message() const { return message_; }
  const nlohmann::json& spec() const { return spec_; }
  // One entry per completed round: round, sites, accepted, samples, metrics, model_sha256,
  // timing (seconds: round = open to checkpoint written, send, first_result, last_result,
  // validation, fold, hold = early arrivals written and read back, finish, checkpoint;
  // checkpoint and round are added after the round's own checkpoint, so they are persisted
  // from the next one), and evaluation once sites answered.
  const nlohmann::json& history() const { return history_; }
  // The global model after the last completed round.
  const std::shared_ptr<const SafetensorsBuffer>& model() const { return model_; }
  // Status for operators: the last closed round's training metrics plus, once any federated
  // evaluation arrived, the latest evaluation's metrics prefixed "val_".
  protocol::RunStatus StatusReport() const;
  // Rounds whose evaluation still awaits at least one site (oldest first).
  std::vector<std::int64_t> PendingEvaluations() const;

 private:
  RunStateMachine(std::string run_id, nlohmann::json spec, RunContext context);
  Status Init(std::shared_ptr<const SafetensorsBuffer> model, const StrategyState* state);
  void TryOpenRound(TimePoint now);
  // After a resume: false (and the run waiting) while a site of the earlier rounds is missing
  // from `eligible` and rejoin_wait_seconds have not passed since the first call.
  bool WaitForRejoiningSites(const std::vector<std::string>& eligible, TimePoint now);
  void MaybeClose(TimePoint now, bool deadline_passed);
  // Tells the open round that `site_id` sends no update (held updates behind it may fold).
  void SkipSite(const std::string& site_id);
  void CloseRound();
  void RetryOrFail(const std::string& why);
  void Fail(const std::string& reason);
  void Audit(std::string_view type, nlohmann::json data);
  std::vector<std::string> SelectSites(const std::vector<std::string>& eligible) const;
  protocol::Message TrainRequestFor() const;
  Status SaveCheckpoint();
  void RequestEvaluation(std::int64_t round, const std::set<std::string>& round_sites);
  Status RefuseEvaluation(const std::string& site_id, const protocol::Message& message,
                          const std::string& reason);

  struct OpenRound {
    std::unique_ptr<AggregationRound> round;
    std::set<std::string> selected;
    std::set<std::string> answered;
    TimePoint deadline;
    std::map<std::string, double> metric_sums;  // sample-weighted sums of site metrics
    double samples = 0;
    std::int64_t declined = 0;
    // Real elapsed times (steady clock, not the `now` arguments), for the history's "timing".
    std::chrono::steady_clock::time_point opened;
    double send_seconds = 0;          // queueing the train_requests
    double first_result_seconds = -1;  // open -> first accepted update on the strand
    double last_result_seconds = -1;   // open -> last accepted update
  };

  // Federated evaluation of one round's global model, awaiting the sites asked.
  struct PendingEvaluation {
    std::string model_sha256;
    std::set<std::string> asked;
    std::set<std::string> answered;  // results accepted, or declined
    std::map<std::string, double> metric_sums;  // sample-weighted sums of site metrics
    double samples = 0;
    std::int64_t sites = 0;  // results accepted
  };
  // At most this many rounds' evaluations are awaited at once (the oldest is dropped).
  static constexpr std::size_t kMaxPendingEvaluations = 16;

  std::string run_id_;
  nlohmann::json spec_;
  RunContext context_;
  RunState state_ = RunState::kWaiting;
  std::string message_;
  std::int64_t rounds_ = 0;
  std::int64_t min_sites_ = 1;
  double deadline_seconds_ = 3600;
  std::int64_t max_retries_ = 2;
  std::int64_t seed_ = 0;
  std::int64_t completed_rounds_ = 0;
  std::int64_t attempt_ = 0;
  nlohmann::json history_ = nlohmann::json::array();
  std::unique_ptr<Aggregator> aggregator_;
  std::shared_ptr<const SafetensorsBuffer> model_;
  std::shared_ptr<const std::string> model_bytes_;  // the payload shared by every site
  std::string model_sha256_;
  std::optional<OpenRound> open_;
  // After Resume(): the sites of the run's earlier rounds, which the next round waits for (up
  // to rejoin_wait_seconds_ from the first attempt to open it) so that a coordinator restart
  // does not change which sites are selected. Empty once they are back or the wait ran out.
  std::set<std::string> awaited_sites_;
  double rejoin_wait_seconds_ = 60;
  std::optional<TimePoint> rejoin_until_;
  std::map<std::int64_t, PendingEvaluation> evaluations_;  // by round
  // Every round's aggregated evaluation so far ({"<round>": {...}}), as RunStore keeps it.
  nlohmann::json evaluation_results_ = nlohmann::json::object();
};

}  // namespace pancaim::coordinator::server
