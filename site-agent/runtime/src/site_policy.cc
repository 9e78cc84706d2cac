#include "pancaim/site_runtime/site_policy.h"

namespace pancaim::site_runtime {

SitePolicy SitePolicy::FromJson(const nlohmann::json& policy) {
  SitePolicy out;
  for (const auto& model : policy.value("allowed_models", nlohmann::json::array())) {
    out.allowed_models.insert(model.get<std::string>());
  }
  out.min_patients_per_round = policy.value("min_patients_per_round", out.min_patients_per_round);
  out.max_rounds_per_run = policy.value("max_rounds_per_run", out.max_rounds_per_run);
  out.max_payload_bytes = policy.value("max_payload_bytes", out.max_payload_bytes);
  return out;
}

std::int64_t SiteRoundCounter::joined(const std::string& run_id) const {
  auto it = rounds_.find(run_id);
  return it == rounds_.end() ? 0 : static_cast<std::int64_t>(it->second.size());
}

void SiteRoundCounter::Join(const std::string& run_id, std::int64_t round) {
  rounds_[run_id].insert(round);
}

std::optional<protocol::Decline> CheckTrainRequest(const SitePolicy& policy,
                                                   const SiteRoundCounter& counter,
                                                   const protocol::Message& request,
                                                   std::uint64_t payload_bytes,
                                                   std::int64_t training_patients) {
  const auto* train = std::get_if<protocol::TrainRequest>(&request.body);
  auto decline = [](std::string code, std::string reason) {
    protocol::Decline d;
    d.code = std::move(code);
    d.reason = std::move(reason);
    d.request_type = "train_request";
    return d;
  };
  if (train == nullptr) return decline("unsupported", "not a train_request");
  if (!policy.allowed_models.contains(train->model_name)) {
    return decline("policy", "model '" + train->model_name +
                                 "' is not in this site's policy.allowed_models");
  }
  if (payload_bytes > static_cast<std::uint64_t>(policy.max_payload_bytes)) {
    return decline("policy", "model payload of " + std::to_string(payload_bytes) +
                                 " bytes exceeds policy.max_payload_bytes " +
                                 std::to_string(policy.max_payload_bytes));
  }
  if (training_patients < policy.min_patients_per_round) {
    return decline("insufficient_data",
                   std::to_string(training_patients) +
                       " training patients, fewer than policy.min_patients_per_round " +
                       std::to_string(policy.min_patients_per_round));
  }
  // A retried or re-sent round the site already joined does not count again.
  SiteRoundCounter probe = counter;
  probe.Join(request.run_id, request.round);
  if (probe.joined(request.run_id) > policy.max_rounds_per_run) {
    return decline("policy", "site already joined " + std::to_string(counter.joined(request.run_id)) +
                                 " rounds of run " + request.run_id +
                                 " (policy.max_rounds_per_run " +
                                 std::to_string(policy.max_rounds_per_run) + ")");
  }
  return std::nullopt;
}

}  // namespace pancaim::site_runtime
