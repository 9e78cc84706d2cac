#include "pancaim/transport/payload_integrity.h"

#include <string>

#include "pancaim/common/check.h"
#include "pancaim/crypto/sha256.h"

namespace pancaim::transport {
namespace {

bool IsLowercaseHex64(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

void AttachPayloadSha256(nlohmann::json& header, std::string_view payload) {
  PANCAIM_CHECK(header.is_object()) << "AttachPayloadSha256 needs a JSON object header";
  if (payload.empty()) return;
  header[std::string(kPayloadSha256Field)] = crypto::Sha256Hex(payload);
}

Status CheckPayloadSha256(const nlohmann::json& header, std::string_view actual_sha256_hex,
                          bool has_payload, std::string_view peer) {
  const std::string field(kPayloadSha256Field);
  const bool has_field = header.is_object() && header.contains(field);
  if (!has_payload) {
    if (has_field) {
      return InvalidArgumentError("frame from " + std::string(peer) + " has '" + field +
                                  "' but no payload");
    }
    return Status::Ok();
  }
  if (!has_field) {
    return InvalidArgumentError("frame from " + std::string(peer) + " has a payload but no '" +
                                field + "' header field");
  }
  const nlohmann::json& value = header.at(field);
  if (!value.is_string() || !IsLowercaseHex64(value.get<std::string>())) {
    return InvalidArgumentError("frame from " + std::string(peer) + ": '" + field +
                                "' is not 64 lowercase hex characters");
  }
  const std::string& claimed = value.get_ref<const std::string&>();
  if (claimed != actual_sha256_hex) {
    return DataLossError("payload from " + std::string(peer) + " does not match its " + field +
                         ": header says " + claimed + ", payload hashes to " +
                         std::string(actual_sha256_hex));
  }
  return Status::Ok();
}

Status VerifyPayloadSha256(const nlohmann::json& header, std::string_view payload,
                           std::string_view peer) {
  if (payload.empty()) return CheckPayloadSha256(header, "", false, peer);
  return CheckPayloadSha256(header, crypto::Sha256Hex(payload), true, peer);
}

}  // namespace pancaim::transport
