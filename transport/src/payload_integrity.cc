#include "pancaim/transport/payload_integrity.h"

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

// The first digest field present in `header`, or nullptr.
const std::string* FindDigestField(const nlohmann::json& header,
                                   const std::vector<std::string>& digest_fields) {
  if (!header.is_object()) return nullptr;
  for (const std::string& field : digest_fields) {
    if (header.contains(field)) return &field;
  }
  return nullptr;
}

std::string FieldList(const std::vector<std::string>& digest_fields) {
  std::string list;
  for (const std::string& field : digest_fields) list += (list.empty() ? "'" : ", '") + field + "'";
  return list;
}

}  // namespace

const std::vector<std::string>& DefaultPayloadDigestFields() {
  static const std::vector<std::string> fields = {std::string(kPayloadSha256Field),
                                                  "base_model_sha256", "model_sha256"};
  return fields;
}

Status CheckPayloadDigestPresent(const nlohmann::json& header, std::string_view peer,
                                 const std::vector<std::string>& digest_fields) {
  const std::string* field = FindDigestField(header, digest_fields);
  if (field == nullptr) {
    return InvalidArgumentError("frame from " + std::string(peer) +
                                " has a payload but no digest field (" + FieldList(digest_fields) +
                                ")");
  }
  const nlohmann::json& value = header.at(*field);
  if (!value.is_string() || !IsLowercaseHex64(value.get<std::string>())) {
    return InvalidArgumentError("frame from " + std::string(peer) + ": '" + *field +
                                "' is not 64 lowercase hex characters");
  }
  return Status::Ok();
}

Status CheckPayloadSha256(const nlohmann::json& header, std::string_view actual_sha256_hex,
                          bool has_payload, std::string_view peer,
                          const std::vector<std::string>& digest_fields) {
  const std::string payload_field(kPayloadSha256Field);
  if (!has_payload) {
    if (header.is_object() && header.contains(payload_field)) {
      return InvalidArgumentError("frame from " + std::string(peer) + " has '" + payload_field +
                                  "' but no payload");
    }
    return Status::Ok();
  }
  PANCAIM_RETURN_IF_ERROR(CheckPayloadDigestPresent(header, peer, digest_fields));
  const std::string& field = *FindDigestField(header, digest_fields);
  const std::string& claimed = header.at(field).get_ref<const std::string&>();
  if (claimed != actual_sha256_hex) {
    return DataLossError("payload from " + std::string(peer) + " does not match its " + field +
                         ": header says " + claimed + ", payload hashes to " +
                         std::string(actual_sha256_hex));
  }
  return Status::Ok();
}

Status VerifyPayloadSha256(const nlohmann::json& header, std::string_view payload,
                           std::string_view peer, const std::vector<std::string>& digest_fields) {
  if (payload.empty()) return CheckPayloadSha256(header, "", false, peer, digest_fields);
  return CheckPayloadSha256(header, crypto::Sha256Hex(payload), true, peer, digest_fields);
}

Status AttachPayloadSha256(nlohmann::json& header, std::string_view payload,
                           const std::vector<std::string>& digest_fields, bool recheck_supplied) {
  PANCAIM_CHECK(header.is_object()) << "AttachPayloadSha256 needs a JSON object header";
  if (payload.empty()) return Status::Ok();
  if (!recheck_supplied && FindDigestField(header, digest_fields) != nullptr) {
    Status present = CheckPayloadDigestPresent(header, "this process", digest_fields);
    if (!present.ok()) return InvalidArgumentError("outgoing frame: " + present.message());
    return Status::Ok();
  }
  std::string digest = crypto::Sha256Hex(payload);
  if (FindDigestField(header, digest_fields) != nullptr) {
    Status matches = CheckPayloadSha256(header, digest, true, "this process", digest_fields);
    if (!matches.ok()) {
      return InvalidArgumentError("outgoing frame: " + matches.message());
    }
    return Status::Ok();
  }
  header[std::string(kPayloadSha256Field)] = std::move(digest);
  return Status::Ok();
}

}  // namespace pancaim::transport
