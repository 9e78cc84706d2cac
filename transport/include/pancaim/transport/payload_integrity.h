// Update integrity on the wire: every frame with a payload (model or update) carries the payload's
// SHA-256 in its header field "payload_sha256" (64 lowercase hex), and the receiver checks it.
// TLS already protects bytes in transit; this binds the payload to the header that describes it,
// end to end through relays and storage, and catches sender-side corruption. Stateless; thread-safe.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::transport {

inline constexpr std::string_view kPayloadSha256Field = "payload_sha256";

// Sets header["payload_sha256"] to the SHA-256 of `payload` (replacing any previous value).
// Does nothing for an empty payload. `header` must be a JSON object (checked).
void AttachPayloadSha256(nlohmann::json& header, std::string_view payload);

// Checks an incoming frame: OK for an empty payload without the field. Otherwise the field must
// be a 64-character lowercase hex string equal to the payload's SHA-256. InvalidArgument when it
// is missing or malformed, DataLoss when it does not match; messages name `peer` and both digests.
Status VerifyPayloadSha256(const nlohmann::json& header, std::string_view payload,
                           std::string_view peer);

// The same check against a digest already computed (e.g. incrementally while reading).
Status CheckPayloadSha256(const nlohmann::json& header, std::string_view actual_sha256_hex,
                          bool has_payload, std::string_view peer);

}  // namespace pancaim::transport
