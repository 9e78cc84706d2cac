// Message types of the coordinator–site–operator protocol: typed structs, their JSON headers, and
// the schema each header is validated against.
//
// A message travels as one frame (frame.h): a JSON header object and, for some types, a
// safetensors payload. Every header carries the common fields
//   type              string, one of the names below
//   protocol_version  integer, kProtocolVersion (any other version is refused, naming both)
//   run_id            string, [A-Za-z0-9._-]{0,128}; empty when the message concerns no run
//   round             integer >= 0 (0 outside rounds)
//   sender_role       "site" | "coordinator" | "operator": a *claim* only. Identity and role come
//                     from the peer's TLS certificate, never from this field (see RoleMaySend()).
// and, flat beside them, the fields of its type (the structs below; ProtocolMarkdown() renders
// every schema as Markdown for the documentation). Unknown keys, missing or mistyped fields and duplicate keys are
// refused with the key's path and the message type in the error.
//
// Types and directions:
//   site -> coordinator      hello, train_result, decline, evaluate_result
//   coordinator -> site      welcome, train_request, evaluate_request
//   operator -> coordinator  submit_run, status_request, sites_request, control, export_request
//   coordinator -> operator  status_response, sites_response, export_response
//   any direction            heartbeat, error, bye, ack
// Payloads (safetensors bytes, see PayloadRuleFor()): train_request (global model), train_result
// (update), evaluate_request (model to evaluate), export_response (model). No other type has one.
//
// Everything here is pure (no I/O) and thread-safe; the structs are plain values.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/status.h"
#include "pancaim/protocol/frame.h"

namespace pancaim::protocol {

inline constexpr std::int64_t kProtocolVersion = 1;

// Who claims to send a message. Authorization uses the certificate's role, never this claim.
enum class Role { kSite, kCoordinator, kOperator };
std::string_view RoleName(Role role);                // "site", "coordinator", "operator"
StatusOr<Role> ParseRole(std::string_view name);     // InvalidArgument for other names

enum class MessageType {
  kHello, kWelcome, kHeartbeat, kTrainRequest, kTrainResult, kDecline, kEvaluateRequest,
  kEvaluateResult, kError, kBye, kSubmitRun, kStatusRequest, kStatusResponse, kSitesRequest,
  kSitesResponse, kControl, kExportRequest, kExportResponse, kAck,
};
std::string_view MessageTypeName(MessageType type);  // "train_request", ...
// InvalidArgument "unknown message type 'x' (known: ...)" for other names.
StatusOr<MessageType> ParseMessageType(std::string_view name);
// Every type, in declaration order (for tests, docs and fuzzers).
const std::vector<MessageType>& AllMessageTypes();

// Whether a frame of this type carries a safetensors payload.
enum class PayloadRule { kNone, kRequired };
PayloadRule PayloadRuleFor(MessageType type);
inline bool PayloadRequired(MessageType type) { return PayloadRuleFor(type) == PayloadRule::kRequired; }

// Whether a peer whose *certificate* has `role` may send `type` (the directions listed above).
bool RoleMaySend(Role role, MessageType type);

// What a train_result's payload holds: the full trained weights, or trained minus base weights.
enum class UpdateKind { kWeights, kDelta };
std::string_view UpdateKindName(UpdateKind kind);  // "weights", "delta"

// How an update payload is encoded. Only kPlain exists today; kMasked is reserved for secure
// aggregation (pairwise-masked integer updates) and is refused with Unimplemented when parsed.
enum class Encoding { kPlain, kMasked };
std::string_view EncodingName(Encoding encoding);  // "plain", "masked"

// Aggregate numbers only ("loss", "auc", "train_seconds"): finite, at most 256 entries, keys of
// 1..128 characters. Never per-patient values.
using Metrics = std::map<std::string, double>;

// ---- site -> coordinator ----------------------------------------------------------------------

// Counts only: how much data a site holds, never anything about a single patient.
struct DatasetSummary {
  std::int64_t num_patients = 0;
  std::int64_t num_train = 0;
  std::int64_t num_validation = 0;
  std::int64_t num_test = 0;
  // Patients having each modality, e.g. {"ct": 120, "slides": 80, "genomics": 95, "clinical": 130}.
  std::map<std::string, std::int64_t> modality_counts;
};

// First message on a new connection: what the site runs and how much data it has.
struct Hello {
  std::string software_version;
  std::string device;                     // "cpu", "cuda:0", ...
  std::vector<std::string> encodings = {"plain"};  // update encodings the site can produce
  DatasetSummary dataset;
};

// The coordinator's answer to hello: the identity it read from the site's certificate.
struct Welcome {
  std::string site_id;
  std::string software_version;
  std::int64_t heartbeat_interval_ms = 10000;
};

// Liveness, both ways; `sequence` increases by one per heartbeat on a connection.
struct Heartbeat {
  std::int64_t sequence = 0;
  std::string state = "idle";  // "idle" | "training" | "evaluating"
};

// Local training settings for one round.
struct Hyperparameters {
  std::int64_t epochs = 1;        // full passes over the local training split
  std::int64_t local_steps = 0;   // when > 0: this many optimizer steps instead of epochs
  std::int64_t batch_size = 8;
  std::string optimizer = "sgd";  // "sgd" | "adam" | "adamw"
  double learning_rate = 0.01;
  double momentum = 0.0;
  double weight_decay = 0.0;
  double proximal_mu = 0.0;       // FedProx proximal term; 0 = plain FedAvg local training
  std::int64_t seed = 0;          // 0..2^53-1, so it survives JSON numbers exactly
};

// Asks a site to train the global model (payload) for round `round` of run `run_id`.
struct TrainRequest {
  std::string model_name;              // a model-zoo name
  nlohmann::json model_config = nlohmann::json::object();  // that model's own options (object)
  std::string base_model_sha256;       // SHA-256 of the payload bytes, 64 lowercase hex digits
  Hyperparameters hyperparameters;
  UpdateKind update_kind = UpdateKind::kDelta;  // what the site should send back
  Encoding encoding = Encoding::kPlain;
  std::int64_t deadline_ms = 0;        // time budget from receipt; 0 = none
};

// A site's trained update (payload) for the round named in the envelope.
struct TrainResult {
  std::string base_model_sha256;  // the global model it started from
  UpdateKind update_kind = UpdateKind::kDelta;
  std::int64_t num_samples = 0;   // training examples seen, >= 1 (the FedAvg weight)
  Metrics metrics;
  std::string payload_sha256;     // SHA-256 of the payload bytes
  Encoding encoding = Encoding::kPlain;
};

// A site refusing a request (its own policy, busy, not enough data, ...). The round goes on.
struct Decline {
  std::string code = "policy";  // "policy" | "busy" | "insufficient_data" | "unsupported" | "internal"
  std::string reason;           // one sentence for the operator
  std::string request_type;     // the type declined, e.g. "train_request"
};

// Asks a site to evaluate a model (payload) on one of its held-out splits.
struct EvaluateRequest {
  std::string model_name;
  nlohmann::json model_config = nlohmann::json::object();
  std::string model_sha256;
  std::string split = "validation";  // "validation" | "test"
  std::int64_t batch_size = 8;
};

// Aggregate evaluation metrics of one site on one split.
struct EvaluateResult {
  std::string model_sha256;
  std::string split = "validation";
  std::int64_t num_samples = 0;
  Metrics metrics;
};

// ---- any direction ----------------------------------------------------------------------------

// A refusal or failure of the previous request; `code` is a StatusCodeName ("INVALID_ARGUMENT").
struct ErrorMessage {
  std::string code = "INTERNAL";
  std::string message;
};

// Orderly close of a connection.
struct Bye {
  std::string reason;
};

// Acknowledges a request that has no richer response (submit_run, control, ...).
struct Ack {
  std::string request_type;  // the acknowledged type, e.g. "submit_run"
  std::string message;
};

// ---- operator <-> coordinator -----------------------------------------------------------------

// Starts a run; `run_spec` is validated by the coordinator's run schema, not here (an object).
struct SubmitRun {
  nlohmann::json run_spec = nlohmann::json::object();
};

// Status of the run named in the envelope, or of every run when run_id is empty.
struct StatusRequest {};

struct RunStatus {
  std::string run_id;
  std::string state;  // "pending" | "running" | "paused" | "completed" | "aborted" | "failed"
  std::int64_t round = 0;
  std::int64_t num_rounds = 0;
  std::int64_t sites_selected = 0;
  std::int64_t sites_reported = 0;
  Metrics metrics;    // aggregated metrics of the last closed round
  std::string message;
};

struct StatusResponse {
  std::vector<RunStatus> runs;
  // Coordinator-wide warnings for the operator, e.g. a certificate in use expiring within 30
  // days (at most kMaxStatusWarnings, each at most kMaxStatusWarningBytes); sent only when any.
  std::vector<std::string> warnings;
};
inline constexpr std::size_t kMaxStatusWarnings = 64;
inline constexpr std::size_t kMaxStatusWarningBytes = 4096;

// Sites known to the coordinator.
struct SitesRequest {};

struct SiteStatus {
  std::string site_id;
  bool connected = false;
  std::string state;  // the site's last heartbeat state
  std::int64_t last_seen_unix_ms = 0;
  std::string software_version;
  std::string device;
};

struct SitesResponse {
  std::vector<SiteStatus> sites;
};

// Pauses, resumes or aborts the run named in the envelope (run_id must not be empty).
struct Control {
  std::string action;  // "pause" | "resume" | "abort"
  std::string reason;
};

// Asks for the global model of the run in the envelope: its latest checkpoint, or when
// `latest` is false the one of the envelope's round.
struct ExportRequest {
  bool latest = true;
};

// The exported global model (payload) and how to rebuild it.
struct ExportResponse {
  std::string model_name;
  nlohmann::json model_config = nlohmann::json::object();
  std::string model_sha256;
};

using MessageBody =
    std::variant<Hello, Welcome, Heartbeat, TrainRequest, TrainResult, Decline, EvaluateRequest,
                 EvaluateResult, ErrorMessage, Bye, SubmitRun, StatusRequest, StatusResponse,
                 SitesRequest, SitesResponse, Control, ExportRequest, ExportResponse, Ack>;

// One message header: the common fields and the typed body. A value; not synchronized.
struct Message {
  std::string run_id;
  std::int64_t round = 0;
  Role sender_role = Role::kSite;
  MessageBody body;

  MessageType type() const;  // follows body
};

// The JSON header of `message` (common fields plus the body's fields). Its output parses back to
// an equal message. Checks nothing: a message built with out-of-range values serializes as is
// and is refused by the receiver's ParseMessageHeader.
nlohmann::json ToJson(const Message& message);
std::string SerializeMessageHeader(const Message& message);  // ToJson(...).dump()

// Parses and validates a header from untrusted bytes: JSON well-formed (nesting and duplicate keys
// refused), type known, protocol_version == kProtocolVersion (FailedPrecondition naming both
// versions otherwise), every field against the type's schema (InvalidArgument/OutOfRange with the
// key path), plus checks a schema cannot express (hex digests, metrics maps, run_id charset).
// Errors read "message 'train_result': missing required key 'num_samples'".
StatusOr<Message> ParseMessageHeader(std::string_view json);
StatusOr<Message> ParseMessageJson(const nlohmann::json& header);

// The schema a header of `type` is validated against (common fields included).
const config::Schema& MessageSchema(MessageType type);

// Markdown documentation of every message type's header, for docs/protocol.md.
std::string ProtocolMarkdown();

// A message and its payload, decoded from one frame. `payload` views the frame's buffer.
struct DecodedMessage {
  Message message;
  std::string_view payload;
};

// Frames `message` with `payload`; refuses a payload where the type has none and a missing one
// where it needs one (InvalidArgument), and sizes over `limits`.
StatusOr<std::string> EncodeMessage(const Message& message, std::string_view payload,
                                    const FrameLimits& limits);
// DecodeFrame + ParseMessageHeader + the payload rule of the type.
StatusOr<DecodedMessage> DecodeMessage(std::string_view frame, const FrameLimits& limits);

// ---- what may leave a site --------------------------------------------------------------------

// For each type a site sends (hello, heartbeat, train_result, decline, evaluate_result, error, bye,
// ack), the complete set of header key paths it may contain: top-level keys ("num_samples"),
// nested ones ("dataset.num_train") and map entries as "metrics.*" /
// "dataset.modality_counts.*". Empty for types a site never sends.
const std::set<std::string>& SiteOutboundHeaderKeys(MessageType type);

// Checks a header a site is about to send against SiteOutboundHeaderKeys(): every key path of
// `header` must be allowed for its type. PermissionDenied naming the first key that is not.
Status CheckSiteOutboundHeader(const nlohmann::json& header);

}  // namespace pancaim::protocol
