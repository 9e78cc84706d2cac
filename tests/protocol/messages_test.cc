#include "pancaim/protocol/messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pancaim::protocol {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

const std::string kDigestA(64, 'a');
const std::string kDigestB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

MessageBody SampleBody(MessageType type) {
  switch (type) {
    case MessageType::kHello: {
      Hello body{"0.1.0", "cuda:0", {"plain"}, {130, 100, 15, 15, {{"ct", 120}, {"slides", 80}}}};
      return body;
    }
    case MessageType::kWelcome: return Welcome{"site-a", "0.1.0", 5000};
    case MessageType::kHeartbeat: return Heartbeat{42, "training"};
    case MessageType::kTrainRequest: {
      TrainRequest body;
      body.model_name = "ct_classifier";
      body.model_config = {{"channels", 16}, {"dropout", 0.25}};
      body.base_model_sha256 = kDigestA;
      body.hyperparameters = {2, 0, 4, "adamw", 3e-4, 0.9, 1e-5, 0.01, 1234};
      body.update_kind = UpdateKind::kWeights;
      body.deadline_ms = 60000;
      return body;
    }
    case MessageType::kTrainResult:
      return TrainResult{kDigestA, UpdateKind::kDelta, 96, {{"loss", 0.4125}, {"train_seconds", 12.5}},
                         kDigestB, Encoding::kPlain};
    case MessageType::kDecline: return Decline{"insufficient_data", "fewer than 20 patients", "train_request"};
    case MessageType::kEvaluateRequest: return EvaluateRequest{"ct_classifier", {{"channels", 16}}, kDigestA, "test", 16};
    case MessageType::kEvaluateResult: return EvaluateResult{kDigestA, "test", 30, {{"auc", 0.87}}};
    case MessageType::kError: return ErrorMessage{"INVALID_ARGUMENT", "bad update: shape of 'fc.weight'"};
    case MessageType::kBye: return Bye{"shutdown"};
    case MessageType::kSubmitRun: return SubmitRun{{{"model", "ct_classifier"}, {"rounds", 5}}};
    case MessageType::kStatusRequest: return StatusRequest{};
    case MessageType::kStatusResponse: {
      StatusResponse body;
      body.runs.push_back({"run-1", "running", 3, 10, 3, 2, {{"loss", 0.5}}, ""});
      body.runs.push_back({"run-0", "failed", 1, 10, 0, 0, {}, "no sites"});
      body.warnings = {"CA certificate expires in 12 days"};
      return body;
    }
    case MessageType::kSitesRequest: return SitesRequest{};
    case MessageType::kSitesResponse: {
      SitesResponse body;
      body.sites.push_back({"site-a", true, "idle", 1764316800000, "0.1.0", "cpu"});
      body.sites.push_back({"site-b", false, "", 0, "", ""});
      return body;
    }
    case MessageType::kControl: return Control{"pause", "maintenance"};
    case MessageType::kExportRequest: return ExportRequest{false};
    case MessageType::kExportResponse: return ExportResponse{"ct_classifier", {{"channels", 16}}, kDigestB};
    case MessageType::kAck: return Ack{"submit_run", "accepted"};
  }
  return Bye{};
}

Message Sample(MessageType type) {
  Message message;
  message.run_id = "run-1";
  message.round = 3;
  message.sender_role = Role::kCoordinator;
  message.body = SampleBody(type);
  return message;
}

json SampleJson(MessageType type) { return ToJson(Sample(type)); }

Status ParseError(const json& header) {
  auto parsed = ParseMessageHeader(header.dump());
  EXPECT_FALSE(parsed.ok()) << header.dump();
  return parsed.ok() ? Status::Ok() : parsed.status();
}

TEST(Messages, EveryTypeRoundTrips) {
  ASSERT_EQ(AllMessageTypes().size(), 19u);
  for (MessageType type : AllMessageTypes()) {
    SCOPED_TRACE(std::string(MessageTypeName(type)));
    const Message original = Sample(type);
    EXPECT_EQ(original.type(), type);
    const std::string text = SerializeMessageHeader(original);
    auto parsed = ParseMessageHeader(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->type(), type);
    EXPECT_EQ(parsed->run_id, "run-1");
    EXPECT_EQ(parsed->round, 3);
    EXPECT_EQ(parsed->sender_role, Role::kCoordinator);
    EXPECT_EQ(ToJson(*parsed), ToJson(original));
    EXPECT_EQ(ParseMessageType(MessageTypeName(type)).value(), type);
  }
}

TEST(Messages, TypedFieldsSurvive) {
  auto parsed = ParseMessageHeader(SerializeMessageHeader(Sample(MessageType::kTrainRequest)));
  ASSERT_TRUE(parsed.ok());
  const auto& request = std::get<TrainRequest>(parsed->body);
  EXPECT_EQ(request.hyperparameters.optimizer, "adamw");
  EXPECT_DOUBLE_EQ(request.hyperparameters.learning_rate, 3e-4);
  EXPECT_EQ(request.hyperparameters.seed, 1234);
  EXPECT_EQ(request.model_config["channels"], 16);
  EXPECT_EQ(request.update_kind, UpdateKind::kWeights);
  auto result = ParseMessageHeader(SerializeMessageHeader(Sample(MessageType::kTrainResult)));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(std::get<TrainResult>(result->body).metrics.at("loss"), 0.4125);
  EXPECT_EQ(std::get<TrainResult>(result->body).num_samples, 96);
}

TEST(Messages, DefaultsFillOptionalFields) {
  json header = SampleJson(MessageType::kTrainResult);
  header.erase("metrics");
  header.erase("encoding");
  auto parsed = ParseMessageJson(header);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(std::get<TrainResult>(parsed->body).metrics.empty());
  EXPECT_EQ(std::get<TrainResult>(parsed->body).encoding, Encoding::kPlain);
}

TEST(Messages, UnknownType) {
  json header = SampleJson(MessageType::kBye);
  header["type"] = "train_everything";
  Status status = ParseError(header);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("unknown message type 'train_everything'"));
  header.erase("type");
  EXPECT_THAT(ParseError(header).message(), HasSubstr("missing required key 'type'"));
  header["type"] = 7;
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'type': expected a string"));
}

TEST(Messages, MissingField) {
  json header = SampleJson(MessageType::kTrainResult);
  header.erase("num_samples");
  EXPECT_THAT(ParseError(header).message(),
              HasSubstr("message 'train_result': missing required key 'num_samples'"));
  header = SampleJson(MessageType::kTrainRequest);
  header["hyperparameters"].erase("learning_rate");
  EXPECT_THAT(ParseError(header).message(),
              HasSubstr("message 'train_request': missing required key 'hyperparameters.learning_rate'"));
  header = SampleJson(MessageType::kHello);
  header.erase("run_id");
  EXPECT_THAT(ParseError(header).message(), HasSubstr("message 'hello': missing required key 'run_id'"));
}

TEST(Messages, StatusWarningsAreOptionalAndBounded) {
  auto parsed = ParseMessageJson(SampleJson(MessageType::kStatusResponse));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(std::get<StatusResponse>(parsed->body).warnings,
            std::vector<std::string>{"CA certificate expires in 12 days"});

  json header = SampleJson(MessageType::kStatusResponse);
  header.erase("warnings");
  parsed = ParseMessageJson(header);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(std::get<StatusResponse>(parsed->body).warnings.empty());
  StatusResponse none;
  EXPECT_FALSE(ToJson(Message{"", 0, Role::kCoordinator, none}).contains("warnings"));

  header["warnings"] = json::array({1});
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'warnings[0]'"));
  header["warnings"] = json::array();
  for (std::size_t i = 0; i <= kMaxStatusWarnings; ++i) header["warnings"].push_back("w");
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'warnings': more than 64 items"));
  header["warnings"] = json::array({std::string(kMaxStatusWarningBytes + 1, 'x')});
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'warnings[0]': longer than"));
}

TEST(Messages, MistypedField) {
  json header = SampleJson(MessageType::kTrainResult);
  header["num_samples"] = "96";
  Status status = ParseError(header);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("message 'train_result': key 'num_samples': expected an integer, got string"));
  header = SampleJson(MessageType::kStatusResponse);
  header["runs"][1]["round"] = 1.5;
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'runs[1].round': expected an integer"));
  header = SampleJson(MessageType::kTrainResult);
  header["metrics"]["loss"] = "low";
  EXPECT_THAT(ParseError(header).message(),
              HasSubstr("message 'train_result': key 'metrics.loss': expected a finite number"));
  header = SampleJson(MessageType::kTrainResult);
  header["metrics"]["per_patient"] = json::array({0.1, 0.2});
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'metrics.per_patient'"));
  header = SampleJson(MessageType::kTrainResult);
  header["base_model_sha256"] = "ABC";
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'base_model_sha256': expected 64 lowercase hex"));
  header = SampleJson(MessageType::kTrainRequest);
  header["model_config"] = json::array();
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'model_config': expected an object"));
  header = SampleJson(MessageType::kControl);
  header["action"] = "explode";
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'action': 'explode' is not one of"));
  header = SampleJson(MessageType::kBye);
  header["sender_role"] = "admin";
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'sender_role'"));
  header = SampleJson(MessageType::kBye);
  header["round"] = -1;
  EXPECT_EQ(ParseError(header).code(), StatusCode::kOutOfRange);
}

TEST(Messages, WrongProtocolVersion) {
  json header = SampleJson(MessageType::kHello);
  header["protocol_version"] = 2;
  header["field_of_version_2"] = true;  // the version error wins over the unknown key
  Status status = ParseError(header);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("message 'hello': protocol_version 2 is not supported; "
                                          "this build speaks protocol_version 1"));
  header["protocol_version"] = -1;
  EXPECT_EQ(ParseError(header).code(), StatusCode::kFailedPrecondition);
  header = SampleJson(MessageType::kHello);
  header["protocol_version"] = "1";
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'protocol_version': expected an integer"));
}

TEST(Messages, UnknownKey) {
  json header = SampleJson(MessageType::kTrainResult);
  header["patient_ids"] = json::array({"p1", "p2"});
  Status status = ParseError(header);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("message 'train_result': unknown key 'patient_ids'"));
  header = SampleJson(MessageType::kHello);
  header["dataset"]["ages"] = json::array({61, 72});
  EXPECT_THAT(ParseError(header).message(), HasSubstr("unknown key 'dataset.ages'"));
}

TEST(Messages, SemanticChecks) {
  json header = SampleJson(MessageType::kTrainResult);
  header["encoding"] = "masked";
  EXPECT_EQ(ParseError(header).code(), StatusCode::kUnimplemented);
  header = SampleJson(MessageType::kControl);
  header["run_id"] = "";
  EXPECT_THAT(ParseError(header).message(), HasSubstr("message 'control': key 'run_id': must name a run"));
  header = SampleJson(MessageType::kBye);
  header["run_id"] = "../etc";
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'run_id': may hold only"));
  header = SampleJson(MessageType::kTrainRequest);
  header["hyperparameters"]["epochs"] = 0;
  header["hyperparameters"]["local_steps"] = 0;
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'hyperparameters': one of 'epochs'"));
  header = SampleJson(MessageType::kAck);
  header["request_type"] = "nonsense";
  EXPECT_THAT(ParseError(header).message(), HasSubstr("key 'request_type': unknown message type"));
}

TEST(Messages, UntrustedJsonIsRefusedCleanly) {
  EXPECT_THAT(ParseMessageHeader("{").status().message(), HasSubstr("message header: invalid JSON"));
  EXPECT_THAT(ParseMessageHeader("[]").status().message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(ParseMessageHeader(R"({"type":"bye","type":"hello"})").status().message(),
              HasSubstr("duplicate key 'type'"));
  EXPECT_THAT(ParseMessageHeader(R"({"type":"bye","x":1e400})").status().message(),
              HasSubstr("number overflow"));
  EXPECT_THAT(ParseMessageHeader(std::string(10000, '[')).status().message(),
              HasSubstr("nesting deeper than"));
}

TEST(Messages, EncodeAndDecodeEnforcePayloadRule) {
  const FrameLimits limits;
  EXPECT_TRUE(PayloadRequired(MessageType::kTrainRequest));
  EXPECT_TRUE(PayloadRequired(MessageType::kTrainResult));
  EXPECT_TRUE(PayloadRequired(MessageType::kEvaluateRequest));
  EXPECT_TRUE(PayloadRequired(MessageType::kExportResponse));
  EXPECT_FALSE(PayloadRequired(MessageType::kHello));
  for (MessageType type : AllMessageTypes()) {
    SCOPED_TRACE(std::string(MessageTypeName(type)));
    const std::string payload = PayloadRequired(type) ? "safetensors bytes" : "";
    auto frame = EncodeMessage(Sample(type), payload, limits);
    ASSERT_TRUE(frame.ok()) << frame.status();
    auto decoded = DecodeMessage(*frame, limits);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->message.type(), type);
    EXPECT_EQ(decoded->payload, payload);
    // The wrong payload presence is refused both ways.
    EXPECT_FALSE(EncodeMessage(Sample(type), payload.empty() ? "x" : "", limits).ok());
    auto wrong = EncodeFrame(SerializeMessageHeader(Sample(type)), payload.empty() ? "x" : "", limits);
    ASSERT_TRUE(wrong.ok());
    EXPECT_FALSE(DecodeMessage(*wrong, limits).ok());
  }
}

TEST(Messages, RolesMaySendTheirTypesOnly) {
  EXPECT_TRUE(RoleMaySend(Role::kSite, MessageType::kTrainResult));
  EXPECT_FALSE(RoleMaySend(Role::kOperator, MessageType::kTrainResult));
  EXPECT_FALSE(RoleMaySend(Role::kSite, MessageType::kTrainRequest));
  EXPECT_TRUE(RoleMaySend(Role::kOperator, MessageType::kControl));
  EXPECT_FALSE(RoleMaySend(Role::kSite, MessageType::kControl));
  EXPECT_FALSE(RoleMaySend(Role::kCoordinator, MessageType::kSubmitRun));
  EXPECT_TRUE(RoleMaySend(Role::kSite, MessageType::kBye));
  EXPECT_EQ(ParseRole("operator").value(), Role::kOperator);
  EXPECT_FALSE(ParseRole("root").ok());
}

// Every key path a valid header can hold, maps reported as "path.*".
void CollectKeyPaths(const config::Schema& schema, const std::string& prefix,
                     std::set<std::string>& out) {
  for (const auto& [name, field] : schema.fields()) {
    const std::string path = prefix + name;
    out.insert(path);
    if (field.kind() == config::Field::Kind::kObject) {
      CollectKeyPaths(*field.object_schema(), path + ".", out);
    }
  }
}

TEST(SiteOutbound, AllowListMatchesTheSchemas) {
  for (MessageType type : AllMessageTypes()) {
    SCOPED_TRACE(std::string(MessageTypeName(type)));
    const auto& allowed = SiteOutboundHeaderKeys(type);
    if (!RoleMaySend(Role::kSite, type)) {
      EXPECT_TRUE(allowed.empty());
      continue;
    }
    std::set<std::string> schema_keys;
    CollectKeyPaths(MessageSchema(type), "", schema_keys);
    std::set<std::string> listed;
    for (const std::string& key : allowed) {
      if (!key.ends_with(".*")) listed.insert(key);
    }
    EXPECT_EQ(listed, schema_keys);
    // And a real header of the type passes the check.
    Message message = Sample(type);
    message.sender_role = Role::kSite;
    EXPECT_TRUE(CheckSiteOutboundHeader(ToJson(message)).ok()) << CheckSiteOutboundHeader(ToJson(message));
  }
}

TEST(SiteOutbound, RefusesKeysThatCouldCarryPatientData) {
  json header = SampleJson(MessageType::kTrainResult);
  header["patient_ids"] = json::array({"p1"});
  Status status = CheckSiteOutboundHeader(header);
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("key 'patient_ids' may not leave the site"));
  header = SampleJson(MessageType::kTrainResult);
  header["metrics"]["worst_patient"] = "P-0042";
  EXPECT_THAT(CheckSiteOutboundHeader(header).message(), HasSubstr("metrics.worst_patient"));
  header = SampleJson(MessageType::kHello);
  header["dataset"]["modality_counts"]["ct"] = {{"p1", 1}};
  EXPECT_FALSE(CheckSiteOutboundHeader(header).ok());
  EXPECT_FALSE(CheckSiteOutboundHeader(SampleJson(MessageType::kTrainRequest)).ok());
  EXPECT_FALSE(CheckSiteOutboundHeader(json::array()).ok());
}

TEST(Messages, MarkdownDocumentsEveryType) {
  const std::string markdown = ProtocolMarkdown();
  for (MessageType type : AllMessageTypes()) {
    EXPECT_THAT(markdown, HasSubstr("`" + std::string(MessageTypeName(type)) + "`"));
  }
  EXPECT_THAT(markdown, HasSubstr("hyperparameters.proximal_mu"));
}

}  // namespace
}  // namespace pancaim::protocol
