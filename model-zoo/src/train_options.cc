// TrainOptions <-> JSON (round configs from the coordinator), validated by common's config::Schema.
#include <nlohmann/json.hpp>

#include "pancaim/model_zoo/trainer.h"

namespace pancaim::zoo {

using config::Field;
using config::Schema;

const Schema& TrainOptionsSchema() {
  static const Schema schema = [] {
    TrainOptions d;
    Schema s("Local training options (one federated round at a site).");
    s.Add("epochs", Field::Integer("Passes over the local data (ignored when max_steps > 0).").Default(d.epochs).Range(0, 100000))
        .Add("max_steps", Field::Integer("Exact number of optimizer steps instead of epochs (0 = use epochs).").Default(d.max_steps).Range(0, 100000000))
        .Add("batch_size", Field::Integer("Samples per step.").Default(d.batch_size).Range(1, 65536))
        .Add("shuffle", Field::Boolean("Shuffle the data each epoch (seeded).").Default(d.shuffle))
        .Add("drop_last", Field::Boolean("Drop a final partial batch.").Default(d.drop_last))
        .Add("optimizer", Field::String("Optimizer.").Default(d.optimizer).OneOf({"sgd", "adam", "adamw"}))
        .Add("learning_rate", Field::Number("Peak learning rate.").Default(d.learning_rate).Range(1e-12, 100))
        .Add("momentum", Field::Number("SGD momentum.").Default(d.momentum).Range(0, 0.9999))
        .Add("nesterov", Field::Boolean("Nesterov momentum (SGD).").Default(d.nesterov))
        .Add("beta1", Field::Number("Adam/AdamW beta1.").Default(d.beta1).Range(0, 0.9999))
        .Add("beta2", Field::Number("Adam/AdamW beta2.").Default(d.beta2).Range(0, 0.999999))
        .Add("epsilon", Field::Number("Adam/AdamW epsilon.").Default(d.epsilon).Range(1e-16, 1))
        .Add("weight_decay", Field::Number("Weight decay (L2 for sgd/adam, decoupled for adamw).").Default(d.weight_decay).Range(0, 10))
        .Add("lr_schedule", Field::String("Learning-rate schedule after warmup.").Default(d.lr_schedule).OneOf({"constant", "cosine", "step"}))
        .Add("warmup_steps", Field::Integer("Linear warmup steps.").Default(d.warmup_steps).Range(0, 100000000))
        .Add("lr_step_size", Field::Integer("Steps between decays (schedule 'step').").Default(d.lr_step_size).Range(1, 100000000))
        .Add("lr_gamma", Field::Number("Decay factor (schedule 'step').").Default(d.lr_gamma).Range(0, 1))
        .Add("lr_min_factor", Field::Number("Final fraction of the learning rate (schedule 'cosine').").Default(d.lr_min_factor).Range(0, 1))
        .Add("grad_clip_norm", Field::Number("Clip the global gradient norm to this (0 = off).").Default(d.grad_clip_norm).Range(0, 1e6))
        .Add("fedprox_mu", Field::Number("FedProx proximal coefficient mu (0 = plain FedAvg local training).").Default(d.fedprox_mu).Range(0, 1e6))
        .Add("seed", Field::Integer("Seed for initialisation-independent randomness: shuffling, dropout.").Default(0).Min(0))
        .Add("device", Field::String("auto, cpu, cuda or cuda:N.").Default(d.device))
        .Add("mixed_precision", Field::Boolean("bfloat16 autocast on CUDA (ignored on CPU).").Default(d.mixed_precision))
        .Add("threads", Field::Integer("CPU intra-op threads (0 = LibTorch default).").Default(d.threads).Range(0, 1024))
        .Add("data_parallel", Field::Boolean("Use every visible GPU (device auto or cuda).").Default(d.data_parallel))
        .Add("show_progress", Field::Boolean("Show a progress line on stderr.").Default(d.show_progress));
    return s;
  }();
  return schema;
}

StatusOr<TrainOptions> ParseTrainOptions(const nlohmann::json& json) {
  StatusOr<nlohmann::json> validated = TrainOptionsSchema().Validate(json);
  if (!validated.ok()) return validated.status().WithContext("training options");
  const nlohmann::json& c = *validated;
  TrainOptions o;
  o.epochs = c["epochs"];
  o.max_steps = c["max_steps"];
  o.batch_size = c["batch_size"];
  o.shuffle = c["shuffle"];
  o.drop_last = c["drop_last"];
  o.optimizer = c["optimizer"];
  o.learning_rate = c["learning_rate"];
  o.momentum = c["momentum"];
  o.nesterov = c["nesterov"];
  o.beta1 = c["beta1"];
  o.beta2 = c["beta2"];
  o.epsilon = c["epsilon"];
  o.weight_decay = c["weight_decay"];
  o.lr_schedule = c["lr_schedule"];
  o.warmup_steps = c["warmup_steps"];
  o.lr_step_size = c["lr_step_size"];
  o.lr_gamma = c["lr_gamma"];
  o.lr_min_factor = c["lr_min_factor"];
  o.grad_clip_norm = c["grad_clip_norm"];
  o.fedprox_mu = c["fedprox_mu"];
  o.seed = c["seed"].get<std::uint64_t>();
  o.device = c["device"];
  o.mixed_precision = c["mixed_precision"];
  o.threads = c["threads"];
  o.data_parallel = c["data_parallel"];
  o.show_progress = c["show_progress"];
  if (o.epochs == 0 && o.max_steps == 0) {
    return InvalidArgumentError("training options: key 'epochs': epochs or max_steps must be > 0");
  }
  return o;
}

}  // namespace pancaim::zoo
