// SitePolicy: what a site agrees to run, from the `policy` section of site.json, enforced locally
// before any training starts. A request outside policy becomes a protocol::Decline whose reason
// is sent to the coordinator and logged.
//
// A plain value; Check is const and thread-safe. The per-run round counter lives in
// SiteRoundCounter (one owner: the agent's connection strand).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/protocol/messages.h"

namespace pancaim::site_runtime {

struct SitePolicy {
  std::set<std::string> allowed_models;  // empty allows none
  std::int64_t min_patients_per_round = 10;
  std::int64_t max_rounds_per_run = 100;
  std::int64_t max_payload_bytes = std::int64_t{1} << 30;

  // From the validated `policy` section of site.json (site_data::SiteConfigSchema()).
  static SitePolicy FromJson(const nlohmann::json& policy);
};

// Counts the rounds this site joined per run (a round retried by the coordinator counts once).
class SiteRoundCounter {
 public:
  // Rounds joined in `run_id` so far.
  std::int64_t joined(const std::string& run_id) const;
  // Records that the site trains round `round` of `run_id`.
  void Join(const std::string& run_id, std::int64_t round);

 private:
  std::map<std::string, std::set<std::int64_t>> rounds_;
};

// Checks a train_request (`request` with its envelope round/run and payload size) against the
// policy, given the site's training patient count. Returns std::nullopt when the site may train,
// otherwise the Decline to send (code "policy" or "insufficient_data", reason naming the limit).
std::optional<protocol::Decline> CheckTrainRequest(const SitePolicy& policy,
                                                   const SiteRoundCounter& counter,
                                                   const protocol::Message& request,
                                                   std::uint64_t payload_bytes,
                                                   std::int64_t training_patients);

}  // namespace pancaim::site_runtime
