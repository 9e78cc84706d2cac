// OperatorClient: one request/response exchange between an operator tool and the coordinator
// over mutual TLS (the operator's certificate carries role operator). Used by the
// `pancaim-coordinator submit|status|sites|pause|resume|abort|export` commands and by tests.
//
// operator.json: {"coordinator": {"address", "port", "server_name", "ca_file", "cert_file",
// "key_file", "crl_file"}}; relative file paths are resolved against the config file's folder.
//
// Thread-safety: Request is blocking and may be called from any thread that is not an io thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/status.h"
#include "pancaim/protocol/messages.h"

namespace pancaim::coordinator::server {

// Schema of operator.json.
const config::Schema& OperatorConfigSchema();

// A reply and its payload (export_response carries the model).
struct OperatorReply {
  protocol::Message message;
  std::string payload;
};

// Loads operator.json, connects, sends `request` and waits up to `timeout` for the first reply
// that is not a heartbeat. An error reply from the coordinator comes back as a Status with its
// code and message. Errors name the config file or the coordinator address.
StatusOr<OperatorReply> OperatorRequest(const std::filesystem::path& config_file,
                                        const protocol::Message& request,
                                        std::chrono::milliseconds timeout =
                                            std::chrono::seconds(60));

}  // namespace pancaim::coordinator::server
