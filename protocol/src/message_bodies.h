// Internal: per-type schema fields, JSON writers and readers of the message bodies.
// For each body type T of MessageBody:
//   AddBodyFields(schema, tag<T>)  adds T's keys to a schema holding the common fields;
//   BodyToJson(body, out)          writes T's keys into a header object;
//   BodyFromJson(validated, tag<T>) reads T from a header that passed the schema (defaults filled)
//                                   and applies the checks a schema cannot express; errors name
//                                   the key path but not the message type (the caller adds it).
#pragma once

#include <type_traits>

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/protocol/messages.h"

namespace pancaim::protocol::internal {

template <typename T>
using Tag = std::type_identity<T>;

#define PANCAIM_DECLARE_BODY(T)                                  \
  void AddBodyFields(config::Schema& schema, Tag<T>);            \
  void BodyToJson(const T& body, nlohmann::json& out);           \
  StatusOr<T> BodyFromJson(const nlohmann::json& header, Tag<T>)

PANCAIM_DECLARE_BODY(Hello);
PANCAIM_DECLARE_BODY(Welcome);
PANCAIM_DECLARE_BODY(Heartbeat);
PANCAIM_DECLARE_BODY(TrainRequest);
PANCAIM_DECLARE_BODY(TrainResult);
PANCAIM_DECLARE_BODY(Decline);
PANCAIM_DECLARE_BODY(EvaluateRequest);
PANCAIM_DECLARE_BODY(EvaluateResult);
PANCAIM_DECLARE_BODY(ErrorMessage);
PANCAIM_DECLARE_BODY(Bye);
PANCAIM_DECLARE_BODY(SubmitRun);
PANCAIM_DECLARE_BODY(StatusRequest);
PANCAIM_DECLARE_BODY(StatusResponse);
PANCAIM_DECLARE_BODY(SitesRequest);
PANCAIM_DECLARE_BODY(SitesResponse);
PANCAIM_DECLARE_BODY(Control);
PANCAIM_DECLARE_BODY(ExportRequest);
PANCAIM_DECLARE_BODY(ExportResponse);
PANCAIM_DECLARE_BODY(Ack);

#undef PANCAIM_DECLARE_BODY

}  // namespace pancaim::protocol::internal
