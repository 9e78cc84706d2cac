// Bodies of the operator's messages and of those sent in any direction (error, bye, ack).
#include "message_bodies.h"
#include "message_fields.h"

namespace pancaim::protocol::internal {
namespace {

using config::Field;
using config::Schema;
using nlohmann::json;

std::vector<std::string> StatusCodeNames() {
  std::vector<std::string> names;
  for (int code = static_cast<int>(StatusCode::kInvalidArgument);
       code <= static_cast<int>(StatusCode::kInternal); ++code) {
    names.emplace_back(StatusCodeName(static_cast<StatusCode>(code)));
  }
  return names;
}

Schema RunStatusSchema() {
  Schema schema("One run as the coordinator sees it.");
  schema.Add("run_id", Field::String("Run identifier").Required());
  schema.Add("state", Field::String("Run state")
                          .OneOf({"pending", "running", "paused", "completed", "aborted", "failed"})
                          .Required());
  schema.Add("round", Field::Integer("Current or last round").Default(0).Range(0, 1e9));
  schema.Add("num_rounds", Field::Integer("Rounds planned").Default(0).Range(0, 1e9));
  schema.Add("sites_selected", Field::Integer("Sites selected this round").Default(0).Range(0, 1e6));
  schema.Add("sites_reported", Field::Integer("Sites that answered this round").Default(0)
                                   .Range(0, 1e6));
  schema.Add("metrics", MetricsField("Aggregated metrics of the last closed round"));
  schema.Add("message", Field::String("Detail, e.g. why a run failed").Default(""));
  return schema;
}

Schema SiteStatusSchema() {
  Schema schema("One site as the coordinator sees it.");
  schema.Add("site_id", Field::String("Site identity from its certificate").Required());
  schema.Add("connected", Field::Boolean("Whether a connection is open now").Required());
  schema.Add("state", Field::String("Last heartbeat state").Default(""));
  schema.Add("last_seen_unix_ms", Field::Integer("Time of the last message, ms since 1970")
                                      .Default(0).Range(0, kMaxExactInteger));
  schema.Add("software_version", Field::String("From the site's hello").Default(""));
  schema.Add("device", Field::String("From the site's hello").Default(""));
  return schema;
}

Status RequireRunId(const json& header) {
  if (header.at("run_id").get_ref<const std::string&>().empty()) {
    return KeyError("run_id", "must name a run for this message type");
  }
  return Status::Ok();
}

}  // namespace

// ---- error ----
void AddBodyFields(Schema& schema, Tag<ErrorMessage>) {
  schema.Add("code", Field::String("Status code name").OneOf(StatusCodeNames()).Required());
  schema.Add("message", Field::String("What failed and where").Required());
}
void BodyToJson(const ErrorMessage& body, json& out) {
  out["code"] = body.code;
  out["message"] = body.message;
}
StatusOr<ErrorMessage> BodyFromJson(const json& header, Tag<ErrorMessage>) {
  return ErrorMessage{header.at("code").get<std::string>(), header.at("message").get<std::string>()};
}

// ---- bye ----
void AddBodyFields(Schema& schema, Tag<Bye>) {
  schema.Add("reason", Field::String("Why the connection closes").Default(""));
}
void BodyToJson(const Bye& body, json& out) { out["reason"] = body.reason; }
StatusOr<Bye> BodyFromJson(const json& header, Tag<Bye>) {
  return Bye{header.at("reason").get<std::string>()};
}

// ---- ack ----
void AddBodyFields(Schema& schema, Tag<Ack>) {
  schema.Add("request_type", Field::String("The message type acknowledged").Required());
  schema.Add("message", Field::String("Detail").Default(""));
}
void BodyToJson(const Ack& body, json& out) {
  out["request_type"] = body.request_type;
  out["message"] = body.message;
}
StatusOr<Ack> BodyFromJson(const json& header, Tag<Ack>) {
  PANCAIM_RETURN_IF_ERROR(CheckMessageTypeName(header.at("request_type"), "request_type"));
  return Ack{header.at("request_type").get<std::string>(), header.at("message").get<std::string>()};
}

// ---- submit_run ----
void AddBodyFields(Schema& schema, Tag<SubmitRun>) {
  schema.Add("run_spec", Field::Any("The run specification (an object, validated by the "
                                    "coordinator's run schema)").Required());
}
void BodyToJson(const SubmitRun& body, json& out) { out["run_spec"] = body.run_spec; }
StatusOr<SubmitRun> BodyFromJson(const json& header, Tag<SubmitRun>) {
  PANCAIM_RETURN_IF_ERROR(CheckObject(header.at("run_spec"), "run_spec"));
  return SubmitRun{header.at("run_spec")};
}

// ---- status_request / status_response ----
void AddBodyFields(Schema&, Tag<StatusRequest>) {}
void BodyToJson(const StatusRequest&, json&) {}
StatusOr<StatusRequest> BodyFromJson(const json&, Tag<StatusRequest>) { return StatusRequest{}; }

void AddBodyFields(Schema& schema, Tag<StatusResponse>) {
  schema.Add("runs", Field::Array(Field::Object(RunStatusSchema(), "A run"), "Runs").Required());
  schema.Add("warnings",
             Field::Array(Field::String("One warning, one sentence"),
                          "Coordinator-wide warnings, e.g. a certificate in use that expires "
                          "within 30 days; omitted when there are none")
                 .Default(json::array()));
}
void BodyToJson(const StatusResponse& body, json& out) {
  json runs = json::array();
  for (const RunStatus& run : body.runs) {
    runs.push_back({{"run_id", run.run_id},
                    {"state", run.state},
                    {"round", run.round},
                    {"num_rounds", run.num_rounds},
                    {"sites_selected", run.sites_selected},
                    {"sites_reported", run.sites_reported},
                    {"metrics", run.metrics},
                    {"message", run.message}});
  }
  out["runs"] = std::move(runs);
  if (!body.warnings.empty()) out["warnings"] = body.warnings;
}
StatusOr<StatusResponse> BodyFromJson(const json& header, Tag<StatusResponse>) {
  StatusResponse body;
  const json& runs = header.at("runs");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const json& item = runs[i];
    const std::string path = "runs[" + std::to_string(i) + "]";
    RunStatus run;
    run.run_id = item.at("run_id").get<std::string>();
    PANCAIM_RETURN_IF_ERROR(CheckRunId(run.run_id, path + ".run_id"));
    run.state = item.at("state").get<std::string>();
    run.round = item.at("round").get<std::int64_t>();
    run.num_rounds = item.at("num_rounds").get<std::int64_t>();
    run.sites_selected = item.at("sites_selected").get<std::int64_t>();
    run.sites_reported = item.at("sites_reported").get<std::int64_t>();
    PANCAIM_ASSIGN_OR_RETURN(run.metrics, ParseMetrics(item.at("metrics"), path + ".metrics"));
    run.message = item.at("message").get<std::string>();
    body.runs.push_back(std::move(run));
  }
  const json& warnings = header.at("warnings");
  if (warnings.size() > kMaxStatusWarnings) {
    return KeyError("warnings", "more than " + std::to_string(kMaxStatusWarnings) + " items");
  }
  for (std::size_t i = 0; i < warnings.size(); ++i) {
    const std::string& warning = warnings[i].get_ref<const std::string&>();
    if (warning.size() > kMaxStatusWarningBytes) {
      return KeyError("warnings[" + std::to_string(i) + "]",
                      "longer than " + std::to_string(kMaxStatusWarningBytes) + " bytes");
    }
    body.warnings.push_back(warning);
  }
  return body;
}

// ---- sites_request / sites_response ----
void AddBodyFields(Schema&, Tag<SitesRequest>) {}
void BodyToJson(const SitesRequest&, json&) {}
StatusOr<SitesRequest> BodyFromJson(const json&, Tag<SitesRequest>) { return SitesRequest{}; }

void AddBodyFields(Schema& schema, Tag<SitesResponse>) {
  schema.Add("sites", Field::Array(Field::Object(SiteStatusSchema(), "A site"), "Sites").Required());
}
void BodyToJson(const SitesResponse& body, json& out) {
  json sites = json::array();
  for (const SiteStatus& site : body.sites) {
    sites.push_back({{"site_id", site.site_id},
                     {"connected", site.connected},
                     {"state", site.state},
                     {"last_seen_unix_ms", site.last_seen_unix_ms},
                     {"software_version", site.software_version},
                     {"device", site.device}});
  }
  out["sites"] = std::move(sites);
}
StatusOr<SitesResponse> BodyFromJson(const json& header, Tag<SitesResponse>) {
  SitesResponse body;
  for (const json& item : header.at("sites")) {
    SiteStatus site;
    site.site_id = item.at("site_id").get<std::string>();
    site.connected = item.at("connected").get<bool>();
    site.state = item.at("state").get<std::string>();
    site.last_seen_unix_ms = item.at("last_seen_unix_ms").get<std::int64_t>();
    site.software_version = item.at("software_version").get<std::string>();
    site.device = item.at("device").get<std::string>();
    body.sites.push_back(std::move(site));
  }
  return body;
}

// ---- control ----
void AddBodyFields(Schema& schema, Tag<Control>) {
  schema.Add("action", Field::String("What to do with the run").OneOf({"pause", "resume", "abort"})
                           .Required());
  schema.Add("reason", Field::String("Recorded in the audit log").Default(""));
}
void BodyToJson(const Control& body, json& out) {
  out["action"] = body.action;
  out["reason"] = body.reason;
}
StatusOr<Control> BodyFromJson(const json& header, Tag<Control>) {
  PANCAIM_RETURN_IF_ERROR(RequireRunId(header));
  return Control{header.at("action").get<std::string>(), header.at("reason").get<std::string>()};
}

// ---- export_request / export_response ----
void AddBodyFields(Schema& schema, Tag<ExportRequest>) {
  schema.Add("latest", Field::Boolean("The latest checkpoint, or (false) the envelope's round")
                           .Default(true));
}
void BodyToJson(const ExportRequest& body, json& out) { out["latest"] = body.latest; }
StatusOr<ExportRequest> BodyFromJson(const json& header, Tag<ExportRequest>) {
  PANCAIM_RETURN_IF_ERROR(RequireRunId(header));
  return ExportRequest{header.at("latest").get<bool>()};
}

void AddBodyFields(Schema& schema, Tag<ExportResponse>) {
  schema.Add("model_name", Field::String("Model-zoo name to rebuild the model").Required());
  schema.Add("model_config", Field::Any("The model's own options (an object)")
                                 .Default(json::object()));
  schema.Add("model_sha256", Sha256Field("Digest of the payload (the model)"));
}
void BodyToJson(const ExportResponse& body, json& out) {
  out["model_name"] = body.model_name;
  out["model_config"] = body.model_config;
  out["model_sha256"] = body.model_sha256;
}
StatusOr<ExportResponse> BodyFromJson(const json& header, Tag<ExportResponse>) {
  ExportResponse body;
  body.model_name = header.at("model_name").get<std::string>();
  PANCAIM_RETURN_IF_ERROR(CheckObject(header.at("model_config"), "model_config"));
  body.model_config = header.at("model_config");
  PANCAIM_RETURN_IF_ERROR(CheckSha256(header.at("model_sha256"), "model_sha256"));
  body.model_sha256 = header.at("model_sha256").get<std::string>();
  return body;
}

}  // namespace pancaim::protocol::internal
