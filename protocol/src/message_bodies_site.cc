// Bodies of the messages exchanged between a site and the coordinator.
#include "message_bodies.h"
#include "message_fields.h"

namespace pancaim::protocol::internal {
namespace {

using config::Field;
using config::Schema;
using nlohmann::json;

Field UpdateKindField(std::string doc) {
  return Field::String(std::move(doc)).OneOf({"weights", "delta"}).Default("delta");
}

// Parses an encoding that passed OneOf("plain", "masked").
StatusOr<Encoding> ParseEncoding(const json& value, const std::string& path) {
  if (value.get_ref<const std::string&>() == "masked") {
    return UnimplementedError("key '" + path +
                              "': 'masked' is reserved for secure aggregation and not implemented "
                              "yet; use 'plain'");
  }
  return Encoding::kPlain;
}

Field EncodingField() {
  return Field::String("Update encoding: plain; masked is reserved for secure aggregation")
      .OneOf({"plain", "masked"})
      .Default("plain");
}

UpdateKind ParseUpdateKind(const json& value) {
  return value.get_ref<const std::string&>() == "weights" ? UpdateKind::kWeights
                                                         : UpdateKind::kDelta;
}

Field CountField(std::string doc) {
  return Field::Integer(std::move(doc)).Required().Range(0, kMaxCount);
}

Field ModelConfigField() {
  return Field::Any("The model's own options (a JSON object), validated by the model zoo")
      .Default(json::object());
}

Schema HyperparametersSchema() {
  Schema schema("Local training settings for one round.");
  schema.Add("epochs", Field::Integer("Full passes over the local training split").Required()
                           .Range(0, 10000));
  schema.Add("local_steps", Field::Integer("When > 0, this many optimizer steps instead of epochs")
                                .Default(0).Range(0, 1e9));
  schema.Add("batch_size", Field::Integer("Examples per step").Required().Range(1, 1e6));
  schema.Add("optimizer", Field::String("Local optimizer").Required().OneOf({"sgd", "adam", "adamw"}));
  schema.Add("learning_rate", Field::Number("Learning rate").Required().Range(0, 100));
  schema.Add("momentum", Field::Number("SGD momentum").Default(0.0).Range(0, 1));
  schema.Add("weight_decay", Field::Number("L2 weight decay").Default(0.0).Range(0, 1000));
  schema.Add("proximal_mu", Field::Number("FedProx proximal coefficient; 0 = FedAvg")
                                .Default(0.0).Range(0, 1e6));
  schema.Add("seed", Field::Integer("Seed of the site's random generators").Required()
                         .Range(0, kMaxExactInteger));
  return schema;
}

StatusOr<Hyperparameters> ParseHyperparameters(const json& value) {
  Hyperparameters out;
  out.epochs = value.at("epochs").get<std::int64_t>();
  out.local_steps = value.at("local_steps").get<std::int64_t>();
  out.batch_size = value.at("batch_size").get<std::int64_t>();
  out.optimizer = value.at("optimizer").get<std::string>();
  out.learning_rate = value.at("learning_rate").get<double>();
  out.momentum = value.at("momentum").get<double>();
  out.weight_decay = value.at("weight_decay").get<double>();
  out.proximal_mu = value.at("proximal_mu").get<double>();
  out.seed = value.at("seed").get<std::int64_t>();
  if (out.epochs == 0 && out.local_steps == 0) {
    return KeyError("hyperparameters", "one of 'epochs' and 'local_steps' must be > 0");
  }
  return out;
}

json HyperparametersToJson(const Hyperparameters& h) {
  return {{"epochs", h.epochs},
          {"local_steps", h.local_steps},
          {"batch_size", h.batch_size},
          {"optimizer", h.optimizer},
          {"learning_rate", h.learning_rate},
          {"momentum", h.momentum},
          {"weight_decay", h.weight_decay},
          {"proximal_mu", h.proximal_mu},
          {"seed", h.seed}};
}

Schema DatasetSchema() {
  Schema schema("Aggregate counts of the site's data; never anything about one patient.");
  schema.Add("num_patients", CountField("Patients in the site's manifest"));
  schema.Add("num_train", CountField("Patients in the training split"));
  schema.Add("num_validation", CountField("Patients in the validation split"));
  schema.Add("num_test", CountField("Patients in the test split"));
  schema.Add("modality_counts",
             Field::Any("Patients having each modality, e.g. {\"ct\": 120} (object of counts)")
                 .Default(json::object()));
  return schema;
}

}  // namespace

// ---- hello ----
void AddBodyFields(Schema& schema, Tag<Hello>) {
  schema.Add("software_version", Field::String("Site agent version").Required());
  schema.Add("device", Field::String("Training device, e.g. cpu or cuda:0").Required());
  schema.Add("encodings", Field::Array(Field::String("An update encoding").OneOf({"plain", "masked"}),
                                       "Update encodings the site can produce")
                              .Default(json::array({"plain"}))
                              .MinItems(1));
  schema.Add("dataset", Field::Object(DatasetSchema(), "Dataset summary").Required());
}
void BodyToJson(const Hello& body, json& out) {
  out["software_version"] = body.software_version;
  out["device"] = body.device;
  out["encodings"] = body.encodings;
  out["dataset"] = {{"num_patients", body.dataset.num_patients},
                    {"num_train", body.dataset.num_train},
                    {"num_validation", body.dataset.num_validation},
                    {"num_test", body.dataset.num_test},
                    {"modality_counts", body.dataset.modality_counts}};
}
StatusOr<Hello> BodyFromJson(const json& header, Tag<Hello>) {
  Hello body;
  body.software_version = header.at("software_version").get<std::string>();
  body.device = header.at("device").get<std::string>();
  body.encodings = header.at("encodings").get<std::vector<std::string>>();
  const json& dataset = header.at("dataset");
  body.dataset.num_patients = dataset.at("num_patients").get<std::int64_t>();
  body.dataset.num_train = dataset.at("num_train").get<std::int64_t>();
  body.dataset.num_validation = dataset.at("num_validation").get<std::int64_t>();
  body.dataset.num_test = dataset.at("num_test").get<std::int64_t>();
  PANCAIM_ASSIGN_OR_RETURN(body.dataset.modality_counts,
                           ParseCounts(dataset.at("modality_counts"), "dataset.modality_counts"));
  return body;
}

// ---- welcome ----
void AddBodyFields(Schema& schema, Tag<Welcome>) {
  schema.Add("site_id", Field::String("Site identity read from its certificate").Required());
  schema.Add("software_version", Field::String("Coordinator version").Required());
  schema.Add("heartbeat_interval_ms", Field::Integer("How often the site sends a heartbeat")
                                          .Default(10000).Range(100, 3600000));
}
void BodyToJson(const Welcome& body, json& out) {
  out["site_id"] = body.site_id;
  out["software_version"] = body.software_version;
  out["heartbeat_interval_ms"] = body.heartbeat_interval_ms;
}
StatusOr<Welcome> BodyFromJson(const json& header, Tag<Welcome>) {
  Welcome body;
  body.site_id = header.at("site_id").get<std::string>();
  body.software_version = header.at("software_version").get<std::string>();
  body.heartbeat_interval_ms = header.at("heartbeat_interval_ms").get<std::int64_t>();
  return body;
}

// ---- heartbeat ----
void AddBodyFields(Schema& schema, Tag<Heartbeat>) {
  schema.Add("sequence", Field::Integer("Increases by one per heartbeat on a connection")
                             .Required().Range(0, kMaxExactInteger));
  schema.Add("state", Field::String("What the sender is doing")
                          .OneOf({"idle", "training", "evaluating"}).Default("idle"));
}
void BodyToJson(const Heartbeat& body, json& out) {
  out["sequence"] = body.sequence;
  out["state"] = body.state;
}
StatusOr<Heartbeat> BodyFromJson(const json& header, Tag<Heartbeat>) {
  Heartbeat body;
  body.sequence = header.at("sequence").get<std::int64_t>();
  body.state = header.at("state").get<std::string>();
  return body;
}

// ---- train_request ----
void AddBodyFields(Schema& schema, Tag<TrainRequest>) {
  schema.Add("model_name", Field::String("Model-zoo name of the model to train").Required());
  schema.Add("model_config", ModelConfigField());
  schema.Add("base_model_sha256", Sha256Field("Digest of the payload (the global model)"));
  schema.Add("hyperparameters", Field::Object(HyperparametersSchema(), "Local training settings")
                                    .Required());
  schema.Add("update_kind", UpdateKindField("What the site sends back: weights or delta"));
  schema.Add("encoding", EncodingField());
  schema.Add("deadline_ms", Field::Integer("Time budget from receipt; 0 = none")
                                .Default(0).Range(0, 7 * 24 * 3600 * 1000.0));
}
void BodyToJson(const TrainRequest& body, json& out) {
  out["model_name"] = body.model_name;
  out["model_config"] = body.model_config;
  out["base_model_sha256"] = body.base_model_sha256;
  out["hyperparameters"] = HyperparametersToJson(body.hyperparameters);
  out["update_kind"] = UpdateKindName(body.update_kind);
  out["encoding"] = EncodingName(body.encoding);
  out["deadline_ms"] = body.deadline_ms;
}
StatusOr<TrainRequest> BodyFromJson(const json& header, Tag<TrainRequest>) {
  TrainRequest body;
  body.model_name = header.at("model_name").get<std::string>();
  PANCAIM_RETURN_IF_ERROR(CheckObject(header.at("model_config"), "model_config"));
  body.model_config = header.at("model_config");
  PANCAIM_RETURN_IF_ERROR(CheckSha256(header.at("base_model_sha256"), "base_model_sha256"));
  body.base_model_sha256 = header.at("base_model_sha256").get<std::string>();
  PANCAIM_ASSIGN_OR_RETURN(body.hyperparameters,
                           ParseHyperparameters(header.at("hyperparameters")));
  body.update_kind = ParseUpdateKind(header.at("update_kind"));
  PANCAIM_ASSIGN_OR_RETURN(body.encoding, ParseEncoding(header.at("encoding"), "encoding"));
  body.deadline_ms = header.at("deadline_ms").get<std::int64_t>();
  return body;
}

// ---- train_result ----
void AddBodyFields(Schema& schema, Tag<TrainResult>) {
  schema.Add("base_model_sha256", Sha256Field("Digest of the global model training started from"));
  schema.Add("update_kind", UpdateKindField("What the payload holds: weights or delta"));
  schema.Add("num_samples", Field::Integer("Training examples seen (the aggregation weight)")
                                .Required().Range(1, kMaxCount));
  schema.Add("metrics", MetricsField("Aggregate training metrics"));
  schema.Add("payload_sha256", Sha256Field("Digest of the payload (the update)"));
  schema.Add("encoding", EncodingField());
}
void BodyToJson(const TrainResult& body, json& out) {
  out["base_model_sha256"] = body.base_model_sha256;
  out["update_kind"] = UpdateKindName(body.update_kind);
  out["num_samples"] = body.num_samples;
  out["metrics"] = body.metrics;
  out["payload_sha256"] = body.payload_sha256;
  out["encoding"] = EncodingName(body.encoding);
}
StatusOr<TrainResult> BodyFromJson(const json& header, Tag<TrainResult>) {
  TrainResult body;
  PANCAIM_RETURN_IF_ERROR(CheckSha256(header.at("base_model_sha256"), "base_model_sha256"));
  body.base_model_sha256 = header.at("base_model_sha256").get<std::string>();
  body.update_kind = ParseUpdateKind(header.at("update_kind"));
  body.num_samples = header.at("num_samples").get<std::int64_t>();
  PANCAIM_ASSIGN_OR_RETURN(body.metrics, ParseMetrics(header.at("metrics"), "metrics"));
  PANCAIM_RETURN_IF_ERROR(CheckSha256(header.at("payload_sha256"), "payload_sha256"));
  body.payload_sha256 = header.at("payload_sha256").get<std::string>();
  PANCAIM_ASSIGN_OR_RETURN(body.encoding, ParseEncoding(header.at("encoding"), "encoding"));
  return body;
}

// ---- decline ----
void AddBodyFields(Schema& schema, Tag<Decline>) {
  schema.Add("code", Field::String("Why, as a category")
                         .OneOf({"policy", "busy", "insufficient_data", "unsupported", "internal"})
                         .Required());
  schema.Add("reason", Field::String("One sentence for the operator").Default(""));
  schema.Add("request_type", Field::String("The message type declined").Required());
}
void BodyToJson(const Decline& body, json& out) {
  out["code"] = body.code;
  out["reason"] = body.reason;
  out["request_type"] = body.request_type;
}
StatusOr<Decline> BodyFromJson(const json& header, Tag<Decline>) {
  Decline body;
  body.code = header.at("code").get<std::string>();
  body.reason = header.at("reason").get<std::string>();
  PANCAIM_RETURN_IF_ERROR(CheckMessageTypeName(header.at("request_type"), "request_type"));
  body.request_type = header.at("request_type").get<std::string>();
  return body;
}

// ---- evaluate_request ----
void AddBodyFields(Schema& schema, Tag<EvaluateRequest>) {
  schema.Add("model_name", Field::String("Model-zoo name of the model to evaluate").Required());
  schema.Add("model_config", ModelConfigField());
  schema.Add("model_sha256", Sha256Field("Digest of the payload (the model)"));
  schema.Add("split", Field::String("Held-out split to evaluate on")
                          .OneOf({"validation", "test"}).Default("validation"));
  schema.Add("batch_size", Field::Integer("Examples per forward pass").Default(8).Range(1, 1e6));
}
void BodyToJson(const EvaluateRequest& body, json& out) {
  out["model_name"] = body.model_name;
  out["model_config"] = body.model_config;
  out["model_sha256"] = body.model_sha256;
  out["split"] = body.split;
  out["batch_size"] = body.batch_size;
}
StatusOr<EvaluateRequest> BodyFromJson(const json& header, Tag<EvaluateRequest>) {
  EvaluateRequest body;
  body.model_name = header.at("model_name").get<std::string>();
  PANCAIM_RETURN_IF_ERROR(CheckObject(header.at("model_config"), "model_config"));
  body.model_config = header.at("model_config");
  PANCAIM_RETURN_IF_ERROR(CheckSha256(header.at("model_sha256"), "model_sha256"));
  body.model_sha256 = header.at("model_sha256").get<std::string>();
  body.split = header.at("split").get<std::string>();
  body.batch_size = header.at("batch_size").get<std::int64_t>();
  return body;
}

// ---- evaluate_result ----
void AddBodyFields(Schema& schema, Tag<EvaluateResult>) {
  schema.Add("model_sha256", Sha256Field("Digest of the model evaluated"));
  schema.Add("split", Field::String("Split evaluated on").OneOf({"validation", "test"}).Required());
  schema.Add("num_samples", Field::Integer("Examples evaluated").Required().Range(1, kMaxCount));
  schema.Add("metrics", MetricsField("Aggregate evaluation metrics"));
}
void BodyToJson(const EvaluateResult& body, json& out) {
  out["model_sha256"] = body.model_sha256;
  out["split"] = body.split;
  out["num_samples"] = body.num_samples;
  out["metrics"] = body.metrics;
}
StatusOr<EvaluateResult> BodyFromJson(const json& header, Tag<EvaluateResult>) {
  EvaluateResult body;
  PANCAIM_RETURN_IF_ERROR(CheckSha256(header.at("model_sha256"), "model_sha256"));
  body.model_sha256 = header.at("model_sha256").get<std::string>();
  body.split = header.at("split").get<std::string>();
  body.num_samples = header.at("num_samples").get<std::int64_t>();
  PANCAIM_ASSIGN_OR_RETURN(body.metrics, ParseMetrics(header.at("metrics"), "metrics"));
  return body;
}

}  // namespace pancaim::protocol::internal
