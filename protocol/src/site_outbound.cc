// The allow-list of header keys a site may send: the written form of "patient data never leaves".
// Kept by hand on purpose (not derived from the schemas) so that adding a field to a site message
// is a visible, reviewed change here; a test checks the two stay in step.
#include <map>

#include "pancaim/protocol/messages.h"

namespace pancaim::protocol {
namespace {

using nlohmann::json;

const std::set<std::string> kCommonKeys = {"type", "protocol_version", "run_id", "round",
                                           "sender_role"};

std::set<std::string> WithCommon(std::set<std::string> keys) {
  keys.insert(kCommonKeys.begin(), kCommonKeys.end());
  return keys;
}

const std::map<MessageType, std::set<std::string>>& AllowList() {
  static const auto* allow = new std::map<MessageType, std::set<std::string>>{
      {MessageType::kHello,
       WithCommon({"software_version", "device", "encodings", "dataset", "dataset.num_patients",
                   "dataset.num_train", "dataset.num_validation", "dataset.num_test",
                   "dataset.modality_counts", "dataset.modality_counts.*"})},
      {MessageType::kHeartbeat, WithCommon({"sequence", "state"})},
      {MessageType::kTrainResult,
       WithCommon({"base_model_sha256", "update_kind", "num_samples", "metrics", "metrics.*",
                   "payload_sha256", "encoding"})},
      {MessageType::kDecline, WithCommon({"code", "reason", "request_type"})},
      {MessageType::kEvaluateResult,
       WithCommon({"model_sha256", "split", "num_samples", "metrics", "metrics.*"})},
      {MessageType::kError, WithCommon({"code", "message"})},
      {MessageType::kBye, WithCommon({"reason"})},
      {MessageType::kAck, WithCommon({"request_type", "message"})},
  };
  return *allow;
}

// Walks `value` at `path`; objects recurse, except maps ("path.*" allowed) whose entries must be
// numbers. Arrays are leaves but may not hold objects (they could smuggle records).
Status CheckKeys(const json& value, const std::string& path, const std::set<std::string>& allowed,
                 MessageType type) {
  const std::string where = "message '" + std::string(MessageTypeName(type)) + "' from a site";
  if (!path.empty() && !allowed.count(path)) {
    return PermissionDeniedError(where + ": key '" + path + "' may not leave the site");
  }
  if (value.is_array()) {
    for (const json& item : value) {
      if (item.is_object() || item.is_array()) {
        return PermissionDeniedError(where + ": key '" + path + "' holds nested records");
      }
    }
    return Status::Ok();
  }
  if (!value.is_object()) return Status::Ok();
  const bool is_map = allowed.count(path + ".*") > 0;
  for (const auto& [key, item] : value.items()) {
    if (is_map) {
      if (!item.is_number()) {
        return PermissionDeniedError(where + ": key '" + path + "." + key +
                                     "' is not an aggregate number");
      }
      continue;
    }
    PANCAIM_RETURN_IF_ERROR(CheckKeys(item, path.empty() ? key : path + "." + key, allowed, type));
  }
  return Status::Ok();
}

}  // namespace

const std::set<std::string>& SiteOutboundHeaderKeys(MessageType type) {
  static const std::set<std::string>* empty = new std::set<std::string>;
  auto found = AllowList().find(type);
  return found == AllowList().end() ? *empty : found->second;
}

Status CheckSiteOutboundHeader(const json& header) {
  if (!header.is_object() || !header.contains("type") || !header["type"].is_string()) {
    return PermissionDeniedError("site header has no message type");
  }
  auto type = ParseMessageType(header["type"].get<std::string>());
  if (!type.ok()) return PermissionDeniedError(type.status().message());
  const std::set<std::string>& allowed = SiteOutboundHeaderKeys(*type);
  if (allowed.empty()) {
    return PermissionDeniedError("message '" + std::string(MessageTypeName(*type)) +
                                 "' is not a type a site sends");
  }
  return CheckKeys(header, "", allowed, *type);
}

}  // namespace pancaim::protocol
