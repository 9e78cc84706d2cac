// AggregationRound: the seam between the round state machine (which talks to sites) and the
// aggregation library. It takes site updates one at a time, as they arrive, applies every
// round-level and content check, and folds the accepted ones into the run's Aggregator.
//
// Round-level checks, before the payload is even parsed: run id and round number current (a
// replayed update from an old round is refused), the base model version (SHA-256 of the global
// model sent for this round) equal to the one sent, the site among those selected (when a
// selection is given), and at most one submission per site per round (a second one, whether the
// first was accepted or rejected, is refused with AlreadyExists). Then ValidateUpdate.
// A rejection returns a Status naming the site and the reason, and leaves the aggregate untouched.
//
// Fold order. Floating-point sums depend on their order, so folding updates as they arrive would
// make the new global model depend on network timing, and a run resumed after a crash (or simply
// re-run) would not reproduce the same bits. With selected sites given, accepted updates are
// therefore folded in ascending site-id order: an update that arrives before its turn is
// validated at once (so the site gets its answer) and held, written to `hold_dir` (or kept in
// memory when hold_dir is empty), until every site before it was folded or skipped (Skip: it
// declined, disconnected or missed the deadline; Close skips every site still missing). Memory
// stays one update whatever the arrival order; disk holds the early arrivals.
//
// Not thread-safe: owned by the round state machine's strand. Holds a pointer to the Aggregator,
// which must outlive it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "pancaim/common/status.h"
#include "pancaim/coordinator/aggregator.h"
#include "pancaim/coordinator/safetensors_buffer.h"

namespace pancaim::coordinator {

// Identifies what a round expects from sites.
struct RoundKey {
  std::string run_id;
  std::int64_t round = 0;
  std::string base_model_sha256;  // SHA-256 of the global model sent for this round
};

// One update as it arrives. `site_id` comes from the site's certificate (never from the message);
// the rest from the message header; `payload` is the safetensors bytes, borrowed for the call.
struct UpdateEnvelope {
  std::string site_id;
  std::string run_id;
  std::int64_t round = 0;
  std::string base_model_sha256;
  double sample_count = 0;
  std::string_view payload;
  // SHA-256 of `payload` when the transport already computed it while receiving (it checks frame
  // integrity with it); empty to have Submit compute it. Hashing runs at ~0.4 GB/s here, slower
  // than validation and folding together, so it should be done once.
  std::string payload_sha256;
};

// What was accepted, for the audit log and the round's metrics.
struct UpdateReceipt {
  std::string site_id;
  std::uint64_t bytes = 0;
  std::string sha256;          // of the payload
  double sample_count = 0;
  double delta_l2_norm = -1;   // -1 when not computed
  double validation_seconds = 0;  // parsing and validating the payload (for round timings)
  double fold_seconds = 0;        // folding it into the aggregate (0 while it is held)
};

struct AggregationRoundOptions {
  std::set<std::string> selected_sites;  // empty: any site may submit
  double max_delta_norm = 0;             // refuse updates whose delta norm exceeds this; 0 = off
  protocol::SafetensorsLimits payload_limits;
  // Where updates that arrive before their turn wait (see "Fold order"); empty: in memory.
  std::filesystem::path hold_dir;
};

class AggregationRound {
 public:
  // Opens round `key.round` over `global` on `aggregator` (BeginRound). `key.base_model_sha256`
  // must be global->Sha256() (checked: it is the caller's bookkeeping).
  static StatusOr<std::unique_ptr<AggregationRound>> Open(
      RoundKey key, std::shared_ptr<const SafetensorsBuffer> global, Aggregator* aggregator,
      AggregationRoundOptions options = {});

  // Checks and folds one update. Errors: FailedPrecondition (wrong run, old or future round,
  // wrong base model, site not selected, round closed), AlreadyExists (second submission),
  // InvalidArgument/OutOfRange (content), ResourceExhausted/Unavailable (spilling to disk).
  StatusOr<UpdateReceipt> Submit(const UpdateEnvelope& update);

  // As Submit, for a payload the caller owns and no longer needs: `update.payload` must view all
  // of `payload`. An update folded now is checked and folded in one pass over its bytes, the new
  // running sum written over them (Aggregator::ValidateAndFold: the same checks and bits, half the
  // memory traffic); an early arrival held in memory is moved, not copied. On return `payload`
  // holds a buffer of unspecified content that the caller may reuse for the next update or drop.
  StatusOr<UpdateReceipt> Submit(const UpdateEnvelope& update, std::string& payload);

  // Produces the next global model and closes the round; FailedPrecondition with no accepted
  // update. Submit after Close is refused.
  StatusOr<SafetensorsBuffer> Close();

  // `site` will send no (further) update this round: updates held behind it may be folded.
  // Errors: those of folding a held update (reading it back, I/O); the held update is dropped.
  Status Skip(const std::string& site);
  // Accepted updates waiting for their turn.
  std::size_t held() const { return held_.size(); }

  // Seconds spent so far in this round (steady clock), for the round's timings.
  // An update checked and folded in one pass (owned payloads, held updates) counts its content
  // checks under `fold`; `validation` then holds the parsing and structural checks.
  struct Timing {
    double validation = 0;  // parsing and validating updates (again for held ones)
    double fold = 0;        // folding them into the aggregate
    double hold = 0;        // writing early arrivals to hold_dir and reading them back
  };
  const Timing& timing() const { return timing_; }

  const RoundKey& key() const { return key_; }
  int accepted() const { return accepted_; }
  int rejected() const { return rejected_; }
  double accepted_weight() const { return aggregator_->folded_weight(); }
  // Sites that submitted (accepted or rejected).
  const std::set<std::string>& submitted_sites() const { return submitted_; }

 private:
  AggregationRound(RoundKey key, Aggregator* aggregator, AggregationRoundOptions options)
      : key_(std::move(key)), aggregator_(aggregator), options_(std::move(options)) {}
  Status CheckEnvelope(const UpdateEnvelope& update) const;
  // Both Submits; `owned` is the payload's buffer when the caller hands it over, else null.
  StatusOr<UpdateReceipt> SubmitImpl(const UpdateEnvelope& update, std::string* owned);
  // Folds, in site order, every update whose turn has come.
  Status FoldReady();
  Status FoldHeld(const std::string& site);

  struct Held {
    std::filesystem::path file;  // empty: `bytes` holds the payload
    std::string bytes;
    double sample_count = 0;
  };

  RoundKey key_;
  Aggregator* aggregator_;
  AggregationRoundOptions options_;
  std::set<std::string> submitted_;
  std::set<std::string> finished_;           // folded, rejected or skipped
  std::map<std::string, Held> held_;
  Timing timing_;
  int accepted_ = 0;
  int rejected_ = 0;
  bool closed_ = false;
};

}  // namespace pancaim::coordinator
