// LocalTrainer: what a site does with one coordinator request, without any networking. Given a
// train_request or evaluate_request and its payload (the global model as safetensors), it checks
// the payload's SHA-256, builds the zoo model, loads the weights, opens the site's data for that
// model (SiteDataset, cached across rounds), trains or evaluates, and returns the reply header and
// payload. Only model weights and aggregate metrics come out; patient-level data never does.
//
// Owns its dataset cache. Not thread-safe: one owner (the agent's worker thread); zoo::Train
// seeds LibTorch's process-wide generator, so one LocalTrainer per process.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "pancaim/common/status.h"
#include "pancaim/protocol/messages.h"
#include "pancaim/site_data/site_config.h"
#include "pancaim/site_dataset/site_dataset.h"

namespace pancaim::site_runtime {

// Simulation-only misbehaviour of a site (the faults and byzantine scenarios). Never set in
// production configs; the agent logs a WARNING when one is active.
struct AgentFault {
  enum class Kind { kNone, kScale, kRandom, kDelay };
  Kind kind = Kind::kNone;
  double value = 0;  // kScale: factor on the weight change; kDelay: seconds before sending

  // "scale=K", "random", "delay=S". InvalidArgument naming the text otherwise.
  static StatusOr<AgentFault> Parse(const std::string& text);
  std::string ToString() const;
};

struct LocalTrainerOptions {
  std::string device = "auto";  // zoo device spec: "auto", "cpu", "cuda:N"
  std::int64_t threads = 0;     // CPU threads for LibTorch; 0 = its default
  AgentFault fault;
};

// A reply to send: header (a protocol message) and payload (empty for evaluate_result).
struct LocalReply {
  protocol::Message message;
  std::string payload;
  // For logs only (stays on the site): what happened, e.g. "trained 28 patients in 3.1 s".
  std::string summary;
};

// Returns true to cancel the work in progress (deadline passed, agent stopping).
using CancelCheck = std::function<bool()>;

class LocalTrainer {
 public:
  LocalTrainer(sitedata::SiteConfig config, LocalTrainerOptions options);
  ~LocalTrainer();
  LocalTrainer(const LocalTrainer&) = delete;
  LocalTrainer& operator=(const LocalTrainer&) = delete;

  // Aggregate counts of the site's data for the hello message (counts only).
  StatusOr<protocol::DatasetSummary> Summary();

  // Patients of the training split usable by `request`'s model (for the policy check before
  // training). Errors as Train's data errors.
  StatusOr<std::int64_t> TrainingPatients(const protocol::TrainRequest& request);

  // Trains on `request` (a train_request message) from `payload`. The reply is a train_result for
  // the same run and round carrying the trained weights (or, when asked, the change of every
  // floating-point tensor; integer buffers such as counters are sent as their new value).
  // Errors: DataLoss (payload hash mismatch), InvalidArgument (payload not the model's
  // safetensors, naming the tensor), Unimplemented/NotFound (no data mapping for the model),
  // FailedPrecondition (feature layout differs, no usable patient, non-finite loss), Cancelled.
  StatusOr<LocalReply> Train(const protocol::Message& request,
                             std::shared_ptr<const std::string> payload,
                             const CancelCheck& cancel);

  // Evaluates the payload model on the requested split; the reply is an evaluate_result with the
  // split's aggregate metrics (non-finite values left out). Errors as Train.
  StatusOr<LocalReply> Evaluate(const protocol::Message& request,
                                std::shared_ptr<const std::string> payload);

  const sitedata::SiteConfig& config() const { return config_; }

 private:
  StatusOr<std::shared_ptr<sitedataset::SiteDataset>> Data(const std::string& model_name,
                                                           const nlohmann::json& config,
                                                           sitedataset::Split split);

  sitedata::SiteConfig config_;
  LocalTrainerOptions options_;
  std::map<std::string, std::shared_ptr<sitedataset::SiteDataset>> datasets_;
};

}  // namespace pancaim::site_runtime
