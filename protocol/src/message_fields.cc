#include "message_fields.h"

#include <cmath>

namespace pancaim::protocol::internal {

using nlohmann::json;

Status KeyError(const std::string& path, const std::string& message) {
  return InvalidArgumentError("key '" + path + "': " + message);
}

config::Field Sha256Field(std::string doc) {
  return config::Field::String(std::move(doc) + " (SHA-256, 64 lowercase hex digits)").Required();
}

Status CheckSha256(const json& value, const std::string& path) {
  const auto& text = value.get_ref<const std::string&>();
  bool hex = text.size() == 64;
  for (char c : text) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!hex) return KeyError(path, "expected 64 lowercase hex digits (a SHA-256 digest)");
  return Status::Ok();
}

Status CheckRunId(const std::string& run_id, const std::string& path) {
  if (run_id.size() > 128) return KeyError(path, "longer than 128 characters");
  for (char c : run_id) {
    bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-';
    if (!allowed) return KeyError(path, "may hold only letters, digits, '.', '_' and '-'");
  }
  return Status::Ok();
}

config::Field MetricsField(std::string doc) {
  return config::Field::Any(std::move(doc) + " (object of finite numbers, at most 256 keys)")
      .Default(json::object());
}

namespace {

Status CheckMapShape(const json& value, const std::string& path) {
  if (!value.is_object()) return KeyError(path, "expected an object");
  if (value.size() > kMaxMapEntries) {
    return KeyError(path, "has " + std::to_string(value.size()) + " entries, over the limit of " +
                              std::to_string(kMaxMapEntries));
  }
  for (const auto& [key, unused] : value.items()) {
    if (key.empty() || key.size() > kMaxMapKeyBytes) {
      return KeyError(path, "entry names must have 1.." + std::to_string(kMaxMapKeyBytes) +
                                " characters");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Metrics> ParseMetrics(const json& value, const std::string& path) {
  PANCAIM_RETURN_IF_ERROR(CheckMapShape(value, path));
  Metrics metrics;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_number() || !std::isfinite(item.get<double>())) {
      return KeyError(path + "." + key, "expected a finite number");
    }
    metrics.emplace(key, item.get<double>());
  }
  return metrics;
}

StatusOr<std::map<std::string, std::int64_t>> ParseCounts(const json& value,
                                                          const std::string& path) {
  PANCAIM_RETURN_IF_ERROR(CheckMapShape(value, path));
  std::map<std::string, std::int64_t> counts;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_number_unsigned() || item.get<std::uint64_t>() > kMaxCount) {
      return KeyError(path + "." + key, "expected an integer count 0..1e12");
    }
    counts.emplace(key, item.get<std::int64_t>());
  }
  return counts;
}

Status CheckObject(const json& value, const std::string& path) {
  if (!value.is_object()) return KeyError(path, "expected an object");
  return Status::Ok();
}

Status CheckMessageTypeName(const json& value, const std::string& path) {
  auto type = ParseMessageType(value.get_ref<const std::string&>());
  if (!type.ok()) return KeyError(path, type.status().message());
  return Status::Ok();
}

}  // namespace pancaim::protocol::internal
