#include "pancaim/coordinator/server/coordinator_service.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "pancaim/common/log.h"
#include "pancaim/coordinator/audit_log.h"
#include "pancaim/coordinator/coordinator_config.h"
#include "pancaim/coordinator/run_store.h"
#include "pancaim/coordinator/server/run_state_machine.h"
#include "pancaim/coordinator/server/site_links.h"
#include "pancaim/crypto/identity.h"
#include "pancaim/protocol/messages.h"

namespace pancaim::coordinator::server {

namespace fs = std::filesystem;
using protocol::Message;
using protocol::MessageType;

namespace {

std::int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Message Reply(const std::string& run_id, std::int64_t round, protocol::MessageBody body) {
  Message message;
  message.run_id = run_id;
  message.round = round;
  message.sender_role = protocol::Role::kCoordinator;
  message.body = std::move(body);
  return message;
}

Message ErrorReply(const Status& status) {
  return Reply("", 0, protocol::ErrorMessage{std::string(StatusCodeName(status.code())),
                                             status.message().substr(0, 4000)});
}

}  // namespace

transport::ServerOptions ServerOptionsFromConfig(const nlohmann::json& config) {
  const nlohmann::json& server = config.at("server");
  transport::ServerOptions options;
  options.bind_address = server.value("listen_address", "0.0.0.0");
  options.port = static_cast<std::uint16_t>(server.value("port", 8443));
  options.max_unauthenticated_connections = server.value("max_unauthenticated_connections", 64);
  auto ms = [](double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  };
  options.channel.handshake_timeout = ms(server.value("handshake_timeout_seconds", 10.0));
  // The model's SHA-256 is computed once per round and named in every request that carries it;
  // the channel does not hash it again for each site (each site verifies what it receives).
  options.channel.recheck_supplied_digest = false;
  options.channel.io_timeout = ms(server.value("read_timeout_seconds", 300.0));
  options.channel.heartbeat_interval = ms(server.value("heartbeat_interval_seconds", 15.0));
  options.channel.idle_timeout =
      options.channel.heartbeat_interval * (server.value("heartbeat_misses", 3) + 1);
  options.channel.frame_limits.max_payload_bytes =
      server.value("max_frame_bytes", std::uint64_t{4} << 30);
  options.channel.frame_limits.max_header_bytes = server.value("max_header_bytes", 1 << 20);
  return options;
}

struct SiteEntry {
  std::shared_ptr<transport::Connection> connection;  // null when disconnected
  protocol::SiteStatus status;
  protocol::DatasetSummary dataset;
};

struct CoordinatorService::State : SiteLinks,
                                   std::enable_shared_from_this<CoordinatorService::State> {
  State(boost::asio::io_context& io, CoordinatorServiceOptions opts)
      : strand(boost::asio::make_strand(io)), timer(strand), options(std::move(opts)) {}

  // ---- SiteLinks (on the strand) ----
  std::vector<std::string> ConnectedSites() const override {
    std::vector<std::string> ids;
    for (const auto& [id, site] : sites) {
      if (site.connection != nullptr && site.status.state != "new") ids.push_back(id);
    }
    return ids;
  }
  Status Send(const std::string& site_id, const Message& message,
              std::shared_ptr<const std::string> payload) override {
    auto it = sites.find(site_id);
    if (it == sites.end() || it->second.connection == nullptr) {
      return UnavailableError("site '" + site_id + "' is not connected");
    }
    if (payload == nullptr) return it->second.connection->Send(protocol::ToJson(message));
    return it->second.connection->SendShared(protocol::ToJson(message), std::move(payload));
  }

  Status Load() {
    const nlohmann::json& storage = options.config.at("storage");
    state_dir = storage.at("state_dir").get<std::string>();
    std::error_code ec;
    fs::create_directories(state_dir / "runs", ec);
    if (ec) return UnavailableError("cannot create " + (state_dir / "runs").string() + ": " + ec.message());
    fs::path audit_path = storage.value("audit_log", "audit.jsonl");
    if (audit_path.is_relative()) audit_path = state_dir / audit_path;
    PANCAIM_ASSIGN_OR_RETURN(audit, AuditLog::Open(audit_path));
    spill_dir = storage.value("spill_dir", "");
    if (spill_dir.empty()) spill_dir = state_dir / "spill";
    keep_rounds = storage.value("keep_rounds", 2);
    for (const auto& op : options.config.value("operators", nlohmann::json::object())
                              .value("allowed", nlohmann::json::array())) {
      operators.insert(op.get<std::string>());
    }
    std::vector<fs::path> run_dirs;
    for (const auto& entry : fs::directory_iterator(state_dir / "runs", ec)) {
      if (entry.is_directory()) run_dirs.push_back(entry.path());
    }
    std::sort(run_dirs.begin(), run_dirs.end());
    for (const fs::path& dir : run_dirs) {
      const std::string id = dir.filename().string();
      auto store = std::make_unique<RunStore>(dir, nullptr, RunStoreOptions{keep_rounds});
      auto latest = store->LoadLatest();
      if (!latest.ok()) return Status(latest.status().code(), "run " + id + ": " + latest.status().message());
      if (!latest->has_value()) continue;
      auto run = RunStateMachine::Resume(std::move(**latest), Context(store.get()));
      if (!run.ok()) return Status(run.status().code(), "run " + id + ": " + run.status().message());
      if (!options.resume && !(*run)->finished() && (*run)->state() != RunState::kPaused) {
        PANCAIM_LOG(WARNING) << "run " << id << " is unfinished; loaded paused (serve --resume "
                             << "continues it, or `pancaim-coordinator resume " << id << "`)";
        (void)(*run)->Pause();
      }
      PANCAIM_LOG(INFO) << "loaded run " << id << " at round " << (*run)->completed_rounds()
                        << " (" << RunStateName((*run)->state()) << ")";
      stores[id] = std::move(store);
      runs[id] = std::move(run).value();
      next_run_number = std::max(next_run_number, RunNumber(id) + 1);
    }
    return Status();
  }

  static std::int64_t RunNumber(const std::string& id) {
    if (id.rfind("run-", 0) != 0) return 0;
    try {
      return std::stoll(id.substr(4));
    } catch (...) {
      return 0;
    }
  }

  RunContext Context(RunStore* store) {
    RunContext context;
    context.store = store;
    context.audit = audit.get();
    context.links = this;
    context.spill_dir = spill_dir;
    context.run_defaults = options.config.value("run_defaults", nlohmann::json::object());
    context.on_round_closed = options.on_round_closed;
    return context;
  }

  void ScheduleTick() {
    timer.expires_after(options.tick_interval);
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || self == nullptr || self->stopped) return;
      self->TickAll();
      self->ScheduleTick();
    });
  }

  void TickAll() {
    const TimePoint now = std::chrono::steady_clock::now();
    for (auto& [id, run] : runs) run->Tick(now);
    RefreshWarnings(now);
  }

  // Re-reads the status warnings when they are older than warnings_refresh (which also repeats
  // their log lines at that pace while they last).
  void RefreshWarnings(TimePoint now) {
    if (!options.status_warnings) return;
    if (warnings_checked.has_value() && now - *warnings_checked < options.warnings_refresh) return;
    warnings_checked = now;
    warnings = options.status_warnings();
    if (warnings.size() > protocol::kMaxStatusWarnings) warnings.resize(protocol::kMaxStatusWarnings);
    for (std::string& warning : warnings) {
      if (warning.size() > protocol::kMaxStatusWarningBytes) {
        warning.resize(protocol::kMaxStatusWarningBytes);
      }
    }
  }

  // ---- connection events (posted to the strand) ----
  void OnConnect(const std::shared_ptr<transport::Connection>& connection) {
    const crypto::PeerIdentity& peer = connection->peer();
    if (peer.role == crypto::Role::kSite) {
      SiteEntry& site = sites[peer.id];
      if (site.connection != nullptr && site.connection != connection) {
        site.connection->Close("replaced by a new connection from the same site");
      }
      site.connection = connection;
      site.status.site_id = peer.id;
      site.status.connected = true;
      site.status.state = "new";  // until hello
      site.status.last_seen_unix_ms = UnixMillis();
    }
  }

  void OnDisconnect(const std::shared_ptr<transport::Connection>& connection,
                    const Status& reason) {
    const crypto::PeerIdentity& peer = connection->peer();
    if (peer.role != crypto::Role::kSite) return;
    auto it = sites.find(peer.id);
    if (it == sites.end() || it->second.connection != connection) return;
    it->second.connection = nullptr;
    it->second.status.connected = false;
    it->second.status.state = "disconnected";
    PANCAIM_LOG(INFO) << "site '" << peer.id << "' disconnected: " << reason;
    const TimePoint now = std::chrono::steady_clock::now();
    for (auto& [id, run] : runs) run->OnSiteDisconnected(peer.id, now);
  }

  void OnMessage(const std::shared_ptr<transport::Connection>& connection,
                 const crypto::PeerIdentity& peer, const nlohmann::json& header,
                 std::string& payload) {
    auto parsed = protocol::ParseMessageJson(header);
    if (!parsed.ok()) {
      PANCAIM_LOG(WARNING) << "from " << connection->Describe() << ": " << parsed.status();
      (void)connection->Send(protocol::ToJson(ErrorReply(parsed.status())));
      return;
    }
    const Message& message = *parsed;
    const MessageType type = message.type();
    const protocol::Role role = peer.role == crypto::Role::kSite       ? protocol::Role::kSite
                                : peer.role == crypto::Role::kOperator ? protocol::Role::kOperator
                                                                       : protocol::Role::kCoordinator;
    if (!protocol::RoleMaySend(role, type)) {
      (void)connection->Send(protocol::ToJson(ErrorReply(PermissionDeniedError(
          peer.ToString() + " may not send " + std::string(protocol::MessageTypeName(type))))));
      return;
    }
    if (role == protocol::Role::kSite) {
      HandleSite(connection, peer, message, payload);
    } else {
      Status allowed = crypto::CheckRoleAllows(peer, crypto::Action::kOperate);
      if (allowed.ok() && !operators.contains(peer.id)) {
        allowed = PermissionDeniedError("operator '" + peer.id +
                                        "' is not in operators.allowed of the coordinator");
      }
      if (!allowed.ok()) {
        PANCAIM_LOG(WARNING) << "refused " << protocol::MessageTypeName(type) << ": " << allowed;
        (void)connection->Send(protocol::ToJson(ErrorReply(allowed)));
        return;
      }
      HandleOperator(connection, peer, message);
    }
  }

  // The run a site's result (train or evaluate) belongs to, or null after telling the site why
  // not: a certificate that may not submit updates, or an unknown run.
  RunStateMachine* RunForResult(const std::shared_ptr<transport::Connection>& connection,
                                const crypto::PeerIdentity& peer, const Message& message) {
    const Status may = crypto::CheckRoleAllows(peer, crypto::Action::kSubmitUpdate);
    auto it = runs.find(message.run_id);
    if (!may.ok() || it == runs.end()) {
      (void)connection->Send(protocol::ToJson(
          ErrorReply(may.ok() ? NotFoundError("no run '" + message.run_id + "'") : may)));
      return nullptr;
    }
    return it->second.get();
  }

  void HandleSite(const std::shared_ptr<transport::Connection>& connection,
                  const crypto::PeerIdentity& peer, const Message& message,
                  std::string& payload) {
    const Status joined = crypto::CheckRoleAllows(peer, crypto::Action::kJoinAsSite);
    if (!joined.ok()) {
      (void)connection->Send(protocol::ToJson(ErrorReply(joined)));
      return;
    }
    SiteEntry& site = sites[peer.id];
    site.status.last_seen_unix_ms = UnixMillis();
    const TimePoint now = std::chrono::steady_clock::now();
    switch (message.type()) {
      case MessageType::kHello: {
        const auto& hello = std::get<protocol::Hello>(message.body);
        site.status.software_version = hello.software_version;
        site.status.device = hello.device;
        site.status.state = "idle";
        site.dataset = hello.dataset;
        protocol::Welcome welcome;
        welcome.site_id = peer.id;
        welcome.software_version = "pancaim-coordinator 0.1";
        (void)connection->Send(protocol::ToJson(Reply("", 0, welcome)));
        PANCAIM_LOG(INFO) << "site '" << peer.id << "' joined (" << hello.device << ", "
                          << hello.dataset.num_train << " training patients)";
        TickAll();
        break;
      }
      case MessageType::kHeartbeat:
        site.status.state = std::get<protocol::Heartbeat>(message.body).state;
        break;
      case MessageType::kTrainResult:
        if (RunStateMachine* run = RunForResult(connection, peer, message)) {
          run->OnTrainResult(peer.id, message, std::move(payload), now);
        }
        break;
      case MessageType::kDecline: {
        auto it = runs.find(message.run_id);
        if (it != runs.end()) it->second->OnDecline(peer.id, message, now);
        break;
      }
      case MessageType::kEvaluateResult: {
        if (RunStateMachine* run = RunForResult(connection, peer, message)) {
          run->OnEvaluateResult(peer.id, message);
        }
        break;
      }
      default:
        break;  // error, bye, ack: logged by the transport, nothing to do
    }
  }

  void HandleOperator(const std::shared_ptr<transport::Connection>& connection,
                      const crypto::PeerIdentity& peer, const Message& message) {
    switch (message.type()) {
      case MessageType::kSubmitRun: {
        auto run_id = Submit(std::get<protocol::SubmitRun>(message.body).run_spec, peer.id);
        if (!run_id.ok()) {
          (void)connection->Send(protocol::ToJson(ErrorReply(run_id.status())));
        } else {
          (void)connection->Send(protocol::ToJson(
              Reply(*run_id, 0, protocol::Ack{"submit_run", "submitted run " + *run_id})));
          TickAll();
        }
        break;
      }
      case MessageType::kStatusRequest: {
        protocol::StatusResponse response;
        RefreshWarnings(std::chrono::steady_clock::now());
        response.warnings = warnings;
        for (const auto& [id, run] : runs) {
          if (message.run_id.empty() || message.run_id == id) {
            response.runs.push_back(run->StatusReport());
          }
        }
        if (!message.run_id.empty() && response.runs.empty()) {
          (void)connection->Send(
              protocol::ToJson(ErrorReply(NotFoundError("no run '" + message.run_id + "'"))));
          break;
        }
        (void)connection->Send(protocol::ToJson(Reply(message.run_id, 0, response)));
        break;
      }
      case MessageType::kSitesRequest: {
        protocol::SitesResponse response;
        for (const auto& [id, site] : sites) response.sites.push_back(site.status);
        (void)connection->Send(protocol::ToJson(Reply("", 0, response)));
        break;
      }
      case MessageType::kControl: {
        const auto& control = std::get<protocol::Control>(message.body);
        auto it = runs.find(message.run_id);
        Status done = it == runs.end() ? NotFoundError("no run '" + message.run_id + "'")
                                       : Status();
        if (done.ok()) {
          if (control.action == "pause") {
            done = it->second->Pause();
          } else if (control.action == "resume") {
            done = it->second->Resume(std::chrono::steady_clock::now());
          } else if (control.action == "abort") {
            done = it->second->Abort(control.reason);
          } else {
            done = InvalidArgumentError("unknown control action '" + control.action + "'");
          }
        }
        if (done.ok()) {
          audit->Append("operator_control", {{"run_id", message.run_id},
                                             {"operator", peer.id},
                                             {"action", control.action}})
              .IgnoreError();
          (void)connection->Send(protocol::ToJson(Reply(
              message.run_id, 0, protocol::Ack{"control", control.action + " " + message.run_id})));
        } else {
          (void)connection->Send(protocol::ToJson(ErrorReply(done)));
        }
        break;
      }
      case MessageType::kExportRequest: {
        const auto& request = std::get<protocol::ExportRequest>(message.body);
        auto it = stores.find(message.run_id);
        if (it == stores.end()) {
          (void)connection->Send(
              protocol::ToJson(ErrorReply(NotFoundError("no run '" + message.run_id + "'"))));
          break;
        }
        StatusOr<RunCheckpoint> checkpoint = NotFoundError("no checkpoint");
        if (request.latest) {
          auto latest = it->second->LoadLatest();
          checkpoint = !latest.ok()           ? StatusOr<RunCheckpoint>(latest.status())
                       : latest->has_value() ? StatusOr<RunCheckpoint>(std::move(**latest))
                                             : StatusOr<RunCheckpoint>(NotFoundError(
                                                   "run '" + message.run_id + "' has no checkpoint"));
        } else {
          checkpoint = it->second->LoadRound(message.round);
        }
        if (!checkpoint.ok()) {
          (void)connection->Send(protocol::ToJson(ErrorReply(checkpoint.status())));
          break;
        }
        protocol::ExportResponse response;
        const nlohmann::json model = checkpoint->run_spec.value("model", nlohmann::json::object());
        response.model_name = model.value("name", "");
        response.model_config = model.value("config", nlohmann::json::object());
        response.model_sha256 = checkpoint->model->Sha256();
        (void)connection->Send(protocol::ToJson(Reply(message.run_id, checkpoint->round, response)),
                               checkpoint->model->bytes());
        break;
      }
      default:
        break;
    }
  }

  StatusOr<std::string> Submit(const nlohmann::json& raw_spec, const std::string& operator_id) {
    PANCAIM_ASSIGN_OR_RETURN(nlohmann::json spec, ValidateRunSpec(raw_spec));
    if (!options.model_factory) return UnimplementedError("this coordinator has no model factory");
    const nlohmann::json& model = spec.at("model");
    PANCAIM_ASSIGN_OR_RETURN(
        std::string bytes,
        options.model_factory(model.at("name").get<std::string>(),
                              model.value("config", nlohmann::json::object()),
                              spec.value("seed", 0)));
    PANCAIM_ASSIGN_OR_RETURN(SafetensorsBuffer initial,
                             SafetensorsBuffer::FromBytes(std::move(bytes), "initial model"));
    char name[32];
    std::snprintf(name, sizeof(name), "run-%04lld", static_cast<long long>(next_run_number));
    const std::string run_id = name;
    auto store = std::make_unique<RunStore>(state_dir / "runs" / run_id, nullptr,
                                            RunStoreOptions{keep_rounds});
    PANCAIM_ASSIGN_OR_RETURN(auto run, RunStateMachine::Create(run_id, std::move(spec),
                                                               std::move(initial), operator_id,
                                                               Context(store.get())));
    ++next_run_number;
    stores[run_id] = std::move(store);
    runs[run_id] = std::move(run);
    PANCAIM_LOG(INFO) << "operator '" << operator_id << "' submitted run " << run_id;
    return run_id;
  }

  boost::asio::strand<boost::asio::io_context::executor_type> strand;
  boost::asio::steady_timer timer;
  CoordinatorServiceOptions options;
  fs::path state_dir;
  fs::path spill_dir;
  int keep_rounds = 2;
  std::set<std::string> operators;
  std::unique_ptr<AuditLog> audit;
  std::map<std::string, SiteEntry> sites;
  std::map<std::string, std::unique_ptr<RunStore>> stores;  // before runs: runs point into them
  std::map<std::string, std::unique_ptr<RunStateMachine>> runs;
  std::int64_t next_run_number = 1;
  std::vector<std::string> warnings;  // status warnings, refreshed by RefreshWarnings
  std::optional<TimePoint> warnings_checked;
  std::unique_ptr<transport::Server> server;
  std::atomic<bool> stopped{false};
};

StatusOr<std::unique_ptr<CoordinatorService>> CoordinatorService::Start(
    boost::asio::io_context& io, transport::TlsContextProvider tls,
    CoordinatorServiceOptions options) {
  auto state = std::make_shared<State>(io, std::move(options));
  PANCAIM_RETURN_IF_ERROR(state->Load());
  state->RefreshWarnings(std::chrono::steady_clock::now());  // not yet shared: no strand needed
  transport::ServerOptions server_options = state->options.server_options.has_value()
                                                ? *state->options.server_options
                                                : ServerOptionsFromConfig(state->options.config);
  std::weak_ptr<State> weak = state;
  transport::ConnectionHandlers handlers;
  handlers.on_connect = [weak](const std::shared_ptr<transport::Connection>& connection) {
    if (auto self = weak.lock()) {
      boost::asio::dispatch(self->strand, [self, connection] { self->OnConnect(connection); });
    }
  };
  handlers.on_message = [weak](const std::shared_ptr<transport::Connection>& connection,
                               const crypto::PeerIdentity& peer, nlohmann::json header,
                               std::string payload) {
    if (auto self = weak.lock()) {
      auto shared_payload = std::make_shared<std::string>(std::move(payload));
      boost::asio::post(self->strand, [self, connection, peer, header = std::move(header),
                                       shared_payload] {
        self->OnMessage(connection, peer, header, *shared_payload);
      });
    }
  };
  handlers.on_disconnect = [weak](const std::shared_ptr<transport::Connection>& connection,
                                  const Status& reason) {
    if (auto self = weak.lock()) {
      boost::asio::post(self->strand,
                        [self, connection, reason] { self->OnDisconnect(connection, reason); });
    }
  };
  PANCAIM_ASSIGN_OR_RETURN(state->server, transport::Server::Start(io, std::move(tls),
                                                                   server_options, handlers));
  boost::asio::post(state->strand, [state] { state->ScheduleTick(); });
  PANCAIM_LOG(INFO) << "coordinator listening on " << server_options.bind_address << ":"
                    << state->server->port();
  return std::unique_ptr<CoordinatorService>(new CoordinatorService(state));
}

CoordinatorService::~CoordinatorService() { Stop(); }

std::uint16_t CoordinatorService::port() const { return state_->server->port(); }

void CoordinatorService::Stop() {
  if (state_->stopped.exchange(true)) return;
  state_->server->Stop();
  auto done = std::make_shared<std::promise<void>>();
  boost::asio::post(state_->strand, [state = state_, done] {
    state->timer.cancel();
    done->set_value();
  });
  done->get_future().wait_for(std::chrono::seconds(5));
}

}  // namespace pancaim::coordinator::server
