#include "pancaim/coordinator/server/run_state_machine.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

#include "pancaim/common/check.h"
#include "pancaim/common/log.h"
#include "pancaim/coordinator/strategy_spec.h"

namespace pancaim::coordinator::server {
namespace {

// Seeds are sent as JSON numbers, so they stay below 2^53.
constexpr std::int64_t kSeedMask = (std::int64_t{1} << 53) - 1;

std::int64_t MixSeed(std::int64_t seed, std::int64_t round, std::int64_t attempt) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(round), static_cast<std::uint32_t>(attempt)};
  std::uint32_t out[2];
  seq.generate(out, out + 2);
  return ((std::int64_t{out[0]} << 32) | out[1]) & kSeedMask;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kWaiting: return "pending";
    case RunState::kRunning: return "running";
    case RunState::kPaused: return "paused";
    case RunState::kCompleted: return "completed";
    case RunState::kAborted: return "aborted";
    case RunState::kFailed: return "failed";
  }
  return "unknown";
}

RunStateMachine::RunStateMachine(std::string run_id, nlohmann::json spec, RunContext context)
    : run_id_(std::move(run_id)), spec_(std::move(spec)), context_(std::move(context)) {
  PANCAIM_CHECK(context_.store != nullptr);
  PANCAIM_CHECK(context_.links != nullptr);
  const nlohmann::json& defaults = context_.run_defaults;
  rounds_ = spec_.value("rounds", 1);
  min_sites_ = spec_.value("min_sites", 0);
  if (min_sites_ <= 0) min_sites_ = defaults.value("min_sites", 1);
  deadline_seconds_ = spec_.value("round_deadline_seconds", 0.0);
  if (deadline_seconds_ <= 0) deadline_seconds_ = defaults.value("round_deadline_seconds", 3600.0);
  max_retries_ = defaults.value("max_round_retries", 2);
  rejoin_wait_seconds_ = defaults.value("rejoin_wait_seconds", 60.0);
  seed_ = spec_.value("seed", 0);
  // The resolved values travel with the spec, so a resumed run keeps them.
  spec_["min_sites"] = min_sites_;
  spec_["round_deadline_seconds"] = deadline_seconds_;
  spec_["max_round_retries"] = spec_.value("max_round_retries", max_retries_);
  max_retries_ = spec_["max_round_retries"].get<std::int64_t>();
}

RunStateMachine::~RunStateMachine() = default;

Status RunStateMachine::Init(std::shared_ptr<const SafetensorsBuffer> model,
                             const StrategyState* state) {
  const nlohmann::json strategy = spec_.value("strategy", nlohmann::json::object());
  auto spec = ParseStrategySpec(strategy.value("name", "fedavg"),
                                strategy.value("options", nlohmann::json::object()));
  if (!spec.ok()) {
    return InvalidArgumentError("run " + run_id_ + ": " + spec.status().message());
  }
  PANCAIM_ASSIGN_OR_RETURN(aggregator_, Aggregator::Create(*spec, context_.spill_dir));
  if (state != nullptr && !state->scalars.is_null()) {
    PANCAIM_RETURN_IF_ERROR(aggregator_->LoadState(*state));
  }
  model_ = std::move(model);
  model_bytes_ = std::make_shared<const std::string>(model_->bytes());
  model_sha256_ = model_->Sha256();
  return Status();
}

StatusOr<std::unique_ptr<RunStateMachine>> RunStateMachine::Create(
    std::string run_id, nlohmann::json spec, SafetensorsBuffer initial_model,
    const std::string& operator_id, RunContext context) {
  std::unique_ptr<RunStateMachine> run(
      new RunStateMachine(std::move(run_id), std::move(spec), std::move(context)));
  PANCAIM_RETURN_IF_ERROR(
      run->Init(std::make_shared<const SafetensorsBuffer>(std::move(initial_model)), nullptr));
  run->Audit(audit::kRunSubmitted, {{"run_id", run->run_id_},
                                    {"operator", operator_id},
                                    {"spec", run->spec_},
                                    {"initial_model_sha256", run->model_sha256_}});
  PANCAIM_RETURN_IF_ERROR(run->SaveCheckpoint());
  return run;
}

StatusOr<std::unique_ptr<RunStateMachine>> RunStateMachine::Resume(RunCheckpoint checkpoint,
                                                                   RunContext context) {
  std::unique_ptr<RunStateMachine> run(new RunStateMachine(
      std::move(checkpoint.run_id), std::move(checkpoint.run_spec), std::move(context)));
  PANCAIM_RETURN_IF_ERROR(run->Init(std::move(checkpoint.model), &checkpoint.strategy));
  run->completed_rounds_ = checkpoint.round;
  run->history_ = checkpoint.history.is_array() ? checkpoint.history : nlohmann::json::array();
  const nlohmann::json& rng = checkpoint.rng;
  if (rng.is_object() && rng.value("state", "") == "aborted") {
    run->state_ = RunState::kAborted;
    run->message_ = rng.value("message", "aborted");
  } else if (rng.is_object() && rng.value("state", "") == "failed") {
    run->state_ = RunState::kFailed;
    run->message_ = rng.value("message", "failed");
  } else if (rng.is_object() && rng.value("state", "") == "paused") {
    run->state_ = RunState::kPaused;
  }
  for (const auto& entry : run->history_) {
    for (const auto& site : entry.value("sites", nlohmann::json::array())) {
      if (site.is_string()) run->awaited_sites_.insert(site.get<std::string>());
    }
  }
  if (run->completed_rounds_ >= run->rounds_) {
    run->state_ = RunState::kCompleted;
    run->message_ = "completed " + std::to_string(run->completed_rounds_) + " rounds";
  }
  auto evaluations = run->context_.store->LoadEvaluations();
  if (!evaluations.ok()) {
    // Evaluation results are a report, not training state: the run goes on without them.
    PANCAIM_LOG(WARNING) << "run " << run->run_id_ << ": " << evaluations.status()
                         << "; earlier evaluation results are not shown";
  } else {
    run->evaluation_results_ = std::move(evaluations).value();
    for (auto& entry : run->history_) {
      const std::string key = std::to_string(entry.value("round", std::int64_t{0}));
      const auto found = run->evaluation_results_.find(key);
      if (found != run->evaluation_results_.end() &&
          found->value("model_sha256", "") == entry.value("model_sha256", "")) {
        entry["evaluation"] = *found;
      }
    }
  }
  return run;
}

void RunStateMachine::Audit(std::string_view type, nlohmann::json data) {
  if (context_.audit == nullptr) return;
  const Status status = context_.audit->Append(type, std::move(data));
  if (!status.ok()) {
    PANCAIM_LOG(ERROR) << "run " << run_id_ << ": audit log: " << status;
  }
}

Status RunStateMachine::SaveCheckpoint() {
  RunCheckpoint checkpoint;
  checkpoint.run_id = run_id_;
  checkpoint.run_spec = spec_;
  checkpoint.round = completed_rounds_;
  checkpoint.model = model_;
  PANCAIM_ASSIGN_OR_RETURN(checkpoint.strategy, aggregator_->SaveState());
  std::string state = "running";
  if (state_ == RunState::kAborted) state = "aborted";
  if (state_ == RunState::kFailed) state = "failed";
  if (state_ == RunState::kPaused) state = "paused";
  checkpoint.rng = {{"seed", seed_}, {"state", state}, {"message", message_}};
  checkpoint.history = history_;
  if (context_.audit != nullptr) {
    checkpoint.audit = {{"records", context_.audit->records()},
                        {"head_hash", context_.audit->head_hash()}};
  }
  return context_.store->Save(checkpoint);
}

std::vector<std::string> RunStateMachine::SelectSites(
    const std::vector<std::string>& eligible) const {
  const double fraction = spec_.value("fraction_per_round", 1.0);
  std::size_t count = static_cast<std::size_t>(
      std::ceil(fraction * static_cast<double>(eligible.size()) - 1e-9));
  count = std::max<std::size_t>(count, static_cast<std::size_t>(min_sites_));
  count = std::min(count, eligible.size());
  std::vector<std::string> chosen = eligible;
  if (count < chosen.size()) {
    std::mt19937_64 rng(
        static_cast<std::uint64_t>(MixSeed(seed_, completed_rounds_ + 1, attempt_)));
    std::shuffle(chosen.begin(), chosen.end(), rng);
    chosen.resize(count);
    std::sort(chosen.begin(), chosen.end());
  }
  return chosen;
}

bool RunStateMachine::WaitForRejoiningSites(const std::vector<std::string>& eligible,
                                            TimePoint now) {
  if (awaited_sites_.empty()) return true;
  std::erase_if(awaited_sites_, [&](const std::string& site) {
    return std::find(eligible.begin(), eligible.end(), site) != eligible.end();
  });
  if (awaited_sites_.empty()) return true;
  if (!rejoin_until_.has_value()) {
    rejoin_until_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(rejoin_wait_seconds_));
  }
  std::string missing;
  for (const std::string& site : awaited_sites_) missing += (missing.empty() ? "" : ", ") + site;
  if (now >= *rejoin_until_) {
    PANCAIM_LOG(WARNING) << "run " << run_id_ << ": resumed; opening round "
                         << completed_rounds_ + 1 << " without " << missing
                         << " (not reconnected within rejoin_wait_seconds = "
                         << rejoin_wait_seconds_ << ")";
    awaited_sites_.clear();
    return true;
  }
  state_ = RunState::kWaiting;
  message_ = "resumed: waiting for " + missing + " to reconnect before round " +
             std::to_string(completed_rounds_ + 1);
  return false;
}

protocol::Message RunStateMachine::TrainRequestFor() const {
  const nlohmann::json model = spec_.value("model", nlohmann::json::object());
  const nlohmann::json training = spec_.value("training", nlohmann::json::object());
  protocol::TrainRequest request;
  request.model_name = model.value("name", "");
  request.model_config = model.value("config", nlohmann::json::object());
  request.base_model_sha256 = model_sha256_;
  protocol::Hyperparameters& hp = request.hyperparameters;
  hp.epochs = training.value("epochs", 1);
  hp.local_steps = training.value("max_steps", 0);
  hp.batch_size = training.value("batch_size", 32);
  hp.optimizer = training.value("optimizer", "sgd");
  hp.learning_rate = training.value("learning_rate", 0.01);
  hp.momentum = training.value("momentum", 0.0);
  hp.weight_decay = training.value("weight_decay", 0.0);
  hp.proximal_mu = aggregator_->spec().RoundConfigForSites().value("proximal_mu", 0.0);
  hp.seed = MixSeed(seed_, completed_rounds_ + 1, 0);
  request.update_kind = protocol::UpdateKind::kWeights;
  request.deadline_ms = static_cast<std::int64_t>(deadline_seconds_ * 1000);
  protocol::Message message;
  message.run_id = run_id_;
  message.round = completed_rounds_ + 1;
  message.sender_role = protocol::Role::kCoordinator;
  message.body = std::move(request);
  return message;
}

void RunStateMachine::Tick(TimePoint now) {
  if (finished()) return;
  if (open_.has_value()) {
    if (now >= open_->deadline) MaybeClose(now, /*deadline_passed=*/true);
    return;
  }
  if (state_ == RunState::kPaused) return;
  TryOpenRound(now);
}

void RunStateMachine::TryOpenRound(TimePoint now) {
  if (completed_rounds_ >= rounds_) {
    state_ = RunState::kCompleted;
    message_ = "completed " + std::to_string(completed_rounds_) + " rounds";
    return;
  }
  std::vector<std::string> eligible = context_.links->ConnectedSites();
  const nlohmann::json wanted = spec_.value("sites", nlohmann::json::array());
  if (!wanted.empty()) {
    std::set<std::string> allowed;
    for (const auto& site : wanted) allowed.insert(site.get<std::string>());
    std::erase_if(eligible, [&](const std::string& s) { return !allowed.contains(s); });
  }
  if (!WaitForRejoiningSites(eligible, now)) return;
  if (static_cast<std::int64_t>(eligible.size()) < min_sites_) {
    state_ = RunState::kWaiting;
    message_ = "waiting for sites: " + std::to_string(eligible.size()) + " connected, " +
               std::to_string(min_sites_) + " needed";
    return;
  }
  const std::vector<std::string> selected = SelectSites(eligible);
  const std::int64_t round_number = completed_rounds_ + 1;
  AggregationRoundOptions options;
  options.selected_sites = std::set<std::string>(selected.begin(), selected.end());
  if (!context_.spill_dir.empty()) options.hold_dir = context_.spill_dir / run_id_ / "held";
  auto round = AggregationRound::Open({run_id_, round_number, model_sha256_}, model_,
                                      aggregator_.get(), options);
  if (!round.ok()) {
    Fail("cannot open round " + std::to_string(round_number) + ": " + round.status().message());
    return;
  }
  open_.emplace();
  open_->opened = std::chrono::steady_clock::now();
  open_->round = std::move(round).value();
  open_->selected = options.selected_sites;
  open_->deadline = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(deadline_seconds_));
  state_ = RunState::kRunning;
  message_ = "round " + std::to_string(round_number) + " open";
  Audit(audit::kRoundOpened, {{"run_id", run_id_},
                              {"round", round_number},
                              {"attempt", attempt_},
                              {"base", model_sha256_},
                              {"sites", selected}});
  PANCAIM_LOG(INFO) << "run " << run_id_ << ": round " << round_number << " opened with "
                    << selected.size() << " site(s)";
  const protocol::Message request = TrainRequestFor();
  for (const std::string& site : selected) {
    const Status sent = context_.links->Send(site, request, model_bytes_);
    if (!sent.ok()) {
      PANCAIM_LOG(WARNING) << "run " << run_id_ << ": train_request to site '" << site
                           << "': " << sent;
      open_->answered.insert(site);
      SkipSite(site);
    }
  }
  open_->send_seconds = SecondsSince(open_->opened);
  MaybeClose(now, /*deadline_passed=*/false);
}

void RunStateMachine::OnTrainResult(const std::string& site_id, const protocol::Message& message,
                                    std::string payload, TimePoint now) {
  const auto* result = std::get_if<protocol::TrainResult>(&message.body);
  PANCAIM_CHECK(result != nullptr);
  if (!open_.has_value() || message.run_id != run_id_ ||
      message.round != open_->round->key().round) {
    Audit(audit::kUpdateRejected, {{"run_id", run_id_},
                                   {"round", message.round},
                                   {"site", site_id},
                                   {"bytes", payload.size()},
                                   {"sha256", result->payload_sha256},
                                   {"reason", "stale: no open round " +
                                                  std::to_string(message.round) + " in run " +
                                                  message.run_id}});
    return;
  }
  UpdateEnvelope envelope;
  envelope.site_id = site_id;
  envelope.run_id = message.run_id;
  envelope.round = message.round;
  envelope.base_model_sha256 = result->base_model_sha256;
  envelope.sample_count = static_cast<double>(result->num_samples);
  envelope.payload = payload;
  envelope.payload_sha256 = result->payload_sha256;
  const std::size_t payload_bytes = payload.size();  // Submit may reuse the buffer
  auto receipt = open_->round->Submit(envelope, payload);
  if (receipt.ok()) {
    Audit(audit::kUpdateAccepted, {{"run_id", run_id_},
                                   {"round", message.round},
                                   {"site", site_id},
                                   {"bytes", receipt->bytes},
                                   {"sha256", receipt->sha256},
                                   {"samples", receipt->sample_count}});
    for (const auto& [name, value] : result->metrics) {
      open_->metric_sums[name] += value * envelope.sample_count;
    }
    open_->last_result_seconds = SecondsSince(open_->opened);
    if (open_->first_result_seconds < 0) open_->first_result_seconds = open_->last_result_seconds;
    open_->samples += envelope.sample_count;
    open_->answered.insert(site_id);
  } else {
    PANCAIM_LOG(WARNING) << "run " << run_id_ << ": update rejected: " << receipt.status();
    Audit(audit::kUpdateRejected, {{"run_id", run_id_},
                                   {"round", message.round},
                                   {"site", site_id},
                                   {"bytes", payload_bytes},
                                   {"sha256", result->payload_sha256},
                                   {"reason", receipt.status().message()}});
    if (open_->selected.contains(site_id)) open_->answered.insert(site_id);
  }
  MaybeClose(now, /*deadline_passed=*/now >= open_->deadline);
}

void RunStateMachine::OnDecline(const std::string& site_id, const protocol::Message& message,
                                TimePoint now) {
  const auto* decline = std::get_if<protocol::Decline>(&message.body);
  PANCAIM_CHECK(decline != nullptr);
  PANCAIM_LOG(WARNING) << "run " << run_id_ << ": site '" << site_id << "' declined round "
                       << message.round << " (" << decline->code << "): " << decline->reason;
  if (decline->request_type == "evaluate_request") {
    // An evaluation, not the round's training: the site no longer owes that evaluation.
    auto it = evaluations_.find(message.round);
    if (it != evaluations_.end() && it->second.asked.contains(site_id) &&
        it->second.answered.insert(site_id).second) {
      Audit("evaluation_declined", {{"run_id", run_id_},
                                    {"round", message.round},
                                    {"site", site_id},
                                    {"code", decline->code},
                                    {"reason", decline->reason}});
      if (it->second.answered.size() >= it->second.asked.size()) evaluations_.erase(it);
    }
    return;
  }
  if (!open_.has_value() || message.round != open_->round->key().round ||
      !open_->selected.contains(site_id)) {
    return;
  }
  Audit("site_declined", {{"run_id", run_id_},
                          {"round", message.round},
                          {"site", site_id},
                          {"code", decline->code},
                          {"reason", decline->reason}});
  if (open_->answered.insert(site_id).second) ++open_->declined;
  SkipSite(site_id);
  MaybeClose(now, now >= open_->deadline);
}

void RunStateMachine::OnSiteDisconnected(const std::string& site_id, TimePoint now) {
  if (!open_.has_value() || !open_->selected.contains(site_id)) return;
  open_->answered.insert(site_id);
  SkipSite(site_id);
  MaybeClose(now, now >= open_->deadline);
}

void RunStateMachine::SkipSite(const std::string& site_id) {
  const Status skipped = open_->round->Skip(site_id);
  if (!skipped.ok()) {
    PANCAIM_LOG(WARNING) << "run " << run_id_ << ": " << skipped;
    Audit(audit::kUpdateRejected, {{"run_id", run_id_},
                                   {"round", open_->round->key().round},
                                   {"reason", skipped.message()}});
  }
}

void RunStateMachine::MaybeClose(TimePoint /*now*/, bool deadline_passed) {
  if (!open_.has_value()) return;
  const bool all_answered = open_->answered.size() >= open_->selected.size();
  if (!all_answered && !deadline_passed) return;
  const std::int64_t accepted = open_->round->accepted();
  if (accepted >= min_sites_) {
    CloseRound();
    return;
  }
  std::vector<std::string> missing;
  for (const auto& site : open_->selected) {
    if (!open_->answered.contains(site)) missing.push_back(site);
  }
  std::string why = "round " + std::to_string(open_->round->key().round) + " got " +
                    std::to_string(accepted) + " accepted update(s), " +
                    std::to_string(min_sites_) + " needed (" +
                    std::to_string(open_->declined) + " declined, " +
                    std::to_string(open_->round->rejected()) + " rejected, " +
                    std::to_string(missing.size()) + " missed the deadline)";
  RetryOrFail(why);
}

void RunStateMachine::RetryOrFail(const std::string& why) {
  Audit(audit::kRoundClosed, {{"run_id", run_id_},
                              {"round", open_->round->key().round},
                              {"attempt", attempt_},
                              {"accepted", open_->round->accepted()},
                              {"outcome", "retry"},
                              {"reason", why}});
  open_.reset();
  if (attempt_ >= max_retries_) {
    Fail(why + "; no retries left (max_round_retries " + std::to_string(max_retries_) + ")");
    return;
  }
  ++attempt_;
  message_ = why + "; retrying (attempt " + std::to_string(attempt_ + 1) + ")";
  PANCAIM_LOG(WARNING) << "run " << run_id_ << ": " << message_;
}

void RunStateMachine::CloseRound() {
  const std::int64_t round_number = open_->round->key().round;
  const std::int64_t accepted = open_->round->accepted();
  const AggregationRound::Timing before = open_->round->timing();
  const auto finish_start = std::chrono::steady_clock::now();
  auto next = open_->round->Close();
  // Close folds the updates still held; that time is counted as theirs, not as finishing.
  const AggregationRound::Timing& after = open_->round->timing();
  const double finish_seconds = SecondsSince(finish_start) -
                                (after.validation - before.validation) -
                                (after.fold - before.fold) - (after.hold - before.hold);
  if (!next.ok()) {
    Fail("round " + std::to_string(round_number) + ": aggregation failed: " +
         next.status().message());
    return;
  }
  nlohmann::json metrics = nlohmann::json::object();
  if (open_->samples > 0) {
    for (const auto& [name, sum] : open_->metric_sums) metrics[name] = sum / open_->samples;
  }
  const std::set<std::string> round_sites = open_->selected;
  nlohmann::json entry = {{"round", round_number},
                          {"sites", open_->selected},
                          {"answered", open_->answered},
                          {"accepted", accepted},
                          {"rejected", open_->round->rejected()},
                          {"declined", open_->declined},
                          {"samples", open_->samples},
                          {"attempt", attempt_},
                          {"metrics", metrics}};
  entry["timing"] = {{"send_seconds", open_->send_seconds},
                     {"first_result_seconds", open_->first_result_seconds},
                     {"last_result_seconds", open_->last_result_seconds},
                     {"validation_seconds", open_->round->timing().validation},
                     {"fold_seconds", open_->round->timing().fold},
                     {"hold_seconds", open_->round->timing().hold},
                     {"finish_seconds", finish_seconds}};
  const auto opened = open_->opened;
  open_.reset();
  auto previous_model = model_;
  auto previous_bytes = model_bytes_;
  auto previous_sha = model_sha256_;
  model_ = std::make_shared<const SafetensorsBuffer>(std::move(next).value());
  model_bytes_ = std::make_shared<const std::string>(model_->bytes());
  model_sha256_ = model_->Sha256();
  entry["model_sha256"] = model_sha256_;
  history_.push_back(entry);
  ++completed_rounds_;
  attempt_ = 0;
  Audit(audit::kRoundClosed, {{"run_id", run_id_},
                              {"round", round_number},
                              {"accepted", accepted},
                              {"outcome", "aggregated"}});
  if (completed_rounds_ >= rounds_) state_ = RunState::kCompleted;
  const auto checkpoint_start = std::chrono::steady_clock::now();
  const Status saved = SaveCheckpoint();
  if (!saved.ok()) {
    // The round does not count: the previous checkpoint stays the latest.
    history_.erase(history_.end() - 1);
    --completed_rounds_;
    model_ = previous_model;
    model_bytes_ = previous_bytes;
    model_sha256_ = previous_sha;
    Fail("round " + std::to_string(round_number) + ": checkpoint failed: " + saved.message());
    return;
  }
  nlohmann::json& timing = history_.back()["timing"];
  timing["checkpoint_seconds"] = SecondsSince(checkpoint_start);
  timing["round_seconds"] = SecondsSince(opened);
  Audit(audit::kModelProduced,
        {{"run_id", run_id_}, {"round", round_number}, {"sha256", model_sha256_}});
  PANCAIM_LOG(INFO) << "run " << run_id_ << ": round " << round_number << " closed with "
                    << accepted << " update(s); model " << model_sha256_.substr(0, 12);
  if (state_ == RunState::kCompleted) {
    message_ = "completed " + std::to_string(completed_rounds_) + " rounds";
  } else if (state_ != RunState::kPaused) {
    message_ = "round " + std::to_string(round_number) + " closed";
  }
  if (context_.on_round_closed) context_.on_round_closed(run_id_, history_.back());
  const std::int64_t every = spec_.value("evaluate_every", std::int64_t{1});
  if (round_number == rounds_ || (every > 0 && round_number % every == 0)) {
    RequestEvaluation(round_number, round_sites);
  }
}

void RunStateMachine::RequestEvaluation(std::int64_t round,
                                        const std::set<std::string>& round_sites) {
  const std::vector<std::string> connected = context_.links->ConnectedSites();
  const nlohmann::json model = spec_.value("model", nlohmann::json::object());
  const nlohmann::json training = spec_.value("training", nlohmann::json::object());
  protocol::EvaluateRequest request;
  request.model_name = model.value("name", "");
  request.model_config = model.value("config", nlohmann::json::object());
  request.model_sha256 = model_sha256_;
  request.split = "validation";
  request.batch_size = training.value("batch_size", 32);
  protocol::Message message;
  message.run_id = run_id_;
  message.round = round;
  message.sender_role = protocol::Role::kCoordinator;
  message.body = std::move(request);
  PendingEvaluation pending;
  pending.model_sha256 = model_sha256_;
  for (const std::string& site : round_sites) {
    if (std::find(connected.begin(), connected.end(), site) == connected.end()) continue;
    const Status sent = context_.links->Send(site, message, model_bytes_);
    if (sent.ok()) {
      pending.asked.insert(site);
    } else {
      PANCAIM_LOG(WARNING) << "run " << run_id_ << ": evaluate_request to site '" << site
                           << "': " << sent;
    }
  }
  Audit("evaluation_requested", {{"run_id", run_id_},
                                 {"round", round},
                                 {"model_sha256", model_sha256_},
                                 {"split", "validation"},
                                 {"sites", pending.asked}});
  if (pending.asked.empty()) {
    PANCAIM_LOG(WARNING) << "run " << run_id_ << ": no site of round " << round
                         << " is connected to evaluate its model";
    return;
  }
  PANCAIM_LOG(INFO) << "run " << run_id_ << ": asked " << pending.asked.size()
                    << " site(s) to evaluate the round " << round << " model";
  evaluations_[round] = std::move(pending);
  while (evaluations_.size() > kMaxPendingEvaluations) {
    PANCAIM_LOG(WARNING) << "run " << run_id_ << ": no longer waiting for the evaluation of round "
                         << evaluations_.begin()->first << " (too many pending)";
    evaluations_.erase(evaluations_.begin());
  }
}

Status RunStateMachine::RefuseEvaluation(const std::string& site_id,
                                         const protocol::Message& message,
                                         const std::string& reason) {
  const Status refused = FailedPreconditionError(
      "run " + run_id_ + ": evaluation result of site '" + site_id + "' for round " +
      std::to_string(message.round) + " refused: " + reason);
  PANCAIM_LOG(WARNING) << refused.message();
  Audit("evaluation_rejected",
        {{"run_id", run_id_}, {"round", message.round}, {"site", site_id}, {"reason", reason}});
  return refused;
}

void RunStateMachine::OnEvaluateResult(const std::string& site_id,
                                       const protocol::Message& message) {
  const auto* result = std::get_if<protocol::EvaluateResult>(&message.body);
  PANCAIM_CHECK(result != nullptr);
  auto it = evaluations_.find(message.round);
  if (message.run_id != run_id_ || it == evaluations_.end()) {
    (void)RefuseEvaluation(site_id, message, "no evaluation of that round is pending");
    return;
  }
  PendingEvaluation& pending = it->second;
  if (!pending.asked.contains(site_id)) {
    (void)RefuseEvaluation(site_id, message, "the site was not asked");
    return;
  }
  if (pending.answered.contains(site_id)) {
    (void)RefuseEvaluation(site_id, message, "the site already answered");
    return;
  }
  if (result->model_sha256 != pending.model_sha256) {
    (void)RefuseEvaluation(site_id, message,
                           "it evaluated model " + result->model_sha256.substr(0, 12) +
                               ", not the round's " + pending.model_sha256.substr(0, 12));
    return;
  }
  if (result->split != "validation" || result->num_samples <= 0) {
    (void)RefuseEvaluation(site_id, message,
                           "split '" + result->split + "' with " +
                               std::to_string(result->num_samples) +
                               " samples (validation with >= 1 asked)");
    return;
  }
  for (const auto& [name, value] : result->metrics) {
    if (!std::isfinite(value)) {
      (void)RefuseEvaluation(site_id, message, "metric '" + name + "' is not finite");
      return;
    }
  }
  const double samples = static_cast<double>(result->num_samples);
  for (const auto& [name, value] : result->metrics) pending.metric_sums[name] += value * samples;
  pending.samples += samples;
  ++pending.sites;
  pending.answered.insert(site_id);
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [name, sum] : pending.metric_sums) metrics[name] = sum / pending.samples;
  const nlohmann::json evaluation = {{"metrics", metrics},
                                     {"samples", pending.samples},
                                     {"sites", pending.sites},
                                     {"asked", pending.asked.size()},
                                     {"split", "validation"},
                                     {"model_sha256", pending.model_sha256}};
  Audit("evaluation_accepted", {{"run_id", run_id_},
                                {"round", message.round},
                                {"site", site_id},
                                {"samples", result->num_samples},
                                {"model_sha256", result->model_sha256},
                                {"metrics", result->metrics}});
  for (auto& entry : history_) {
    if (entry.value("round", std::int64_t{0}) == message.round) entry["evaluation"] = evaluation;
  }
  evaluation_results_[std::to_string(message.round)] = evaluation;
  const Status saved = context_.store->SaveEvaluations(evaluation_results_);
  if (!saved.ok()) {
    PANCAIM_LOG(ERROR) << "run " << run_id_ << ": evaluation of round " << message.round
                       << " not persisted: " << saved;
  }
  PANCAIM_LOG(INFO) << "run " << run_id_ << ": evaluation of round " << message.round << " from '"
                    << site_id << "' (" << result->num_samples << " patients); "
                    << pending.sites << "/" << pending.asked.size() << " site(s) so far";
  if (pending.answered.size() >= pending.asked.size()) evaluations_.erase(it);
}

std::vector<std::int64_t> RunStateMachine::PendingEvaluations() const {
  std::vector<std::int64_t> rounds;
  for (const auto& [round, pending] : evaluations_) rounds.push_back(round);
  return rounds;
}

void RunStateMachine::Fail(const std::string& reason) {
  state_ = RunState::kFailed;
  message_ = reason;
  open_.reset();
  PANCAIM_LOG(ERROR) << "run " << run_id_ << " failed: " << reason;
  Audit("run_failed", {{"run_id", run_id_}, {"reason", reason}});
  const Status saved = SaveCheckpoint();
  if (!saved.ok()) {
    PANCAIM_LOG(ERROR) << "run " << run_id_ << ": " << saved;
  }
}

Status RunStateMachine::Pause() {
  if (finished()) return FailedPreconditionError("run " + run_id_ + " is already finished");
  state_ = RunState::kPaused;
  message_ = "paused by operator";
  Audit("run_paused", {{"run_id", run_id_}});
  return SaveCheckpoint();
}

Status RunStateMachine::Resume(TimePoint now) {
  if (state_ != RunState::kPaused) {
    return FailedPreconditionError("run " + run_id_ + " is not paused");
  }
  state_ = open_.has_value() ? RunState::kRunning : RunState::kWaiting;
  message_ = "resumed by operator";
  Audit("run_resumed", {{"run_id", run_id_}});
  PANCAIM_RETURN_IF_ERROR(SaveCheckpoint());
  Tick(now);
  return Status();
}

Status RunStateMachine::Abort(const std::string& reason) {
  if (finished()) return FailedPreconditionError("run " + run_id_ + " is already finished");
  state_ = RunState::kAborted;
  message_ = reason.empty() ? "aborted by operator" : "aborted: " + reason;
  open_.reset();
  Audit("run_aborted", {{"run_id", run_id_}, {"reason", reason}});
  return SaveCheckpoint();
}

protocol::RunStatus RunStateMachine::StatusReport() const {
  protocol::RunStatus status;
  status.run_id = run_id_;
  status.state = std::string(RunStateName(state_));
  status.round = open_.has_value() ? open_->round->key().round : completed_rounds_;
  status.num_rounds = rounds_;
  if (open_.has_value()) {
    status.sites_selected = static_cast<std::int64_t>(open_->selected.size());
    status.sites_reported = static_cast<std::int64_t>(open_->answered.size());
  }
  if (!history_.empty()) {
    for (const auto& [name, value] : history_.back()["metrics"].items()) {
      if (value.is_number()) status.metrics[name] = value.get<double>();
    }
  }
  for (auto entry = history_.rbegin(); entry != history_.rend(); ++entry) {
    if (!entry->contains("evaluation")) continue;
    for (const auto& [name, value] : (*entry)["evaluation"]["metrics"].items()) {
      if (value.is_number()) status.metrics["val_" + name] = value.get<double>();
    }
    break;
  }
  status.message = message_;
  return status;
}

}  // namespace pancaim::coordinator::server
