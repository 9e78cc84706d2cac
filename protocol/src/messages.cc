#include "pancaim/protocol/messages.h"

#include <array>
#include <utility>

#include "message_bodies.h"
#include "message_fields.h"
#include "untrusted_json.h"

namespace pancaim::protocol {
namespace {

using config::Field;
using config::Schema;
using nlohmann::json;

// Names in MessageType order; MessageBody's alternatives follow the same order.
constexpr std::array<std::string_view, 19> kTypeNames = {
    "hello",          "welcome",         "heartbeat",      "train_request",  "train_result",
    "decline",        "evaluate_request", "evaluate_result", "error",         "bye",
    "submit_run",     "status_request",  "status_response", "sites_request", "sites_response",
    "control",        "export_request",  "export_response", "ack"};
static_assert(kTypeNames.size() == std::variant_size_v<MessageBody>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(MessageType::kAck),
                                                        MessageBody>,
                             Ack>);
static_assert(std::is_same_v<std::variant_alternative_t<
                                 static_cast<std::size_t>(MessageType::kTrainResult), MessageBody>,
                             TrainResult>);
static_assert(std::is_same_v<std::variant_alternative_t<
                                 static_cast<std::size_t>(MessageType::kError), MessageBody>,
                             ErrorMessage>);

// Headers nest at most root -> runs[] -> run -> metrics; model_config and run_spec may nest more.
constexpr std::size_t kMaxHeaderDepth = 32;

template <typename T>
StatusOr<MessageBody> ParseBodyAs(const json& header) {
  PANCAIM_ASSIGN_OR_RETURN(T body, internal::BodyFromJson(header, internal::Tag<T>{}));
  return MessageBody(std::move(body));
}

template <std::size_t... I>
StatusOr<MessageBody> ParseBody(MessageType type, const json& header, std::index_sequence<I...>) {
  using Parser = StatusOr<MessageBody> (*)(const json&);
  static constexpr Parser kParsers[] = {&ParseBodyAs<std::variant_alternative_t<I, MessageBody>>...};
  return kParsers[static_cast<std::size_t>(type)](header);
}

Schema CommonSchema(MessageType type) {
  Schema schema("Header of a `" + std::string(MessageTypeName(type)) + "` message.");
  schema.Add("type", Field::String("Message type").OneOf({std::string(MessageTypeName(type))})
                         .Required());
  schema.Add("protocol_version", Field::Integer("Protocol version").Required()
                                     .Range(kProtocolVersion, kProtocolVersion));
  schema.Add("run_id", Field::String("Run identifier, [A-Za-z0-9._-]{0,128}; may be empty")
                           .Required());
  schema.Add("round", Field::Integer("Round number; 0 outside rounds").Required().Range(0, 1e9));
  schema.Add("sender_role", Field::String("Claimed sender role (never trusted: identity comes "
                                          "from the TLS certificate)")
                                .OneOf({"site", "coordinator", "operator"})
                                .Required());
  return schema;
}

template <std::size_t... I>
std::vector<Schema> BuildSchemas(std::index_sequence<I...>) {
  std::vector<Schema> schemas;
  (
      [&] {
        Schema schema = CommonSchema(static_cast<MessageType>(I));
        internal::AddBodyFields(schema,
                                internal::Tag<std::variant_alternative_t<I, MessageBody>>{});
        schemas.push_back(std::move(schema));
      }(),
      ...);
  return schemas;
}

constexpr auto kBodyIndices = std::make_index_sequence<std::variant_size_v<MessageBody>>{};

std::string Context(MessageType type) {
  return "message '" + std::string(MessageTypeName(type)) + "'";
}

// Checked before the schema so that a peer speaking another version hears about the version, not
// about whatever keys that version added.
Status CheckVersion(MessageType type, const json& header) {
  auto version = header.find("protocol_version");
  if (version == header.end() || !version->is_number_integer()) return Status::Ok();
  const bool same = version->is_number_unsigned()
                        ? version->get<std::uint64_t>() == std::uint64_t{kProtocolVersion}
                        : version->get<std::int64_t>() == kProtocolVersion;
  if (same) return Status::Ok();
  return FailedPreconditionError(Context(type) + ": protocol_version " + version->dump() +
                                 " is not supported; this build speaks protocol_version " +
                                 std::to_string(kProtocolVersion));
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSite: return "site";
    case Role::kCoordinator: return "coordinator";
    case Role::kOperator: return "operator";
  }
  PANCAIM_CHECK(false) << "unknown Role " << static_cast<int>(role);
  return "";
}

StatusOr<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kSite, Role::kCoordinator, Role::kOperator}) {
    if (RoleName(role) == name) return role;
  }
  return InvalidArgumentError("unknown role '" + std::string(name) +
                              "' (known: site, coordinator, operator)");
}

std::string_view MessageTypeName(MessageType type) {
  const auto index = static_cast<std::size_t>(type);
  PANCAIM_CHECK(index < kTypeNames.size()) << "unknown MessageType " << index;
  return kTypeNames[index];
}

StatusOr<MessageType> ParseMessageType(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<MessageType>(i);
  }
  std::string known;
  for (std::string_view type : kTypeNames) known += (known.empty() ? "" : ", ") + std::string(type);
  // Truncated so that a hostile name cannot blow up log lines.
  return InvalidArgumentError("unknown message type '" + std::string(name.substr(0, 64)) +
                              "' (known: " + known + ")");
}

const std::vector<MessageType>& AllMessageTypes() {
  static const auto* types = [] {
    auto* all = new std::vector<MessageType>;
    for (std::size_t i = 0; i < kTypeNames.size(); ++i) all->push_back(static_cast<MessageType>(i));
    return all;
  }();
  return *types;
}

PayloadRule PayloadRuleFor(MessageType type) {
  switch (type) {
    case MessageType::kTrainRequest:
    case MessageType::kTrainResult:
    case MessageType::kEvaluateRequest:
    case MessageType::kExportResponse:
      return PayloadRule::kRequired;
    default:
      return PayloadRule::kNone;
  }
}

bool RoleMaySend(Role role, MessageType type) {
  switch (type) {
    case MessageType::kHello:
    case MessageType::kTrainResult:
    case MessageType::kDecline:
    case MessageType::kEvaluateResult:
      return role == Role::kSite;
    case MessageType::kWelcome:
    case MessageType::kTrainRequest:
    case MessageType::kEvaluateRequest:
    case MessageType::kStatusResponse:
    case MessageType::kSitesResponse:
    case MessageType::kExportResponse:
      return role == Role::kCoordinator;
    case MessageType::kSubmitRun:
    case MessageType::kStatusRequest:
    case MessageType::kSitesRequest:
    case MessageType::kControl:
    case MessageType::kExportRequest:
      return role == Role::kOperator;
    case MessageType::kHeartbeat:
    case MessageType::kError:
    case MessageType::kBye:
    case MessageType::kAck:
      return true;
  }
  return false;
}

std::string_view UpdateKindName(UpdateKind kind) {
  return kind == UpdateKind::kWeights ? "weights" : "delta";
}

std::string_view EncodingName(Encoding encoding) {
  return encoding == Encoding::kPlain ? "plain" : "masked";
}

MessageType Message::type() const { return static_cast<MessageType>(body.index()); }

const config::Schema& MessageSchema(MessageType type) {
  static const auto* schemas = new std::vector<Schema>(BuildSchemas(kBodyIndices));
  return (*schemas)[static_cast<std::size_t>(type)];
}

json ToJson(const Message& message) {
  json out = json::object();
  out["type"] = MessageTypeName(message.type());
  out["protocol_version"] = kProtocolVersion;
  out["run_id"] = message.run_id;
  out["round"] = message.round;
  out["sender_role"] = RoleName(message.sender_role);
  std::visit([&out](const auto& body) { internal::BodyToJson(body, out); }, message.body);
  return out;
}

std::string SerializeMessageHeader(const Message& message) { return ToJson(message).dump(); }

StatusOr<Message> ParseMessageJson(const json& header) {
  if (!header.is_object()) return InvalidArgumentError("message header is not a JSON object");
  auto type_value = header.find("type");
  if (type_value == header.end()) {
    return InvalidArgumentError("message header: missing required key 'type'");
  }
  if (!type_value->is_string()) {
    return InvalidArgumentError("message header: key 'type': expected a string");
  }
  PANCAIM_ASSIGN_OR_RETURN(MessageType type,
                           ParseMessageType(type_value->get_ref<const std::string&>()));
  PANCAIM_RETURN_IF_ERROR(CheckVersion(type, header));
  auto validated = MessageSchema(type).Validate(header);
  if (!validated.ok()) return validated.status().WithContext(Context(type));
  try {
    Message message;
    message.run_id = validated->at("run_id").get<std::string>();
    Status run_id = internal::CheckRunId(message.run_id, "run_id");
    if (!run_id.ok()) return run_id.WithContext(Context(type));
    message.round = validated->at("round").get<std::int64_t>();
    message.sender_role = *ParseRole(validated->at("sender_role").get<std::string>());
    auto body = ParseBody(type, *validated, kBodyIndices);
    if (!body.ok()) return body.status().WithContext(Context(type));
    message.body = *std::move(body);
    return message;
  } catch (const json::exception& error) {
    // Unreachable once the schema passed; kept so that a schema/reader mismatch is an error, not
    // a crash on input.
    return InternalError(Context(type) + ": " + error.what());
  }
}

StatusOr<Message> ParseMessageHeader(std::string_view text) {
  PANCAIM_ASSIGN_OR_RETURN(json header,
                           internal::ParseUntrustedJson(text, "message header", kMaxHeaderDepth));
  return ParseMessageJson(header);
}

std::string ProtocolMarkdown() {
  std::string out;
  for (MessageType type : AllMessageTypes()) {
    std::string title = "`" + std::string(MessageTypeName(type)) + "`";
    title += PayloadRequired(type) ? " (payload: safetensors)" : " (no payload)";
    out += MessageSchema(type).Markdown(title, 3);
  }
  return out;
}

StatusOr<std::string> EncodeMessage(const Message& message, std::string_view payload,
                                    const FrameLimits& limits) {
  const MessageType type = message.type();
  if (PayloadRequired(type) && payload.empty()) {
    return InvalidArgumentError(Context(type) + ": needs a payload");
  }
  if (!PayloadRequired(type) && !payload.empty()) {
    return InvalidArgumentError(Context(type) + ": carries no payload, got " +
                                std::to_string(payload.size()) + " bytes");
  }
  return EncodeFrame(SerializeMessageHeader(message), payload, limits);
}

StatusOr<DecodedMessage> DecodeMessage(std::string_view frame, const FrameLimits& limits) {
  PANCAIM_ASSIGN_OR_RETURN(FrameView view, DecodeFrame(frame, limits));
  PANCAIM_ASSIGN_OR_RETURN(Message message, ParseMessageHeader(view.header_json));
  const MessageType type = message.type();
  if (PayloadRequired(type) && view.payload.empty()) {
    return InvalidArgumentError(Context(type) + ": frame has no payload, the type requires one");
  }
  if (!PayloadRequired(type) && !view.payload.empty()) {
    return InvalidArgumentError(Context(type) + ": frame has a " +
                                std::to_string(view.payload.size()) +
                                "-byte payload, the type carries none");
  }
  return DecodedMessage{std::move(message), view.payload};
}

}  // namespace pancaim::protocol
