#include "pancaim/coordinator/coordinator_config.h"

#include "pancaim/coordinator/strategy_spec.h"

namespace pancaim::coordinator {
namespace {

using config::Field;
using config::Schema;

Schema TlsSchema() {
  Schema s("Mutual TLS 1.3 material of the coordinator (PEM files).");
  s.Add("ca_file", Field::String("Consortium root CA certificate that site and operator "
                                 "certificates must chain to.")
                       .Required());
  s.Add("cert_file", Field::String("The coordinator's own certificate (role coordinator).")
                         .Required());
  s.Add("key_file", Field::String("The coordinator's private key; must not be readable by "
                                  "other users.")
                        .Required());
  s.Add("crl_file", Field::String("Certificate revocation list of the consortium CA; "
                                  "connections are refused while it is stale.")
                        .Required());
  return s;
}

Schema ServerSchema() {
  Schema s("Network endpoint and connection limits.");
  s.Add("listen_address", Field::String("Address to listen on (IPv4 or IPv6 literal).")
                              .Default("0.0.0.0"));
  s.Add("port", Field::Integer("TCP port to listen on; 0 binds a free ephemeral port, which "
                               "`serve` prints as \"listening on port N\".")
                  .Default(8443)
                  .Range(0, 65535));
  s.Add("tls", Field::Object(TlsSchema(), "TLS certificate, key, CA and CRL files.").Required());
  s.Add("crl_grace_seconds",
        Field::Integer("How long after its nextUpdate time a CRL is still accepted before "
                       "connections fail closed.")
            .Default(3600)
            .Range(0, 30 * 86400));
  s.Add("max_frame_bytes",
        Field::Integer("Largest frame accepted from a peer (checked before allocating); bounds "
                       "the size of a model update.")
            .Default(std::int64_t{4} << 30)
            .Range(1 << 16, std::int64_t{64} << 30));
  s.Add("max_header_bytes",
        Field::Integer("Largest JSON message header accepted from a peer.")
            .Default(1 << 20)
            .Range(1 << 10, 64 << 20));
  s.Add("max_unauthenticated_connections",
        Field::Integer("Connections allowed at once before the TLS handshake completes; more are "
                       "closed at accept.")
            .Default(64)
            .Range(1, 65536));
  s.Add("handshake_timeout_seconds",
        Field::Number("Deadline for a TLS handshake.").Default(10).Range(0.1, 600));
  s.Add("read_timeout_seconds",
        Field::Number("Deadline for reading one frame once its first byte arrived.")
            .Default(300)
            .Range(0.1, 86400));
  s.Add("write_timeout_seconds",
        Field::Number("Deadline for writing one frame.").Default(300).Range(0.1, 86400));
  s.Add("heartbeat_interval_seconds",
        Field::Number("Interval between heartbeats on an idle site connection.")
            .Default(15)
            .Range(0.1, 3600));
  s.Add("heartbeat_misses",
        Field::Integer("Consecutive missed heartbeats after which a site counts as disconnected.")
            .Default(3)
            .Range(1, 100));
  return s;
}

Schema StorageSchema() {
  Schema s("Where durable state lives.");
  s.Add("state_dir", Field::String("Folder holding run checkpoints (one subfolder per run), the "
                                   "site registry and, by default, the audit log.")
                         .Required());
  s.Add("audit_log", Field::String("Audit log file; relative paths are inside state_dir.")
                         .Default("audit.jsonl"));
  s.Add("spill_dir", Field::String("Folder for updates that median and trimmed mean spill to "
                                   "disk; empty means state_dir/spill.")
                         .Default(""));
  s.Add("keep_rounds", Field::Integer("Checkpoints of completed rounds kept per run (older ones "
                                      "are deleted).")
                           .Default(2)
                           .Range(1, 1000000));
  return s;
}

Schema OperatorsSchema() {
  Schema s("Who may operate the coordinator.");
  s.Add("allowed",
        Field::Array(Field::String("An operator identity as written in its certificate."),
                     "Operator identities allowed to submit, pause, resume, abort and export "
                     "runs; an empty list allows none.")
            .Default(nlohmann::json::array()));
  return s;
}

Schema StrategySchema() {
  Schema s("Aggregation strategy (docs/aggregation.md).");
  s.Add("name", Field::String("Strategy name.")
                    .Default("fedavg")
                    .OneOf({"fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad",
                            "median", "trimmed_mean"}));
  s.Add("options", Field::Any("Options of the named strategy, validated against its own schema "
                              "(docs/aggregation.md).")
                       .Default(nlohmann::json::object()));
  return s;
}

Schema RunDefaultsSchema() {
  Schema s("Values a submitted run takes when it leaves them out.");
  s.Add("min_sites", Field::Integer("Fewest accepted updates with which a round may close at its "
                                    "deadline.")
                         .Default(1)
                         .Range(1, 100000));
  s.Add("round_deadline_seconds", Field::Number("Time a round waits for updates.")
                                      .Default(3600)
                                      .Range(1, 30 * 86400));
  s.Add("max_round_retries", Field::Integer("Times a round that missed min_sites is retried "
                                            "before the run fails.")
                                 .Default(2)
                                 .Range(0, 100));
  s.Add("rejoin_wait_seconds",
        Field::Number("After `serve --resume`, the time an unfinished run waits for the sites of "
                      "its earlier rounds to reconnect before opening its next round without "
                      "them; waiting keeps the sites selected, and so the result, the same as "
                      "without the restart.")
            .Default(60)
            .Range(0, 86400));
  return s;
}

Schema ModelSchema() {
  Schema s("The model to train, from the model zoo.");
  s.Add("name", Field::String("Model name in the model zoo.").Required());
  s.Add("config", Field::Any("The model's own options, validated by the model zoo.")
                      .Default(nlohmann::json::object()));
  return s;
}

Schema TrainingSchema() {
  Schema s("Local training hyperparameters sent to sites with every round.");
  s.Add("epochs", Field::Integer("Local epochs per round.").Default(1).Range(1, 1000));
  s.Add("batch_size", Field::Integer("Local mini-batch size.").Default(32).Range(1, 1 << 16));
  s.Add("learning_rate", Field::Number("Local optimiser learning rate.").Default(0.01).Min(0));
  s.Add("optimizer", Field::String("Local optimiser.").Default("sgd").OneOf({"sgd", "adam"}));
  s.Add("momentum", Field::Number("Local SGD momentum.").Default(0.9).Range(0, 0.999999));
  s.Add("weight_decay", Field::Number("Local L2 weight decay.").Default(0.0).Min(0));
  s.Add("max_steps", Field::Integer("Cap on local optimiser steps per round; 0 = no cap.")
                         .Default(0)
                         .Min(0));
  return s;
}

Schema BuildCoordinatorConfigSchema() {
  Schema s("Configuration of pancaim-coordinator (coordinator.json).");
  s.Add("server", Field::Object(ServerSchema(), "Network endpoint, TLS and limits.").Required());
  s.Add("storage", Field::Object(StorageSchema(), "Durable state.").Required());
  s.Add("operators", Field::Object(OperatorsSchema(), "Operator access.")
                         .Default(nlohmann::json::object()));
  s.Add("run_defaults", Field::Object(RunDefaultsSchema(), "Defaults for submitted runs.")
                            .Default(nlohmann::json::object()));
  return s;
}

Schema BuildRunSpecSchema() {
  Schema s("A training run as submitted by an operator (RUN.json).");
  s.Add("name", Field::String("Human-readable run name (the run id is assigned by the "
                              "coordinator).")
                    .Default(""));
  s.Add("model", Field::Object(ModelSchema(), "Model from the zoo and its options.").Required());
  s.Add("rounds", Field::Integer("Number of federated rounds.").Required().Range(1, 1000000));
  s.Add("sites", Field::Array(Field::String("A site id."),
                              "Sites taking part; empty means every registered site.")
                     .Default(nlohmann::json::array()));
  s.Add("fraction_per_round",
        Field::Number("Fraction of the taking-part sites selected each round (at least "
                      "min_sites, chosen with the run's seeded RNG).")
            .Default(1.0)
            .Range(0.000001, 1));
  s.Add("min_sites", Field::Integer("Fewest accepted updates with which a round may close at "
                                    "its deadline; 0 takes run_defaults.min_sites.")
                         .Default(0)
                         .Range(0, 100000));
  s.Add("round_deadline_seconds",
        Field::Number("Time a round waits for updates; 0 takes "
                      "run_defaults.round_deadline_seconds.")
            .Default(0)
            .Range(0, 30 * 86400));
  s.Add("strategy", Field::Object(StrategySchema(), "Aggregation strategy and its options.")
                        .Default(nlohmann::json::object()));
  s.Add("evaluate_every", Field::Integer("Run federated evaluation every k rounds (and after the "
                                         "last); 0 = only after the last.")
                              .Default(1)
                              .Range(0, 1000000));
  s.Add("seed", Field::Integer("Seed of the run's RNG (site selection) and of the sites' "
                               "training; same seed, same results on CPU.")
                    .Default(0)
                    .Min(0));
  s.Add("training", Field::Object(TrainingSchema(), "Local training hyperparameters.")
                        .Default(nlohmann::json::object()));
  return s;
}

}  // namespace

const config::Schema& CoordinatorConfigSchema() {
  static const auto* schema = new Schema(BuildCoordinatorConfigSchema());
  return *schema;
}

const config::Schema& RunSpecSchema() {
  static const auto* schema = new Schema(BuildRunSpecSchema());
  return *schema;
}

StatusOr<nlohmann::json> ValidateRunSpec(const nlohmann::json& spec) {
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json valid, RunSpecSchema().Validate(spec));
  const nlohmann::json& strategy = valid["strategy"];
  PANCAIM_ASSIGN_OR_RETURN(
      StrategySpec parsed,
      ParseStrategySpec(strategy["name"].get<std::string>(), strategy["options"]));
  valid["strategy"]["options"] = parsed.options;
  return valid;
}

}  // namespace pancaim::coordinator
