#include "pancaim/coordinator/aggregation_round.h"

#include <chrono>
#include <fstream>

#include "pancaim/common/log.h"
#include "pancaim/coordinator/file_system.h"
#include "pancaim/crypto/sha256.h"

namespace pancaim::coordinator {
namespace {

// Held updates are temporary (a restarted coordinator starts the round again), so they are
// written without fsync: durability would only slow the round down.
Status WriteHeldFile(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) return UnavailableError("cannot create " + path.parent_path().string() + ": " + error.message());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    return ResourceExhaustedError("cannot write held update " + path.string() +
                                  " (disk full or not writable)");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<AggregationRound>> AggregationRound::Open(
    RoundKey key, std::shared_ptr<const SafetensorsBuffer> global, Aggregator* aggregator,
    AggregationRoundOptions options) {
  PANCAIM_CHECK(aggregator != nullptr && global != nullptr);
  PANCAIM_CHECK(key.base_model_sha256 == global->Sha256())
      << "RoundKey.base_model_sha256 is not the SHA-256 of the global model";
  PANCAIM_RETURN_IF_ERROR(aggregator->BeginRound(std::move(global)));
  return std::unique_ptr<AggregationRound>(
      new AggregationRound(std::move(key), aggregator, std::move(options)));
}

Status AggregationRound::CheckEnvelope(const UpdateEnvelope& update) const {
  const std::string who = "update from site '" + update.site_id + "'";
  if (closed_) {
    return FailedPreconditionError(who + ": round " + std::to_string(key_.round) +
                                   " is closed");
  }
  if (update.run_id != key_.run_id) {
    return FailedPreconditionError(who + ": run '" + update.run_id + "' is not the current run '" +
                                   key_.run_id + "'");
  }
  if (update.round != key_.round) {
    return FailedPreconditionError(who + ": round " + std::to_string(update.round) +
                                   " is not the current round " + std::to_string(key_.round) +
                                   (update.round < key_.round ? " (replayed or stale update)" : ""));
  }
  if (update.base_model_sha256 != key_.base_model_sha256) {
    return FailedPreconditionError(who + ": trained from model version " +
                                   update.base_model_sha256 + ", the round sent " +
                                   key_.base_model_sha256);
  }
  if (!options_.selected_sites.empty() && !options_.selected_sites.count(update.site_id)) {
    return FailedPreconditionError(who + ": the site was not selected for round " +
                                   std::to_string(key_.round));
  }
  if (submitted_.count(update.site_id)) {
    return AlreadyExistsError(who + ": the site already submitted an update for round " +
                              std::to_string(key_.round));
  }
  return Status::Ok();
}

StatusOr<UpdateReceipt> AggregationRound::Submit(const UpdateEnvelope& update) {
  return SubmitImpl(update, nullptr);
}

StatusOr<UpdateReceipt> AggregationRound::Submit(const UpdateEnvelope& update,
                                                 std::string& payload) {
  PANCAIM_CHECK(update.payload.data() == payload.data() && update.payload.size() == payload.size())
      << "Submit: update.payload must view the owned payload";
  return SubmitImpl(update, &payload);
}

StatusOr<UpdateReceipt> AggregationRound::SubmitImpl(const UpdateEnvelope& update,
                                                     std::string* owned) {
  Status envelope = CheckEnvelope(update);
  if (!envelope.ok()) {
    ++rejected_;
    return envelope;
  }
  // From here on the site has used its one submission for this round.
  submitted_.insert(update.site_id);
  // Folded now when it is this site's turn (or no order applies), else held for later.
  const bool fold_now = options_.selected_sites.empty() || [&] {
    for (const std::string& site : options_.selected_sites) {
      if (site == update.site_id) return true;
      if (!finished_.contains(site)) return false;
    }
    return true;
  }();
  auto result = [&]() -> StatusOr<UpdateReceipt> {
    using Clock = std::chrono::steady_clock;
    auto seconds_since = [](Clock::time_point t) {
      return std::chrono::duration<double>(Clock::now() - t).count();
    };
    Clock::time_point start = Clock::now();
    auto view = protocol::SafetensorsView::Parse(update.payload, options_.payload_limits);
    if (!view.ok()) return view.status().WithContext("update from site '" + update.site_id + "'");
    UpdateReceipt receipt;
    receipt.site_id = update.site_id;
    receipt.bytes = update.payload.size();
    receipt.sample_count = update.sample_count;
    auto payload_sha256 = [&] {
      return update.payload_sha256.empty() ? crypto::Sha256Hex(update.payload)
                                           : update.payload_sha256;
    };
    if (fold_now && owned != nullptr) {
      // Checked and folded in one pass that writes over the payload: hash it first.
      receipt.sha256 = payload_sha256();
      receipt.validation_seconds = seconds_since(start);
      start = Clock::now();
      PANCAIM_ASSIGN_OR_RETURN(
          receipt.delta_l2_norm,
          aggregator_->ValidateAndFold(*owned, *view, update.site_id, update.sample_count,
                                       options_.max_delta_norm));
      receipt.fold_seconds = seconds_since(start);
      timing_.validation += receipt.validation_seconds;
      timing_.fold += receipt.fold_seconds;
      return receipt;
    }
    PANCAIM_ASSIGN_OR_RETURN(
        ValidatedUpdate checked,
        ValidateUpdate(aggregator_->layout(), aggregator_->global().view(), *view, update.site_id,
                       update.sample_count,
                       aggregator_->validation_options(options_.max_delta_norm)));
    receipt.validation_seconds = seconds_since(start);
    timing_.validation += receipt.validation_seconds;
    receipt.delta_l2_norm = checked.delta_l2_norm();
    if (!fold_now) receipt.sha256 = payload_sha256();  // before an owned payload moves
    start = Clock::now();
    if (fold_now) {
      PANCAIM_RETURN_IF_ERROR(aggregator_->Fold(checked));
      receipt.fold_seconds = seconds_since(start);
      timing_.fold += receipt.fold_seconds;
    } else {
      Held held;
      held.sample_count = update.sample_count;
      if (!options_.hold_dir.empty()) {
        held.file = options_.hold_dir / (key_.run_id + "-round-" + std::to_string(key_.round) +
                                         "-" + update.site_id + ".safetensors");
        PANCAIM_RETURN_IF_ERROR(WriteHeldFile(held.file, update.payload));
      } else if (owned == nullptr) {
        held.bytes.assign(update.payload);
      }
      if (options_.hold_dir.empty() && owned != nullptr) held.bytes = std::move(*owned);
      held_[update.site_id] = std::move(held);
      timing_.hold += seconds_since(start);
    }
    if (receipt.sha256.empty()) receipt.sha256 = payload_sha256();
    return receipt;
  }();
  if (result.ok()) {
    ++accepted_;
    if (fold_now) finished_.insert(update.site_id);
  } else {
    ++rejected_;
    finished_.insert(update.site_id);
  }
  // Updates held behind this site may fold now; their failures concern them, not this update.
  const Status folded = FoldReady();
  if (!folded.ok()) {
    PANCAIM_LOG(WARNING) << "round " << key_.round << ": " << folded;
  }
  return result;
}

Status AggregationRound::Skip(const std::string& site) {
  if (closed_ || held_.contains(site)) return Status::Ok();
  finished_.insert(site);
  return FoldReady();
}

Status AggregationRound::FoldReady() {
  Status first_error;
  for (const std::string& site : options_.selected_sites) {
    if (finished_.contains(site)) continue;
    if (!held_.contains(site)) break;  // its update has not arrived yet
    const Status folded = FoldHeld(site);
    if (!folded.ok() && first_error.ok()) first_error = folded;
  }
  return first_error;
}

// Reads a held update back, checks it again (the file could have been damaged) and folds it.
Status AggregationRound::FoldHeld(const std::string& site) {
  Held held = std::move(held_.at(site));
  held_.erase(site);
  finished_.insert(site);
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  Clock::time_point start = Clock::now();
  std::string bytes = std::move(held.bytes);
  if (!held.file.empty()) {
    auto read = DefaultFileSystem().ReadFile(held.file, std::uint64_t{1} << 40);
    DefaultFileSystem().RemoveAll(held.file).IgnoreError();
    timing_.hold += seconds_since(start);
    start = Clock::now();
    if (!read.ok()) {
      --accepted_;
      ++rejected_;
      return read.status().WithContext("held update from site '" + site + "'");
    }
    bytes = std::move(read).value();
  }
  // The held bytes are ours: checked and folded in one pass over them (ValidateAndFold).
  auto fold = [&]() -> Status {
    PANCAIM_ASSIGN_OR_RETURN(auto view,
                             protocol::SafetensorsView::Parse(bytes, options_.payload_limits));
    timing_.validation += seconds_since(start);
    start = Clock::now();
    const StatusOr<double> folded = aggregator_->ValidateAndFold(
        bytes, view, site, held.sample_count, options_.max_delta_norm);
    timing_.fold += seconds_since(start);
    return folded.status();
  }();
  if (!fold.ok()) {
    --accepted_;
    ++rejected_;
    return fold.WithContext("held update from site '" + site + "'");
  }
  return Status::Ok();
}

StatusOr<SafetensorsBuffer> AggregationRound::Close() {
  if (closed_) return FailedPreconditionError("round " + std::to_string(key_.round) + " is closed");
  // Sites still missing will not answer now: fold every held update, in order.
  for (const std::string& site : options_.selected_sites) {
    if (held_.contains(site)) {
      const Status folded = FoldHeld(site);
      if (!folded.ok()) {
    PANCAIM_LOG(WARNING) << "round " << key_.round << ": " << folded;
  }
    }
  }
  PANCAIM_ASSIGN_OR_RETURN(SafetensorsBuffer next, aggregator_->FinishRound());
  closed_ = true;
  return next;
}

}  // namespace pancaim::coordinator
