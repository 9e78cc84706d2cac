// Update integrity on the wire: every frame with a payload (model or update) carries the payload's
// SHA-256 (64 lowercase hex) in its header, and the receiver checks it. TLS already protects bytes
// in transit; this binds the payload to the header that describes it, end to end through relays
// and storage, and catches sender-side corruption. Stateless; thread-safe.
//
// Which header field holds the digest: the first of `digest_fields` present in the header. The
// defaults mirror protocol/messages.h, whose schemas refuse unknown keys: train_result carries
// "payload_sha256", train_request "base_model_sha256", evaluate_request and export_response
// "model_sha256" (the payload is the model). A header with none of them gets "payload_sha256".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::transport {

inline constexpr std::string_view kPayloadSha256Field = "payload_sha256";

// {"payload_sha256", "base_model_sha256", "model_sha256"}, in that order of precedence.
const std::vector<std::string>& DefaultPayloadDigestFields();

// Outgoing: when the header already has one of `digest_fields`, checks that it is the payload's
// SHA-256 (InvalidArgument naming the field otherwise: a sender-side bug) — or, with
// `recheck_supplied` false, only that it is well-formed (64 lowercase hex digits); else sets
// header["payload_sha256"]. Does nothing for an empty payload. `header` must be a JSON object.
Status AttachPayloadSha256(nlohmann::json& header, std::string_view payload,
                           const std::vector<std::string>& digest_fields =
                               DefaultPayloadDigestFields(),
                           bool recheck_supplied = true);

// Incoming: OK for an empty payload (which must not carry "payload_sha256"). Otherwise the first
// present digest field must be 64 lowercase hex characters equal to the payload's SHA-256.
// InvalidArgument when no digest field is present or it is malformed, DataLoss when it does not
// match; messages name `peer`, the field and both digests.
Status VerifyPayloadSha256(const nlohmann::json& header, std::string_view payload,
                           std::string_view peer,
                           const std::vector<std::string>& digest_fields =
                               DefaultPayloadDigestFields());

// The same check against a digest already computed (e.g. incrementally while reading).
Status CheckPayloadSha256(const nlohmann::json& header, std::string_view actual_sha256_hex,
                          bool has_payload, std::string_view peer,
                          const std::vector<std::string>& digest_fields =
                              DefaultPayloadDigestFields());

// Incoming, before reading the payload: InvalidArgument unless a well-formed digest field is
// present, so a payload without one is refused before it is buffered.
Status CheckPayloadDigestPresent(const nlohmann::json& header, std::string_view peer,
                                 const std::vector<std::string>& digest_fields =
                                     DefaultPayloadDigestFields());

}  // namespace pancaim::transport
