#include "pancaim/coordinator/strategy_spec.h"

#include <map>

namespace pancaim::coordinator {
namespace {

using config::Field;
using config::Schema;

void AddCommon(Schema& schema) {
  schema.Add("clip_norm",
             Field::Number("L2 bound on each update's parameter delta (update minus global); "
                           "larger deltas are scaled down to it before folding; 0 disables.")
                 .Default(0.0)
                 .Min(0));
  schema.Add("buffer_suffixes",
             Field::Array(Field::String("A tensor name suffix."),
                          "Floating-point tensors whose name ends with one of these are buffers: "
                          "averaged by sample weight but never clipped or moved by a server "
                          "optimiser.")
                 .Default(nlohmann::json::array({".running_mean", ".running_var"})));
}

void AddAccumulator(Schema& schema) {
  schema.Add("accumulator",
             Field::String("Precision of the running weighted sum: float32 keeps memory at one "
                           "model size, float64 doubles it for a sum nearly independent of "
                           "arrival order.")
                 .Default("float32")
                 .OneOf({"float32", "float64"}));
}

void AddRobust(Schema& schema) {
  schema.Add("max_in_memory_mb",
             Field::Integer("Updates are kept in memory up to this many MiB in total; further "
                            "updates are spilled to files in the run's spill folder.")
                 .Default(4096)
                 .Range(0, 1 << 24));
}

void AddAdaptive(Schema& schema, bool with_beta2) {
  schema.Add("eta", Field::Number("Server learning rate.").Default(0.01).Min(0));
  schema.Add("beta1",
             Field::Number("Decay of the first moment (momentum) of the pseudo-gradient.")
                 .Default(0.9)
                 .Range(0, 0.999999));
  if (with_beta2) {
    schema.Add("beta2",
               Field::Number("Decay of the second moment of the pseudo-gradient.")
                   .Default(0.99)
                   .Range(0, 0.999999));
  }
  schema.Add("tau",
             Field::Number("Degree of adaptivity: added to sqrt(v) in the denominator; v starts "
                           "at tau^2.")
                 .Default(1e-3)
                 .Min(1e-12));
}

std::map<std::string, Schema, std::less<>> BuildSchemas() {
  std::map<std::string, Schema, std::less<>> schemas;
  {
    Schema s("FedAvg: the new global model is the sample-count-weighted mean of the updates.");
    AddCommon(s);
    AddAccumulator(s);
    schemas.emplace("fedavg", std::move(s));
  }
  {
    Schema s("FedProx: sites add (mu/2)||w - w_global||^2 to their loss; the server is FedAvg.");
    s.Add("mu", Field::Number("Proximal term coefficient sent to sites in the round config.")
                    .Default(0.01)
                    .Min(0));
    AddCommon(s);
    AddAccumulator(s);
    schemas.emplace("fedprox", std::move(s));
  }
  {
    Schema s("FedAvgM: server SGD with momentum on the pseudo-gradient (global - mean).");
    s.Add("eta", Field::Number("Server learning rate.").Default(1.0).Min(0));
    s.Add("momentum", Field::Number("Server momentum.").Default(0.9).Range(0, 0.999999));
    AddCommon(s);
    AddAccumulator(s);
    schemas.emplace("fedavgm", std::move(s));
  }
  for (const char* name : {"fedadam", "fedyogi", "fedadagrad"}) {
    Schema s(std::string(name) + ": adaptive server optimiser (Reddi et al. 2021).");
    AddAdaptive(s, std::string_view(name) != "fedadagrad");
    AddCommon(s);
    AddAccumulator(s);
    schemas.emplace(name, std::move(s));
  }
  {
    Schema s("Coordinate-wise median of the updates, unweighted; holds all updates of a round.");
    AddCommon(s);
    AddRobust(s);
    schemas.emplace("median", std::move(s));
  }
  {
    Schema s("Coordinate-wise trimmed mean, unweighted; holds all updates of a round.");
    s.Add("trim_fraction",
          Field::Number("Fraction of the updates dropped at each end of every coordinate "
                        "(rounded down to whole updates).")
              .Default(0.1)
              .Range(0, 0.49));
    AddCommon(s);
    AddRobust(s);
    schemas.emplace("trimmed_mean", std::move(s));
  }
  return schemas;
}

const std::map<std::string, Schema, std::less<>>& Schemas() {
  static const auto* schemas = new std::map<std::string, Schema, std::less<>>(BuildSchemas());
  return *schemas;
}

}  // namespace

const std::vector<std::string>& StrategyNames() {
  static const auto* names = new std::vector<std::string>{
      "fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad", "median",
      "trimmed_mean"};
  return *names;
}

StatusOr<const config::Schema*> StrategyOptionsSchema(std::string_view name) {
  auto it = Schemas().find(name);
  if (it == Schemas().end()) {
    std::string known;
    for (const std::string& n : StrategyNames()) known += (known.empty() ? "" : ", ") + n;
    return NotFoundError("unknown strategy '" + std::string(name) + "' (known: " + known + ")");
  }
  return &it->second;
}

nlohmann::json StrategySpec::RoundConfigForSites() const {
  nlohmann::json extra = nlohmann::json::object();
  if (name == "fedprox") extra["proximal_mu"] = proximal_mu;
  return extra;
}

StatusOr<StrategySpec> ParseStrategySpec(std::string_view name, const nlohmann::json& options) {
  PANCAIM_ASSIGN_OR_RETURN(const config::Schema* schema, StrategyOptionsSchema(name));
  nlohmann::json given = options.is_null() ? nlohmann::json::object() : options;
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json valid, schema->Validate(given, "strategy.options"));

  StrategySpec spec;
  spec.name = std::string(name);
  spec.options = valid;
  spec.clip_norm = valid.at("clip_norm").get<double>();
  spec.buffer_suffixes = valid.at("buffer_suffixes").get<std::vector<std::string>>();
  if (valid.contains("accumulator")) {
    spec.accumulate_float64 = valid.at("accumulator").get<std::string>() == "float64";
  }
  if (valid.contains("max_in_memory_mb")) {
    spec.max_in_memory_bytes = valid.at("max_in_memory_mb").get<std::uint64_t>() << 20;
  }
  auto number = [&](const char* key, double& out) {
    if (valid.contains(key)) out = valid.at(key).get<double>();
  };
  number("eta", spec.eta);
  number("momentum", spec.momentum);
  number("beta1", spec.beta1);
  number("beta2", spec.beta2);
  number("tau", spec.tau);
  number("mu", spec.proximal_mu);
  number("trim_fraction", spec.trim_fraction);

  if (name == "fedavgm") spec.optimizer = ServerOptimizerKind::kMomentum;
  if (name == "fedadam") spec.optimizer = ServerOptimizerKind::kAdam;
  if (name == "fedyogi") spec.optimizer = ServerOptimizerKind::kYogi;
  if (name == "fedadagrad") spec.optimizer = ServerOptimizerKind::kAdagrad;
  if (name == "median") spec.reducer = ReducerKind::kMedian;
  if (name == "trimmed_mean") spec.reducer = ReducerKind::kTrimmedMean;
  return spec;
}

}  // namespace pancaim::coordinator
