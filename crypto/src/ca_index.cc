#include "ca_index.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "openssl_util.h"

namespace pancaim::crypto::internal {
namespace {

constexpr std::string_view kFormat = "pancaim-ca-index";
constexpr int kVersion = 1;

nlohmann::json EntryToJson(const IssuedCertificate& entry) {
  nlohmann::json json;
  json["serial"] = entry.serial_hex;
  json["role"] = std::string(RoleName(entry.role));
  json["id"] = entry.id;
  json["dns_names"] = entry.dns_names;
  json["not_before"] = FormatUtc(entry.not_before);
  json["not_after"] = FormatUtc(entry.not_after);
  json["issued_at"] = FormatUtc(entry.issued_at);
  json["public_key_sha256"] = entry.public_key_sha256;
  json["revoked_at"] =
      entry.revoked_at ? nlohmann::json(FormatUtc(*entry.revoked_at)) : nlohmann::json(nullptr);
  return json;
}

StatusOr<TimePoint> TimeField(const nlohmann::json& json, const char* field) {
  if (!json.contains(field) || !json[field].is_string()) {
    return InvalidArgumentError(std::string("field '") + field + "' missing or not a string");
  }
  StatusOr<TimePoint> time = ParseUtc(json[field].get<std::string>());
  if (!time.ok()) return time.status().WithContext(std::string("field '") + field + "'");
  return time;
}

StatusOr<IssuedCertificate> EntryFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return InvalidArgumentError("entry is not an object");
  for (const char* field : {"serial", "role", "id"}) {
    if (!json.contains(field) || !json[field].is_string()) {
      return InvalidArgumentError(std::string("field '") + field + "' missing or not a string");
    }
  }
  IssuedCertificate entry;
  entry.serial_hex = json["serial"].get<std::string>();
  if (CanonicalSerial(entry.serial_hex).empty()) {
    return InvalidArgumentError("field 'serial' is not hex: '" + entry.serial_hex + "'");
  }
  PANCAIM_ASSIGN_OR_RETURN(entry.role, ParseRole(json["role"].get<std::string>()));
  entry.id = json["id"].get<std::string>();
  PANCAIM_RETURN_IF_ERROR(ValidateIdentityName(entry.id));
  if (json.contains("dns_names")) {
    if (!json["dns_names"].is_array()) return InvalidArgumentError("'dns_names' is not an array");
    for (const nlohmann::json& name : json["dns_names"]) {
      if (!name.is_string()) return InvalidArgumentError("'dns_names' holds a non-string");
      entry.dns_names.push_back(name.get<std::string>());
    }
  }
  if (json.contains("public_key_sha256") && json["public_key_sha256"].is_string()) {
    entry.public_key_sha256 = json["public_key_sha256"].get<std::string>();
  }
  PANCAIM_ASSIGN_OR_RETURN(entry.not_before, TimeField(json, "not_before"));
  PANCAIM_ASSIGN_OR_RETURN(entry.not_after, TimeField(json, "not_after"));
  PANCAIM_ASSIGN_OR_RETURN(entry.issued_at, TimeField(json, "issued_at"));
  if (json.contains("revoked_at") && !json["revoked_at"].is_null()) {
    PANCAIM_ASSIGN_OR_RETURN(entry.revoked_at, TimeField(json, "revoked_at"));
  }
  return entry;
}

}  // namespace

std::string CanonicalSerial(std::string_view serial_hex) {
  std::string result;
  for (char c : serial_hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
    if (result.empty() && c == '0') continue;
    result += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (result.empty() && !serial_hex.empty()) result = "0";
  return result;
}

IssuedCertificate* CaIndex::FindSerial(std::string_view serial_hex) {
  std::string wanted = CanonicalSerial(serial_hex);
  if (wanted.empty()) return nullptr;
  for (IssuedCertificate& entry : certificates) {
    if (CanonicalSerial(entry.serial_hex) == wanted) return &entry;
  }
  return nullptr;
}

std::string SerializeCaIndex(const CaIndex& index) {
  nlohmann::json json;
  json["format"] = std::string(kFormat);
  json["version"] = kVersion;
  json["crl_number"] = index.crl_number;
  json["certificates"] = nlohmann::json::array();
  for (const IssuedCertificate& entry : index.certificates) {
    json["certificates"].push_back(EntryToJson(entry));
  }
  return json.dump(2) + "\n";
}

StatusOr<CaIndex> ParseCaIndex(std::string_view json_text, const std::string& file) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& error) {
    return InvalidArgumentError(file + ": not valid JSON: " + error.what());
  }
  if (!json.is_object() || json.value("format", "") != kFormat) {
    return InvalidArgumentError(file + ": not a pancaim-ca index (field 'format')");
  }
  if (!json.contains("version") || !json["version"].is_number_integer() ||
      json["version"].get<int>() != kVersion) {
    return InvalidArgumentError(file + ": unsupported 'version' (expected 1)");
  }
  CaIndex index;
  if (!json.contains("crl_number") || !json["crl_number"].is_number_unsigned()) {
    return InvalidArgumentError(file + ": field 'crl_number' missing or not a number");
  }
  index.crl_number = json["crl_number"].get<std::uint64_t>();
  if (!json.contains("certificates") || !json["certificates"].is_array()) {
    return InvalidArgumentError(file + ": field 'certificates' missing or not an array");
  }
  const nlohmann::json& entries = json["certificates"];
  for (std::size_t i = 0; i < entries.size(); ++i) {
    StatusOr<IssuedCertificate> entry = EntryFromJson(entries[i]);
    if (!entry.ok()) {
      return entry.status().WithContext(file + ": certificates[" + std::to_string(i) + "]");
    }
    index.certificates.push_back(std::move(*entry));
  }
  return index;
}

}  // namespace pancaim::crypto::internal
