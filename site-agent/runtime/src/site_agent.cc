#include "pancaim/site_runtime/site_agent.h"

#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include "pancaim/common/log.h"
#include "pancaim/crypto/tls_context.h"
#include "pancaim/model_zoo/device.h"
#include "pancaim/protocol/messages.h"
#include "pancaim/site_data/site_config.h"
#include "pancaim/site_runtime/site_policy.h"
#include "pancaim/transport/client.h"
#include "pancaim/transport/io_thread_pool.h"

namespace pancaim::site_runtime {
namespace {

using protocol::MessageType;
using Clock = std::chrono::steady_clock;

std::string Resolve(const std::filesystem::path& base, const std::string& file) {
  if (file.empty()) return file;
  std::filesystem::path path(file);
  return path.is_absolute() ? path.string() : (base / path).lexically_normal().string();
}

// The decline code for a request the site could not carry out.
std::string DeclineCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kCancelled:
    case StatusCode::kDeadlineExceeded:
      return "busy";
    case StatusCode::kUnimplemented:
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition:
      return "unsupported";
    default:
      return "internal";
  }
}

// Keeps a decline reason within one readable sentence-sized line.
std::string Shorten(std::string text) {
  constexpr std::size_t kMax = 400;
  if (text.size() > kMax) text = text.substr(0, kMax - 3) + "...";
  return text;
}

}  // namespace

struct SiteAgent::Impl {
  struct Job {
    std::shared_ptr<transport::Connection> connection;
    protocol::Message message;
    std::shared_ptr<const std::string> payload;
    Clock::time_point received;
  };
  struct CachedResult {
    protocol::Message message;
    std::string payload;
  };

  SiteAgentOptions options;
  SitePolicy policy;
  std::unique_ptr<crypto::TlsContext> tls;
  transport::ClientOptions client;
  protocol::Hello hello;
  std::unique_ptr<LocalTrainer> trainer;
  ReconnectBackoff backoff;
  std::unique_ptr<transport::IoThreadPool> pool;

  std::atomic<bool> stopping{false};
  std::atomic<bool> welcomed{false};
  std::atomic<std::int64_t> heartbeat_sequence{0};

  mutable std::mutex mutex;  // guards queue, counters
  std::condition_variable wake;
  std::deque<Job> queue;
  Counters counts;
  std::thread worker;

  // Worker thread only.
  SiteRoundCounter rounds;
  // (run, round, base model) -> the result sent, newest last; the oldest beyond
  // kAnsweredKept are forgotten.
  static constexpr std::size_t kAnsweredKept = 8;
  std::deque<std::pair<std::string, CachedResult>> answered;

  const CachedResult* FindAnswered(const std::string& key) const {
    for (const auto& [answered_key, result] : answered) {
      if (answered_key == key) return &result;
    }
    return nullptr;
  }

  explicit Impl(SiteAgentOptions agent_options)
      : options(std::move(agent_options)), backoff(options.backoff) {}

  // ---- sending --------------------------------------------------------------------------------

  // Checks `message` against the site's outbound list and sends it. From the worker or the dial
  // thread (blocking until written); from a handler pass wait = false.
  Status SendMessage(const std::shared_ptr<transport::Connection>& connection,
                     const protocol::Message& message, std::string payload, bool wait) {
    nlohmann::json header = protocol::ToJson(message);
    if (Status allowed = protocol::CheckSiteOutboundHeader(header); !allowed.ok()) {
      PANCAIM_LOG(ERROR) << "not sending " << protocol::MessageTypeName(message.type()) << ": "
                         << allowed;
      return allowed;
    }
    if (options.observer) options.observer(header, payload);
    if (!wait) return connection->Send(std::move(header), std::move(payload));
    return connection->SendAndWait(std::move(header), std::move(payload),
                                   std::chrono::seconds(300));
  }

  void SendDecline(const std::shared_ptr<transport::Connection>& connection,
                   const protocol::Message& request, protocol::Decline decline, bool wait) {
    PANCAIM_LOG(WARNING) << "declined " << decline.request_type << " round " << request.round
                         << " of run " << request.run_id << " (" << decline.code
                         << "): " << decline.reason;
    protocol::Message message;
    message.run_id = request.run_id;
    message.round = request.round;
    message.sender_role = protocol::Role::kSite;
    decline.reason = Shorten(decline.reason);
    message.body = std::move(decline);
    const Status sent = SendMessage(connection, message, {}, wait);
    if (!sent.ok()) {
      PANCAIM_LOG(WARNING) << "decline not sent: " << sent;
    }
    std::lock_guard lock(mutex);
    ++counts.declined;
  }

  void SendHeartbeat(const std::shared_ptr<transport::Connection>& connection,
                     const std::string& state) {
    protocol::Message message;
    message.sender_role = protocol::Role::kSite;
    message.body = protocol::Heartbeat{++heartbeat_sequence, state};
    (void)SendMessage(connection, message, {}, /*wait=*/false);
  }

  // ---- connection handlers (io thread, connection strand) -------------------------------------

  void OnMessage(const std::shared_ptr<transport::Connection>& connection,
                 const nlohmann::json& header, std::string payload) {
    auto parsed = protocol::ParseMessageJson(header);
    if (!parsed.ok()) {
      PANCAIM_LOG(WARNING) << "unreadable message from the coordinator: " << parsed.status();
      return;
    }
    protocol::Message& message = *parsed;
    switch (message.type()) {
      case MessageType::kWelcome:
        PANCAIM_LOG(INFO) << "the coordinator knows this site as '"
                          << std::get<protocol::Welcome>(message.body).site_id << "'";
        welcomed = true;
        break;
      case MessageType::kTrainRequest:
      case MessageType::kEvaluateRequest: {
        Job job{connection, std::move(message),
                std::make_shared<const std::string>(std::move(payload)), Clock::now()};
        std::unique_lock lock(mutex);
        if (static_cast<int>(queue.size()) >= kMaxQueuedRequests) {
          lock.unlock();
          protocol::Decline decline;
          decline.code = "busy";
          decline.reason = "the site already has " + std::to_string(kMaxQueuedRequests) +
                           " requests waiting";
          decline.request_type = std::string(protocol::MessageTypeName(job.message.type()));
          SendDecline(connection, job.message, std::move(decline), /*wait=*/false);
          return;
        }
        queue.push_back(std::move(job));
        wake.notify_all();
        break;
      }
      case MessageType::kError: {
        const auto& error = std::get<protocol::ErrorMessage>(message.body);
        PANCAIM_LOG(WARNING) << "the coordinator reports " << error.code << ": " << error.message;
        break;
      }
      case MessageType::kBye:
        PANCAIM_LOG(INFO) << "the coordinator closes the connection: "
                          << std::get<protocol::Bye>(message.body).reason;
        break;
      default:
        break;  // heartbeats; anything else a coordinator may send is ignored here
    }
  }

  // ---- worker ---------------------------------------------------------------------------------

  void WorkerLoop() {
    while (true) {
      Job job;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return stopping || !queue.empty(); });
        if (stopping) return;
        job = std::move(queue.front());
        queue.pop_front();
      }
      if (!job.connection->is_open()) {
        // The coordinator counts a lost connection as this site's answer; it asks again.
        PANCAIM_LOG(INFO) << "dropping a request from a closed connection (round "
                          << job.message.round << " of run " << job.message.run_id << ")";
        continue;
      }
      if (job.message.type() == MessageType::kTrainRequest) {
        HandleTrain(job);
      } else {
        HandleEvaluate(job);
      }
    }
  }

  static std::string ResultKey(const protocol::Message& message) {
    return message.run_id + "|" + std::to_string(message.round) + "|" +
           std::get<protocol::TrainRequest>(message.body).base_model_sha256;
  }

  void HandleTrain(const Job& job) {
    const auto& request = std::get<protocol::TrainRequest>(job.message.body);
    const std::string key = ResultKey(job.message);
    if (const CachedResult* cached = FindAnswered(key); cached != nullptr) {
      PANCAIM_LOG(INFO) << "round " << job.message.round << " of run " << job.message.run_id
                        << " was already trained; sending the same update again";
      const Status sent = SendMessage(job.connection, cached->message, cached->payload,
                                      /*wait=*/true);
      if (!sent.ok()) {
      PANCAIM_LOG(WARNING) << "update not sent: " << sent;
    }
      std::lock_guard lock(mutex);
      ++counts.trained;
      ++counts.retrained;
      return;
    }
    // Policy first, before any data is opened for the model.
    if (auto decline = CheckTrainRequest(policy, rounds, job.message, job.payload->size(),
                                         std::numeric_limits<std::int64_t>::max())) {
      SendDecline(job.connection, job.message, std::move(*decline), /*wait=*/true);
      return;
    }
    auto patients = trainer->TrainingPatients(request);
    if (!patients.ok()) {
      SendDecline(job.connection, job.message,
                  {DeclineCode(patients.status()), patients.status().message(), "train_request"},
                  /*wait=*/true);
      return;
    }
    if (auto decline =
            CheckTrainRequest(policy, rounds, job.message, job.payload->size(), *patients)) {
      SendDecline(job.connection, job.message, std::move(*decline), /*wait=*/true);
      return;
    }
    const bool has_deadline = request.deadline_ms > 0;
    const Clock::time_point deadline = job.received + std::chrono::milliseconds(request.deadline_ms);
    const CancelCheck cancel = [&] {
      return stopping.load() || (has_deadline && Clock::now() > deadline);
    };
    PANCAIM_LOG(INFO) << "round " << job.message.round << " of run " << job.message.run_id
                      << ": training " << request.model_name << " on " << *patients
                      << " patients";
    SendHeartbeat(job.connection, "training");
    auto reply = trainer->Train(job.message, job.payload, cancel);
    SendHeartbeat(job.connection, "idle");
    if (!reply.ok()) {
      if (stopping) return;
      Status why = reply.status();
      if (why.code() == StatusCode::kCancelled) {
        why = DeadlineExceededError("the round's deadline passed before training finished");
      }
      SendDecline(job.connection, job.message, {DeclineCode(why), why.message(), "train_request"},
                  /*wait=*/true);
      return;
    }
    if (reply->payload.size() > static_cast<std::size_t>(policy.max_payload_bytes)) {
      SendDecline(job.connection, job.message,
                  {"policy",
                   "the update of " + std::to_string(reply->payload.size()) +
                       " bytes exceeds policy.max_payload_bytes",
                   "train_request"},
                  /*wait=*/true);
      return;
    }
    rounds.Join(job.message.run_id, job.message.round);
    const std::size_t bytes = reply->payload.size();
    // Forget the oldest first, so the entry sent below stays valid.
    while (answered.size() >= kAnsweredKept) answered.pop_front();
    answered.emplace_back(key, CachedResult{reply->message, std::move(reply->payload)});
    const CachedResult& cached = answered.back().second;
    const Status sent = SendMessage(job.connection, cached.message, cached.payload, /*wait=*/true);
    if (sent.ok()) {
      PANCAIM_LOG(INFO) << "round " << job.message.round << " of run " << job.message.run_id
                        << ": " << reply->summary << "; sent the update (" << bytes << " bytes)";
    } else {
      PANCAIM_LOG(WARNING) << "round " << job.message.round << ": update not sent (" << sent
                           << "); it is kept and re-sent if the coordinator asks again";
    }
    std::lock_guard lock(mutex);
    ++counts.trained;
  }

  void HandleEvaluate(const Job& job) {
    const auto& request = std::get<protocol::EvaluateRequest>(job.message.body);
    if (!policy.allowed_models.contains(request.model_name)) {
      SendDecline(job.connection, job.message,
                  {"policy",
                   "model '" + request.model_name + "' is not in this site's policy.allowed_models",
                   "evaluate_request"},
                  /*wait=*/true);
      return;
    }
    if (job.payload->size() > static_cast<std::size_t>(policy.max_payload_bytes)) {
      SendDecline(job.connection, job.message,
                  {"policy", "model payload exceeds policy.max_payload_bytes", "evaluate_request"},
                  /*wait=*/true);
      return;
    }
    SendHeartbeat(job.connection, "evaluating");
    auto reply = trainer->Evaluate(job.message, job.payload);
    SendHeartbeat(job.connection, "idle");
    if (!reply.ok()) {
      SendDecline(job.connection, job.message,
                  {DeclineCode(reply.status()), reply.status().message(), "evaluate_request"},
                  /*wait=*/true);
      return;
    }
    const Status sent = SendMessage(job.connection, reply->message, {}, /*wait=*/true);
    if (sent.ok()) {
      PANCAIM_LOG(INFO) << "round " << job.message.round << " of run " << job.message.run_id
                        << ": " << reply->summary;
    } else {
      PANCAIM_LOG(WARNING) << "evaluation result not sent: " << sent;
    }
    std::lock_guard lock(mutex);
    ++counts.evaluated;
  }

  // ---- dialling -------------------------------------------------------------------------------

  void WaitBeforeRedial() {
    const auto delay = backoff.Next();
    PANCAIM_LOG(INFO) << "redialling the coordinator in " << delay.count() << " ms";
    const auto until = Clock::now() + delay;
    while (!stopping && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void Run() {
    bool first = true;
    while (!stopping) {
      if (!first) {
        // Pick up a renewed CRL or certificate without a restart; on error keep the old ones.
        if (Status reloaded = tls->Reload(); !reloaded.ok()) {
          PANCAIM_LOG(WARNING) << "TLS files not reloaded: " << reloaded;
        }
      }
      first = false;
      (void)tls->CheckExpiry();  // logs a warning 30 days before a certificate expires
      welcomed = false;
      transport::ConnectionHandlers handlers;
      handlers.on_message = [this](const std::shared_ptr<transport::Connection>& connection,
                                   const crypto::PeerIdentity&, nlohmann::json header,
                                   std::string payload) {
        OnMessage(connection, header, std::move(payload));
      };
      auto connection = transport::Connect(pool->context(), tls->native(), client, handlers);
      if (!connection.ok()) {
        PANCAIM_LOG(WARNING) << "cannot reach the coordinator: " << connection.status();
        WaitBeforeRedial();
        continue;
      }
      PANCAIM_LOG(INFO) << "connected to the coordinator " << (*connection)->Describe();
      protocol::Message message;
      message.sender_role = protocol::Role::kSite;
      message.body = hello;
      if (Status sent = SendMessage(*connection, message, {}, /*wait=*/true); !sent.ok()) {
        PANCAIM_LOG(WARNING) << "hello not sent: " << sent;
        (*connection)->Close("hello failed");
        (*connection)->WaitClosed(std::chrono::seconds(5));
        WaitBeforeRedial();
        continue;
      }
      bool counted = false;
      while (!stopping && !(*connection)->WaitClosed(std::chrono::milliseconds(100))) {
        if (welcomed && !counted) {
          counted = true;
          backoff.Reset();
          std::lock_guard lock(mutex);
          ++counts.connections;
        }
      }
      if (stopping) {
        (*connection)->Close("site agent stopping");
        (*connection)->WaitClosed(std::chrono::seconds(5));
        break;
      }
      PANCAIM_LOG(WARNING) << "lost the connection to the coordinator";
      WaitBeforeRedial();
    }
  }

  void Stop() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
  }
};

StatusOr<std::unique_ptr<SiteAgent>> SiteAgent::Create(SiteAgentOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  const std::filesystem::path& path = impl->options.config_path;
  PANCAIM_ASSIGN_OR_RETURN(sitedata::SiteConfig config, sitedata::LoadSiteConfig(path));
  impl->policy = SitePolicy::FromJson(config.policy);
  if (impl->policy.allowed_models.empty()) {
    PANCAIM_LOG(WARNING) << path.string() << ": policy.allowed_models is empty, so this site "
                         << "declines every training request";
  }
  const nlohmann::json& coordinator = config.coordinator;
  const std::string address = coordinator.at("address").get<std::string>();
  if (address.empty()) {
    return InvalidArgumentError(path.string() + ": key 'coordinator.address' is empty; `run` needs "
                                "the coordinator's address");
  }
  const std::filesystem::path base = path.parent_path();
  crypto::TlsFiles files;
  files.ca_cert_path = Resolve(base, coordinator.at("ca_file").get<std::string>());
  files.cert_path = Resolve(base, coordinator.at("cert_file").get<std::string>());
  files.key_path = Resolve(base, coordinator.at("key_file").get<std::string>());
  files.crl_path = Resolve(base, coordinator.at("crl_file").get<std::string>());
  for (const auto& [key, value] : {std::pair{"ca_file", files.ca_cert_path},
                                   std::pair{"cert_file", files.cert_path},
                                   std::pair{"key_file", files.key_path},
                                   std::pair{"crl_file", files.crl_path}}) {
    if (value.empty()) {
      return InvalidArgumentError(path.string() + ": key 'coordinator." + key +
                                  "' is empty; `run` needs it (mutual TLS, revocation checked)");
    }
  }
  std::string server_name = coordinator.at("server_name").get<std::string>();
  if (server_name.empty()) server_name = address;
  files.expected_server_name = server_name;
  auto tls = crypto::TlsContext::Create(crypto::TlsContext::Side::kClient, files);
  if (!tls.ok()) return tls.status().WithContext(path.string());
  impl->tls = std::move(tls).value();

  transport::ClientOptions& client = impl->client;
  client.host = address;
  client.port = static_cast<std::uint16_t>(coordinator.at("port").get<int>());
  client.server_name = server_name;
  client.channel.frame_limits.max_payload_bytes =
      coordinator.at("max_frame_bytes").get<std::uint64_t>();
  client.channel.frame_limits.max_header_bytes =
      coordinator.at("max_header_bytes").get<std::uint32_t>();
  client.channel.handshake_timeout = impl->options.handshake_timeout;
  client.channel.allowed_peer_roles = {crypto::Role::kCoordinator};
  // The update's SHA-256 is computed once by LocalTrainer; the coordinator verifies it.
  client.channel.recheck_supplied_digest = false;
  PANCAIM_RETURN_IF_ERROR(client.channel.Validate());

  PANCAIM_ASSIGN_OR_RETURN(torch::Device device,
                           zoo::ResolveDevice(impl->options.trainer.device));
  if (impl->options.trainer.fault.kind != AgentFault::Kind::kNone) {
    PANCAIM_LOG(WARNING) << "SIMULATED FAULT ACTIVE: " << impl->options.trainer.fault.ToString()
                         << " (for the faults/byzantine scenarios only)";
  }
  impl->trainer = std::make_unique<LocalTrainer>(std::move(config), impl->options.trainer);
  PANCAIM_ASSIGN_OR_RETURN(protocol::DatasetSummary summary, impl->trainer->Summary());
  impl->hello.software_version = impl->options.software_version;
  impl->hello.device = zoo::DescribeDevice(device);
  impl->hello.encodings = {"plain"};
  impl->hello.dataset = summary;
  PANCAIM_LOG(INFO) << "site '" << impl->trainer->config().site_id << "': " << summary.num_train
                    << " training, " << summary.num_validation << " validation, "
                    << summary.num_test << " test patients; device " << impl->hello.device;

  impl->pool = std::make_unique<transport::IoThreadPool>(1);
  Impl* raw = impl.get();
  impl->worker = std::thread([raw] { raw->WorkerLoop(); });
  return std::unique_ptr<SiteAgent>(new SiteAgent(std::move(impl)));
}

SiteAgent::SiteAgent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SiteAgent::~SiteAgent() {
  impl_->Stop();
  if (impl_->worker.joinable()) impl_->worker.join();
  impl_->pool->Stop();
}

void SiteAgent::Run() { impl_->Run(); }

void SiteAgent::Stop() { impl_->Stop(); }

SiteAgent::Counters SiteAgent::counters() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counts;
}

}  // namespace pancaim::site_runtime
