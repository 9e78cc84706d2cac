// CoordinatorService: the long-running coordinator behind `pancaim-coordinator serve`. It accepts
// mutual-TLS connections (transport::Server), keeps the site registry, runs every training run's
// RunStateMachine, and answers operators (submit, status, sites, pause/resume/abort, export).
//
// Identity and role come only from the peer's certificate (transport::Connection::peer()); each
// action is checked with crypto::CheckRoleAllows (sites join and submit updates, operators
// operate, and an operator must also be listed in operators.allowed). Every piece of state lives
// on one strand: connection handlers post to it, a 200 ms timer ticks the runs on it.
//
// Layout under storage.state_dir: runs/<run id>/ (RunStore), audit.jsonl (AuditLog).
// The site registry is kept in memory (sites re-register with hello after a restart).
//
// Thread-safety: Start/Stop/port from any thread outside the io_context's threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/transport/server.h"

namespace pancaim::coordinator::server {

// Builds a model's initial weights as safetensors bytes from the run spec's model name and
// config and the run seed (the coordinator uses the model zoo; tests may use a tiny model).
using InitialModelFactory = std::function<StatusOr<std::string>(
    const std::string& name, const nlohmann::json& config, std::int64_t seed)>;

struct CoordinatorServiceOptions {
  nlohmann::json config;       // coordinator.json, validated against CoordinatorConfigSchema()
  bool resume = false;         // continue unfinished runs (else they are loaded paused)
  InitialModelFactory model_factory;
  // Overrides of the transport settings (tests use an ephemeral port): when set, used as is.
  std::optional<transport::ServerOptions> server_options;
  std::chrono::milliseconds tick_interval{200};
  // Coordinator-wide warnings for operators' status (serve: CertificateExpiryWarnings of its
  // TLS context). Called on the service's strand at start and then at most once per
  // warnings_refresh (so it may log each time); may be empty.
  std::function<std::vector<std::string>()> status_warnings;
  std::chrono::seconds warnings_refresh{3600};
  // Observer of closed rounds (RunContext::on_round_closed), called on the strand; may be empty.
  std::function<void(const std::string& run_id, const nlohmann::json& entry)> on_round_closed;
};

class CoordinatorService {
 public:
  // Opens the audit log, loads the runs under state_dir, binds and starts serving on `io`
  // (which must be running). Errors name the file or address.
  static StatusOr<std::unique_ptr<CoordinatorService>> Start(boost::asio::io_context& io,
                                                             transport::TlsContextProvider tls,
                                                             CoordinatorServiceOptions options);
  ~CoordinatorService();  // Stop()
  CoordinatorService(const CoordinatorService&) = delete;
  CoordinatorService& operator=(const CoordinatorService&) = delete;

  std::uint16_t port() const;
  // Stops accepting, closes connections and the tick timer. Idempotent.
  void Stop();

  struct State;  // defined in coordinator_service.cc; shared with handlers

 private:
  explicit CoordinatorService(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// The transport settings from coordinator.json's server section.
transport::ServerOptions ServerOptionsFromConfig(const nlohmann::json& config);

}  // namespace pancaim::coordinator::server
