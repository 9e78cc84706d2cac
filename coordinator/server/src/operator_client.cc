#include "pancaim/coordinator/server/operator_client.h"

#include <future>
#include <memory>
#include <mutex>

#include "pancaim/crypto/tls_context.h"
#include "pancaim/transport/client.h"
#include "pancaim/transport/io_thread_pool.h"

namespace pancaim::coordinator::server {
namespace {

using config::Field;
using config::Schema;

Schema BuildOperatorConfigSchema() {
  Schema connection("How the operator tool reaches the coordinator (mutual TLS).");
  connection.Add("address", Field::String("Coordinator host name or IP address.").Required());
  connection.Add("port", Field::Integer("Coordinator TCP port.").Range(1, 65535).Default(8443));
  connection.Add("server_name", Field::String("Name expected in the coordinator's certificate; "
                                              "empty means `address`.")
                                    .Default(""));
  connection.Add("ca_file", Field::String("PEM file of the consortium root CA.").Required());
  connection.Add("cert_file", Field::String("The operator's certificate (role operator).").Required());
  connection.Add("key_file", Field::String("The operator's private key.").Required());
  connection.Add("crl_file", Field::String("PEM file of the consortium CRL.").Required());
  Schema s("Configuration of the operator commands (operator.json).");
  s.Add("operator", Field::String("The operator's identity, for the reader only: the coordinator "
                                  "takes identity from the certificate, never from this key.")
                        .Default(""));
  s.Add("coordinator", Field::Object(connection, "Coordinator connection.").Required());
  return s;
}

std::string Resolve(const std::filesystem::path& base, const std::string& file) {
  std::filesystem::path path(file);
  return path.is_absolute() ? path.string() : (base / path).string();
}

}  // namespace

const config::Schema& OperatorConfigSchema() {
  static const config::Schema schema = BuildOperatorConfigSchema();
  return schema;
}

StatusOr<OperatorReply> OperatorRequest(const std::filesystem::path& config_file,
                                        const protocol::Message& request,
                                        std::chrono::milliseconds timeout) {
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json config,
                           config::LoadConfigFile(config_file, OperatorConfigSchema()));
  const nlohmann::json& c = config.at("coordinator");
  const std::filesystem::path base = config_file.parent_path();
  crypto::TlsFiles files;
  files.ca_cert_path = Resolve(base, c.at("ca_file").get<std::string>());
  files.cert_path = Resolve(base, c.at("cert_file").get<std::string>());
  files.key_path = Resolve(base, c.at("key_file").get<std::string>());
  files.crl_path = Resolve(base, c.at("crl_file").get<std::string>());
  const std::string address = c.at("address").get<std::string>();
  files.expected_server_name = c.value("server_name", "");
  if (files.expected_server_name.empty()) files.expected_server_name = address;
  PANCAIM_ASSIGN_OR_RETURN(auto tls, crypto::TlsContext::Create(crypto::TlsContext::Side::kClient, files));

  struct Shared {
    std::mutex mutex;
    bool done = false;
    std::promise<StatusOr<OperatorReply>> reply;
    void Set(StatusOr<OperatorReply> value) {
      std::lock_guard<std::mutex> lock(mutex);
      if (done) return;
      done = true;
      reply.set_value(std::move(value));
    }
  };
  auto shared = std::make_shared<Shared>();
  auto future = shared->reply.get_future();
  transport::ConnectionHandlers handlers;
  handlers.on_message = [shared](const std::shared_ptr<transport::Connection>&,
                                 const crypto::PeerIdentity& peer, nlohmann::json header,
                                 std::string payload) {
    auto parsed = protocol::ParseMessageJson(header);
    if (!parsed.ok()) {
      shared->Set(Status(parsed.status().code(),
                         "reply from " + peer.ToString() + ": " + parsed.status().message()));
      return;
    }
    if (parsed->type() == protocol::MessageType::kHeartbeat) return;
    if (const auto* error = std::get_if<protocol::ErrorMessage>(&parsed->body)) {
      StatusCode code = StatusCode::kInternal;
      for (int i = 0; i <= static_cast<int>(StatusCode::kInternal); ++i) {
        if (StatusCodeName(static_cast<StatusCode>(i)) == error->code) code = static_cast<StatusCode>(i);
      }
      shared->Set(Status(code, "coordinator: " + error->message));
      return;
    }
    shared->Set(OperatorReply{std::move(parsed).value(), std::move(payload)});
  };
  handlers.on_disconnect = [shared](const std::shared_ptr<transport::Connection>&,
                                    const Status& reason) {
    shared->Set(UnavailableError("coordinator closed the connection before replying" +
                                 (reason.ok() ? std::string() : ": " + reason.message())));
  };
  transport::IoThreadPool pool(1);
  transport::ClientOptions options;
  options.host = address;
  options.port = static_cast<std::uint16_t>(c.value("port", 8443));
  options.server_name = c.value("server_name", "");
  options.channel.frame_limits.max_payload_bytes = std::uint64_t{16} << 30;
  PANCAIM_ASSIGN_OR_RETURN(auto connection,
                           transport::Connect(pool.context(), tls->native(), options, handlers));
  PANCAIM_RETURN_IF_ERROR(connection->Send(protocol::ToJson(request)));
  StatusOr<OperatorReply> result = DeadlineExceededError(
      "no reply from the coordinator at " + address + " within " +
      std::to_string(timeout.count()) + " ms");
  if (future.wait_for(timeout) == std::future_status::ready) result = future.get();
  connection->Close("done");
  connection->WaitClosed(std::chrono::seconds(5));
  pool.Stop();
  return result;
}

}  // namespace pancaim::coordinator::server
