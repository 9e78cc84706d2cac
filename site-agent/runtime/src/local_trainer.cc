#include "pancaim/site_runtime/local_trainer.h"

#include <chrono>
#include <cmath>
#include <sstream>
#include <thread>

#include <torch/torch.h>

#include "pancaim/common/log.h"
#include "pancaim/crypto/sha256.h"
#include "pancaim/model_zoo/evaluate.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/model_zoo/trainer.h"
#include "pancaim/site_runtime/dataset_for_model.h"
#include "pancaim/tensorio/tensor_map.h"

namespace pancaim::site_runtime {
namespace {

using sitedataset::SiteDataset;
using sitedataset::Split;

Status CheckPayloadHash(const std::string& payload, const std::string& expected) {
  const std::string actual = crypto::Sha256Hex(payload);
  if (actual != expected) {
    return DataLossError("model payload has SHA-256 " + actual + " but the request names " +
                         expected);
  }
  return Status::Ok();
}

// Builds `name` with `config` and loads the payload's weights into it.
StatusOr<zoo::ZooModel> LoadModel(const std::string& name, const nlohmann::json& config,
                                  const std::shared_ptr<const std::string>& payload,
                                  tensorio::TensorMap* weights) {
  PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel model, zoo::CreateModel(name, config));
  PANCAIM_ASSIGN_OR_RETURN(tensorio::DecodedTensors decoded, tensorio::DecodeSafetensors(payload));
  if (Status loaded = tensorio::LoadStateDict(*model.module, decoded.tensors); !loaded.ok()) {
    return loaded.WithContext("global model payload");
  }
  if (weights != nullptr) *weights = std::move(decoded.tensors);
  return model;
}

protocol::Metrics FiniteMetrics(const std::map<std::string, double>& metrics) {
  protocol::Metrics out;
  for (const auto& [name, value] : metrics) {
    if (std::isfinite(value)) out[name] = value;
  }
  return out;
}

bool SleepUnlessCancelled(double seconds, const CancelCheck& cancel) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  while (std::chrono::steady_clock::now() < until) {
    if (cancel && cancel()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace

StatusOr<AgentFault> AgentFault::Parse(const std::string& text) {
  AgentFault fault;
  const auto number = [&](std::string_view prefix) -> StatusOr<double> {
    try {
      std::size_t used = 0;
      const std::string rest = text.substr(prefix.size());
      const double value = std::stod(rest, &used);
      if (used == rest.size() && std::isfinite(value)) return value;
    } catch (const std::exception&) {
    }
    return InvalidArgumentError("fault '" + text + "': expected a number after '" +
                                std::string(prefix) + "'");
  };
  if (text == "random") {
    fault.kind = Kind::kRandom;
  } else if (text.rfind("scale=", 0) == 0) {
    fault.kind = Kind::kScale;
    PANCAIM_ASSIGN_OR_RETURN(fault.value, number("scale="));
  } else if (text.rfind("delay=", 0) == 0) {
    fault.kind = Kind::kDelay;
    PANCAIM_ASSIGN_OR_RETURN(fault.value, number("delay="));
    if (fault.value < 0) return InvalidArgumentError("fault '" + text + "': negative delay");
  } else {
    return InvalidArgumentError("fault '" + text + "': expected scale=K, random or delay=SECONDS");
  }
  return fault;
}

std::string AgentFault::ToString() const {
  std::ostringstream out;
  switch (kind) {
    case Kind::kNone: return "none";
    case Kind::kRandom: return "random";
    case Kind::kScale: out << "scale=" << value; break;
    case Kind::kDelay: out << "delay=" << value; break;
  }
  return out.str();
}

LocalTrainer::LocalTrainer(sitedata::SiteConfig config, LocalTrainerOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

LocalTrainer::~LocalTrainer() = default;

StatusOr<std::shared_ptr<SiteDataset>> LocalTrainer::Data(const std::string& model_name,
                                                          const nlohmann::json& config,
                                                          Split split) {
  const std::string key = model_name + "|" + config.dump() + "|";
  if (auto it = datasets_.find(key + std::string(sitedata::SplitName(split))); it != datasets_.end()) return it->second;
  PANCAIM_ASSIGN_OR_RETURN(sitedataset::SiteDatasetOptions options,
                           DatasetOptionsForModel(model_name, config));
  std::shared_ptr<SiteDataset> train;
  if (auto it = datasets_.find(key + "train"); it != datasets_.end()) {
    train = it->second;
  } else {
    PANCAIM_ASSIGN_OR_RETURN(std::unique_ptr<SiteDataset> opened,
                             SiteDataset::Open(config_, Split::kTrain, options));
    train = std::move(opened);
    PANCAIM_RETURN_IF_ERROR(CheckFeatureLayout(*train, model_name, config));
    datasets_[key + "train"] = train;
    PANCAIM_LOG(INFO) << "opened the training split for " << model_name << ": " << train->Size()
                      << " patients (" << options.modalities.ToString() << ")";
  }
  if (split == Split::kTrain) return train;
  // Held-out splits are normalised with the training split's statistics, never their own.
  options.clinical_stats = train->clinical_stats();
  PANCAIM_ASSIGN_OR_RETURN(std::unique_ptr<SiteDataset> opened,
                           SiteDataset::Open(config_, split, options));
  std::shared_ptr<SiteDataset> held_out = std::move(opened);
  datasets_[key + std::string(sitedata::SplitName(split))] = held_out;
  return held_out;
}

StatusOr<protocol::DatasetSummary> LocalTrainer::Summary() {
  sitedataset::SiteDatasetOptions options;
  options.modalities = sitedataset::ModalitySet::None();
  options.modalities.clinical = true;
  PANCAIM_ASSIGN_OR_RETURN(std::unique_ptr<SiteDataset> data,
                           SiteDataset::Open(config_, Split::kTrain, options));
  const sitedataset::DatasetSummary summary = data->summary();
  protocol::DatasetSummary out;
  const auto count = [&](const char* split) {
    auto it = summary.patients_per_split.find(split);
    return it == summary.patients_per_split.end() ? std::int64_t{0} : it->second;
  };
  out.num_train = count("train");
  out.num_validation = count("validation");
  out.num_test = count("test");
  out.num_patients = out.num_train + out.num_validation + out.num_test;
  out.modality_counts = summary.declared;
  return out;
}

StatusOr<std::int64_t> LocalTrainer::TrainingPatients(const protocol::TrainRequest& request) {
  PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel model,
                           zoo::CreateModel(request.model_name, request.model_config));
  PANCAIM_ASSIGN_OR_RETURN(auto train, Data(model.name, model.config, Split::kTrain));
  return train->Size();
}

StatusOr<LocalReply> LocalTrainer::Train(const protocol::Message& request,
                                         std::shared_ptr<const std::string> payload,
                                         const CancelCheck& cancel) {
  const auto* train_request = std::get_if<protocol::TrainRequest>(&request.body);
  PANCAIM_CHECK(train_request != nullptr);
  PANCAIM_CHECK(payload != nullptr);
  PANCAIM_RETURN_IF_ERROR(CheckPayloadHash(*payload, train_request->base_model_sha256));
  tensorio::TensorMap base;
  PANCAIM_ASSIGN_OR_RETURN(
      zoo::ZooModel model,
      LoadModel(train_request->model_name, train_request->model_config, payload, &base));
  PANCAIM_ASSIGN_OR_RETURN(std::shared_ptr<SiteDataset> train,
                           Data(model.name, model.config, Split::kTrain));
  if (train->Size() == 0) {
    return FailedPreconditionError("site '" + config_.site_id + "' has no training patient for " +
                                   model.name);
  }
  train->set_epoch(static_cast<std::uint64_t>(request.round));

  const protocol::Hyperparameters& hp = train_request->hyperparameters;
  zoo::TrainOptions options;
  options.epochs = hp.epochs;
  options.max_steps = hp.local_steps;
  options.batch_size = hp.batch_size;
  options.optimizer = hp.optimizer;
  options.learning_rate = hp.learning_rate;
  options.momentum = hp.momentum;
  options.weight_decay = hp.weight_decay;
  options.fedprox_mu = hp.proximal_mu;
  options.seed = static_cast<std::uint64_t>(hp.seed);
  options.device = options_.device;
  options.threads = options_.threads;
  const zoo::StepCallback on_step = [&](std::int64_t, std::int64_t, double) {
    return !(cancel && cancel());
  };
  PANCAIM_ASSIGN_OR_RETURN(zoo::TrainResult trained,
                           zoo::Train(model, *train, options, nullptr, on_step));

  tensorio::TensorMap out;
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : tensorio::StateDict(*model.module)) {
      torch::Tensor value = tensor.to(torch::kCPU);
      const torch::Tensor& before = base.at(name);
      if (value.is_floating_point()) {
        switch (options_.fault.kind) {
          case AgentFault::Kind::kScale:
            value = before + (value - before) * options_.fault.value;
            break;
          case AgentFault::Kind::kRandom:
            value = torch::randn_like(value);
            break;
          default:
            break;
        }
        if (train_request->update_kind == protocol::UpdateKind::kDelta) value = value - before;
      }
      out[name] = value.contiguous();
    }
  }
  if (options_.fault.kind == AgentFault::Kind::kDelay &&
      !SleepUnlessCancelled(options_.fault.value, cancel)) {
    return CancelledError("cancelled during the simulated delay");
  }
  if (cancel && cancel()) return CancelledError("cancelled after training");

  LocalReply reply;
  PANCAIM_ASSIGN_OR_RETURN(reply.payload, tensorio::EncodeSafetensors(out));
  protocol::TrainResult result;
  result.base_model_sha256 = train_request->base_model_sha256;
  result.update_kind = train_request->update_kind;
  result.num_samples = train->Size();
  result.metrics = FiniteMetrics({{"train_loss", trained.final_loss},
                                  {"train_loss_first", trained.first_loss},
                                  {"train_seconds", trained.seconds}});
  result.payload_sha256 = crypto::Sha256Hex(reply.payload);
  result.encoding = protocol::Encoding::kPlain;
  reply.message.run_id = request.run_id;
  reply.message.round = request.round;
  reply.message.sender_role = protocol::Role::kSite;
  reply.message.body = std::move(result);
  std::ostringstream summary;
  summary << "trained " << model.name << " on " << train->Size() << " patients, " << trained.steps
          << " steps in " << trained.seconds << " s on " << trained.device << ", loss "
          << trained.first_loss << " -> " << trained.final_loss;
  reply.summary = summary.str();
  return reply;
}

StatusOr<LocalReply> LocalTrainer::Evaluate(const protocol::Message& request,
                                            std::shared_ptr<const std::string> payload) {
  const auto* evaluate = std::get_if<protocol::EvaluateRequest>(&request.body);
  PANCAIM_CHECK(evaluate != nullptr);
  PANCAIM_CHECK(payload != nullptr);
  PANCAIM_RETURN_IF_ERROR(CheckPayloadHash(*payload, evaluate->model_sha256));
  Split split;
  if (evaluate->split == "validation") {
    split = Split::kValidation;
  } else if (evaluate->split == "test") {
    split = Split::kTest;
  } else {
    return InvalidArgumentError("evaluate_request: split '" + evaluate->split +
                                "' is not 'validation' or 'test'");
  }
  PANCAIM_ASSIGN_OR_RETURN(
      zoo::ZooModel model,
      LoadModel(evaluate->model_name, evaluate->model_config, payload, nullptr));
  PANCAIM_ASSIGN_OR_RETURN(std::shared_ptr<SiteDataset> data,
                           Data(model.name, model.config, split));
  if (data->Size() == 0) {
    return FailedPreconditionError("site '" + config_.site_id + "' has no " + evaluate->split +
                                   " patient for " + model.name);
  }
  zoo::EvalOptions options;
  options.batch_size = evaluate->batch_size;
  options.device = options_.device;
  PANCAIM_ASSIGN_OR_RETURN(zoo::EvalReport report, zoo::Evaluate(model, *data, options));
  protocol::EvaluateResult result;
  result.model_sha256 = evaluate->model_sha256;
  result.split = evaluate->split;
  result.num_samples = data->Size();
  result.metrics = FiniteMetrics(report.metrics);
  LocalReply reply;
  reply.message.run_id = request.run_id;
  reply.message.round = request.round;
  reply.message.sender_role = protocol::Role::kSite;
  std::ostringstream summary;
  summary << "evaluated " << model.name << " on " << data->Size() << " " << evaluate->split
          << " patients:";
  for (const auto& [name, value] : result.metrics) summary << " " << name << "=" << value;
  reply.summary = summary.str();
  reply.message.body = std::move(result);
  return reply;
}

}  // namespace pancaim::site_runtime
