// Internal: field checks shared by the message bodies that config::Schema cannot express.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/status.h"
#include "pancaim/protocol/messages.h"

namespace pancaim::protocol::internal {

// Largest integer a JSON number (an IEEE double in most readers) holds exactly: 2^53 - 1.
inline constexpr double kMaxExactInteger = 9007199254740991.0;
// Bounds of counts (patients, samples) and of map sizes.
inline constexpr double kMaxCount = 1e12;
inline constexpr std::size_t kMaxMapEntries = 256;
inline constexpr std::size_t kMaxMapKeyBytes = 128;

// A SHA-256 digest: 64 lowercase hex digits.
config::Field Sha256Field(std::string doc);
Status CheckSha256(const nlohmann::json& value, const std::string& path);

// run_id: [A-Za-z0-9._-]{0,128}, may be empty.
Status CheckRunId(const std::string& run_id, const std::string& path);

// A JSON object of finite numbers (Metrics) or of non-negative integer counts, with bounded size.
config::Field MetricsField(std::string doc);
StatusOr<Metrics> ParseMetrics(const nlohmann::json& value, const std::string& path);
StatusOr<std::map<std::string, std::int64_t>> ParseCounts(const nlohmann::json& value,
                                                          const std::string& path);

// A JSON object of any content (a model's options, a run spec), checked to be an object.
Status CheckObject(const nlohmann::json& value, const std::string& path);

// A message type name, e.g. for decline.request_type.
Status CheckMessageTypeName(const nlohmann::json& value, const std::string& path);

// "key 'path': message" as InvalidArgument, matching config::Schema's errors.
Status KeyError(const std::string& path, const std::string& message);

}  // namespace pancaim::protocol::internal
