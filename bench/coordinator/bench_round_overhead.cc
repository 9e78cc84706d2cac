// bench-round-overhead: what one federated round costs the coordinator beyond training.
//
// A CoordinatorService runs in this process over real mutual TLS 1.3 on 127.0.0.1, with
// certificates from a throw-away consortium CA. N fake sites (default 10) connect with their own
// site certificates through transport::Connect, say hello, and answer every train_request at
// once with the weights they received (a no-op trainer), so a round is: send the global model to
// every site, receive every update, validate, fold, finish the aggregate, checkpoint. An operator
// connection submits a FedAvg run of R rounds (default 5) over a float32 model of P parameters
// (default 10M, 40 MB).
//
// Per round it reports the coordinator's own timings (RunStateMachine history "timing": queueing
// the requests, which includes hashing the model once per site; validation and fold summed over
// updates; holding early arrivals on disk so that updates fold in site order; finishing the
// aggregate; the checkpoint) and the remainder of the round, which is
// transfer plus the sites' turnaround (measured at the sites and printed). The baseline, in the
// same run: the secure channel's bulk throughput on one connection over the same loopback and
// TLS contexts, moving the same bytes as a round (2 x N x model size, in model-sized frames with
// the payload digest on, as the coordinator's frames are). The ratio printed is round transfer
// throughput / bulk channel throughput.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "pancaim/common/files.h"
#include "pancaim/common/log.h"
#include "pancaim/common/progress.h"
#include "pancaim/coordinator/coordinator_config.h"
#include "pancaim/coordinator/server/coordinator_service.h"
#include "pancaim/crypto/certificate_authority.h"
#include "pancaim/crypto/tls_context.h"
#include "pancaim/protocol/messages.h"
#include "pancaim/protocol/safetensors.h"
#include "pancaim/transport/client.h"
#include "pancaim/transport/io_thread_pool.h"
#include "pancaim/transport/server.h"

namespace {

namespace fs = std::filesystem;
using namespace pancaim;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

[[noreturn]] void Die(const std::string& what, const Status& status) {
  std::fprintf(stderr, "error: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

template <typename T>
T OrDie(StatusOr<T> value, const std::string& what) {
  if (!value.ok()) Die(what, value.status());
  return std::move(value).value();
}

// A throw-away consortium: CA, CRL and key/certificate files for every party.
class BenchConsortium {
 public:
  explicit BenchConsortium(const fs::path& folder) : folder_(folder) {
    ca_ = OrDie(crypto::CertificateAuthority::Init(folder / "ca", {}), "CA");
    OrDie(ca_->GenerateCrl(), "CRL");
  }

  crypto::TlsFiles Enroll(crypto::Role role, const std::string& id,
                          std::vector<std::string> dns_names = {}) {
    auto request = OrDie(crypto::CreateKeyAndRequest({.role = role, .id = id,
                                                      .dns_names = std::move(dns_names)}),
                         "key for " + id);
    auto issued = OrDie(ca_->Sign(request.request_pem), "certificate for " + id);
    crypto::TlsFiles files;
    files.ca_cert_path = ca_->ca_certificate_path().string();
    files.crl_path = ca_->crl_path().string();
    files.key_path = (folder_ / (id + ".key")).string();
    files.cert_path = (folder_ / (id + ".crt")).string();
    if (role != crypto::Role::kCoordinator) files.expected_server_name = "localhost";
    Status written = crypto::WritePrivateFile(files.key_path, request.private_key_pem);
    if (written.ok()) written = WriteFileAtomic(files.cert_path, issued.certificate_pem);
    if (!written.ok()) Die("writing " + id + "'s files", written);
    return files;
  }

 private:
  fs::path folder_;
  std::unique_ptr<crypto::CertificateAuthority> ca_;
};

std::unique_ptr<crypto::TlsContext> Context(crypto::TlsContext::Side side,
                                            const crypto::TlsFiles& files) {
  return OrDie(crypto::TlsContext::Create(side, files), "TLS context " + files.cert_path);
}

// A float32 model of `params` parameters in 10 tensors, seeded normal values.
std::string MakeModel(std::int64_t params) {
  constexpr int kTensors = 10;
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<std::string> data(kTensors);
  std::vector<protocol::TensorView> views(kTensors);
  for (int i = 0; i < kTensors; ++i) {
    const std::int64_t n = params / kTensors + (i < params % kTensors ? 1 : 0);
    std::vector<float> values(static_cast<std::size_t>(n));
    for (float& v : values) v = normal(rng);
    data[i].assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
    views[i].name = "layer" + std::to_string(i) + ".weight";
    views[i].dtype = protocol::DType::kF32;
    views[i].shape = {n};
    views[i].data = data[i];
  }
  return OrDie(protocol::SerializeSafetensors(views), "model");
}

transport::ChannelOptions BenchChannel() {
  transport::ChannelOptions channel;
  channel.frame_limits.max_payload_bytes = std::uint64_t{2} << 30;
  channel.io_timeout = std::chrono::seconds(120);
  channel.idle_timeout = std::chrono::seconds(600);
  return channel;
}

protocol::Message Envelope(protocol::Role role, std::string run_id, std::int64_t round,
                           protocol::MessageBody body) {
  protocol::Message message;
  message.run_id = std::move(run_id);
  message.round = round;
  message.sender_role = role;
  message.body = std::move(body);
  return message;
}

// Everything the fake sites and the round observer record, under one mutex.
struct Observed {
  std::mutex mutex;
  std::condition_variable changed;
  int welcomed = 0;
  bool submitted = false;
  std::string error;
  std::vector<json> rounds;                  // history entries, in order
  std::map<std::int64_t, double> turnaround;  // round -> slowest site: request in -> result out
};

// One fake site: answers train_request with the weights it received.
struct FakeSite {
  std::unique_ptr<crypto::TlsContext> tls;
  std::shared_ptr<transport::Connection> connection;
};

transport::ConnectionHandlers SiteHandlers(Observed* observed) {
  transport::ConnectionHandlers handlers;
  handlers.on_message = [observed](const std::shared_ptr<transport::Connection>& connection,
                                   const crypto::PeerIdentity&, json header,
                                   std::string payload) {
    const auto received = Clock::now();
    auto message = protocol::ParseMessageJson(header);
    if (!message.ok()) return;
    if (message->type() == protocol::MessageType::kWelcome) {
      std::lock_guard<std::mutex> lock(observed->mutex);
      ++observed->welcomed;
      observed->changed.notify_all();
      return;
    }
    const auto* request = std::get_if<protocol::TrainRequest>(&message->body);
    if (request == nullptr) return;  // evaluate_request, heartbeats: not part of this benchmark
    protocol::TrainResult result;
    result.base_model_sha256 = request->base_model_sha256;
    result.update_kind = protocol::UpdateKind::kWeights;
    result.num_samples = 10;
    result.payload_sha256 = request->base_model_sha256;  // the weights are the ones received
    const Status sent = connection->SendShared(
        protocol::ToJson(Envelope(protocol::Role::kSite, message->run_id, message->round, result)),
        std::make_shared<const std::string>(std::move(payload)));
    std::lock_guard<std::mutex> lock(observed->mutex);
    if (!sent.ok()) observed->error = "site send: " + sent.ToString();
    double& slowest = observed->turnaround[message->round];
    slowest = std::max(slowest, Seconds(Clock::now() - received));
    observed->changed.notify_all();
  };
  return handlers;
}

// Baseline: bulk bytes over one secure-channel connection, `frames` frames of `frame` bytes.
double MeasureChannelSeconds(const crypto::TlsFiles& server_files,
                             const crypto::TlsFiles& client_files,
                             std::shared_ptr<const std::string> frame, int frames,
                             std::size_t io_threads) {
  auto server_tls = Context(crypto::TlsContext::Side::kServer, server_files);
  auto client_tls = Context(crypto::TlsContext::Side::kClient, client_files);
  std::mutex mutex;
  std::condition_variable changed;
  int received = 0;
  Clock::time_point received_all;
  transport::ConnectionHandlers server_handlers;
  server_handlers.on_message = [&](const std::shared_ptr<transport::Connection>&,
                                   const crypto::PeerIdentity&, json, std::string) {
    std::lock_guard<std::mutex> lock(mutex);
    if (++received == frames) received_all = Clock::now();
    changed.notify_all();
  };
  transport::IoThreadPool pool(io_threads);
  transport::ServerOptions server_options;
  server_options.bind_address = "127.0.0.1";
  server_options.channel = BenchChannel();
  auto server = OrDie(transport::Server::Start(
                          pool.context(),
                          [&]() -> boost::asio::ssl::context& { return server_tls->native(); },
                          server_options, server_handlers),
                      "baseline server");
  transport::ClientOptions client_options;
  client_options.channel = BenchChannel();
  client_options.port = server->port();
  client_options.server_name = "localhost";
  auto connection = OrDie(
      transport::Connect(pool.context(), client_tls->native(), client_options, {}),
      "baseline client");
  const auto start = Clock::now();
  for (int sent = 0; sent < frames;) {
    const Status queued = connection->SendShared({{"type", "bench"}}, frame);
    if (queued.code() == StatusCode::kResourceExhausted) {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait_for(lock, std::chrono::milliseconds(5));
      continue;
    }
    if (!queued.ok()) Die("baseline send", queued);
    ++sent;
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    if (!changed.wait_for(lock, std::chrono::seconds(300), [&] { return received >= frames; })) {
      Die("baseline", DeadlineExceededError("the receiver did not get every frame"));
    }
  }
  const double seconds = Seconds(received_all - start);
  connection->Close("benchmark done");
  connection->WaitClosed(std::chrono::seconds(5));
  server->Stop(std::chrono::seconds(5));
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Round overhead of the PANCAIM-FL coordinator: N fake sites over mutual TLS on loopback "
      "with a no-op trainer, a float32 model of P parameters, R FedAvg rounds. Prints seconds "
      "per round and its split (send, transfer, validation, aggregation, checkpoint) and the "
      "round's transfer throughput against the secure channel's bulk throughput measured in the "
      "same run."};
  int sites = 10;
  std::int64_t params = 10'000'000;
  int rounds = 5;
  std::size_t io_threads = 2;
  app.add_option("--sites", sites, "fake sites")->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--params", params, "float32 parameters of the model")
      ->check(CLI::Range(std::int64_t{10}, std::int64_t{200'000'000}))
      ->capture_default_str();
  app.add_option("--rounds", rounds, "FedAvg rounds")->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--io-threads", io_threads, "threads of the io_context (coordinator and sites)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  log::SetMinLevel(log::Level::kError);  // no per-connection lines or shutdown noise

  char pattern[] = "/tmp/bench-round-overhead-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    std::fprintf(stderr, "error: cannot create a temporary folder\n");
    return 1;
  }
  const fs::path folder = pattern;
  BenchConsortium pki(folder / "pki");
  const crypto::TlsFiles coordinator_files =
      pki.Enroll(crypto::Role::kCoordinator, "coordinator", {"localhost"});
  const crypto::TlsFiles operator_files = pki.Enroll(crypto::Role::kOperator, "bench-operator");
  std::vector<crypto::TlsFiles> site_files;
  for (int i = 0; i < sites; ++i) {
    site_files.push_back(pki.Enroll(crypto::Role::kSite, "site-" + std::to_string(i)));
  }
  const std::string model = MakeModel(params);
  const double model_mb = static_cast<double>(model.size()) / 1e6;

  Observed observed;
  transport::IoThreadPool pool(io_threads);
  auto server_tls = Context(crypto::TlsContext::Side::kServer, coordinator_files);
  coordinator::server::CoordinatorServiceOptions options;
  options.config = OrDie(
      coordinator::CoordinatorConfigSchema().Validate(
          {{"server",
            {{"listen_address", "127.0.0.1"},
             {"port", 0},
             {"tls",
              {{"ca_file", coordinator_files.ca_cert_path},
               {"cert_file", coordinator_files.cert_path},
               {"key_file", coordinator_files.key_path},
               {"crl_file", coordinator_files.crl_path}}}}},
           {"storage", {{"state_dir", (folder / "state").string()}}},
           {"operators", {{"allowed", {"bench-operator"}}}},
           {"run_defaults", {{"round_deadline_seconds", 600}}}},
          "coordinator.json"),
      "coordinator config");
  options.model_factory = [&model](const std::string&, const json&,
                                   std::int64_t) -> StatusOr<std::string> { return model; };
  transport::ServerOptions server_options;
  server_options.bind_address = "127.0.0.1";
  server_options.channel = BenchChannel();
  options.server_options = server_options;
  options.tick_interval = std::chrono::milliseconds(20);
  options.on_round_closed = [&observed](const std::string&, const json& entry) {
    std::lock_guard<std::mutex> lock(observed.mutex);
    observed.rounds.push_back(entry);
    observed.changed.notify_all();
  };
  auto service = OrDie(coordinator::server::CoordinatorService::Start(
                           pool.context(),
                           [&]() -> boost::asio::ssl::context& { return server_tls->native(); },
                           std::move(options)),
                       "coordinator");

  transport::ClientOptions client_options;
  client_options.channel = BenchChannel();
  client_options.port = service->port();
  client_options.server_name = "localhost";
  std::vector<FakeSite> fake_sites(static_cast<std::size_t>(sites));
  for (int i = 0; i < sites; ++i) {
    FakeSite& site = fake_sites[static_cast<std::size_t>(i)];
    site.tls = Context(crypto::TlsContext::Side::kClient, site_files[static_cast<std::size_t>(i)]);
    site.connection = OrDie(transport::Connect(pool.context(), site.tls->native(), client_options,
                                               SiteHandlers(&observed)),
                            "site " + std::to_string(i));
    protocol::Hello hello;
    hello.device = "cpu";
    hello.dataset.num_train = 10;
    const Status sent =
        site.connection->Send(protocol::ToJson(Envelope(protocol::Role::kSite, "", 0, hello)));
    if (!sent.ok()) Die("hello", sent);
  }
  {
    std::unique_lock<std::mutex> lock(observed.mutex);
    if (!observed.changed.wait_for(lock, std::chrono::seconds(60),
                                   [&] { return observed.welcomed == sites; })) {
      Die("sites", DeadlineExceededError("not every site was welcomed"));
    }
  }

  auto operator_tls = Context(crypto::TlsContext::Side::kClient, operator_files);
  transport::ConnectionHandlers operator_handlers;
  operator_handlers.on_message = [&observed](const std::shared_ptr<transport::Connection>&,
                                             const crypto::PeerIdentity&, json header,
                                             std::string) {
    std::lock_guard<std::mutex> lock(observed.mutex);
    if (header.value("type", "") == "ack") observed.submitted = true;
    if (header.value("type", "") == "error") observed.error = header.dump();
    observed.changed.notify_all();
  };
  auto operator_connection = OrDie(transport::Connect(pool.context(), operator_tls->native(),
                                                      client_options, operator_handlers),
                                   "operator");
  protocol::SubmitRun submit;
  submit.run_spec = {{"model", {{"name", "bench-float32-" + std::to_string(params)}}},
                     {"rounds", rounds},
                     {"min_sites", sites},
                     {"evaluate_every", 0},
                     {"seed", 1}};
  const auto started = Clock::now();
  const Status submitted = operator_connection->Send(
      protocol::ToJson(Envelope(protocol::Role::kOperator, "", 0, submit)));
  if (!submitted.ok()) Die("submit", submitted);
  ProgressDisplay progress("rounds", rounds);
  std::size_t shown = 0;
  {
    std::unique_lock<std::mutex> lock(observed.mutex);
    while (observed.rounds.size() < static_cast<std::size_t>(rounds) && observed.error.empty()) {
      if (!observed.changed.wait_for(lock, std::chrono::seconds(600), [&] {
            return observed.rounds.size() > shown || !observed.error.empty();
          })) {
        observed.error = "no round closed within 600 s";
      }
      for (; shown < observed.rounds.size(); ++shown) progress.Advance(1);
    }
  }
  progress.Finish();
  const double total_seconds = Seconds(Clock::now() - started);
  if (!observed.error.empty()) {
    std::fprintf(stderr, "error: %s\n", observed.error.c_str());
    return 1;
  }
  operator_connection->Close("done");
  for (FakeSite& site : fake_sites) site.connection->Close("done");
  service->Stop();

  // Baseline in the same run: the same bytes as one round over one connection.
  const int frames = 2 * sites;
  const double channel_seconds = MeasureChannelSeconds(
      coordinator_files, site_files[0], std::make_shared<const std::string>(model), frames,
      io_threads);
  const double bytes_per_round = static_cast<double>(frames) * static_cast<double>(model.size());
  const double channel_gbps = bytes_per_round / channel_seconds / 1e9;

  std::printf("model %.1f MB (%lld float32 parameters), %d sites, %d rounds, %zu io threads; "
              "whole run %.2f s\n",
              model_mb, static_cast<long long>(params), sites, rounds, io_threads, total_seconds);
  std::printf("%5s %8s %8s %9s %10s %8s %8s %8s %10s %10s %9s\n", "round", "total_s", "send_s",
              "remain_s", "validate_s", "fold_s", "hold_s", "finish_s", "checkpt_s",
              "site_max_s", "xfer_GB/s");
  double sum_total = 0, sum_send = 0, sum_remain = 0, sum_validate = 0, sum_fold = 0,
         sum_hold = 0, sum_finish = 0, sum_checkpoint = 0;
  for (const json& entry : observed.rounds) {
    const json& t = entry.at("timing");
    const double total = t.at("round_seconds").get<double>();
    const double send = t.at("send_seconds").get<double>();
    const double validate = t.at("validation_seconds").get<double>();
    const double fold = t.at("fold_seconds").get<double>();
    const double hold = t.at("hold_seconds").get<double>();
    const double finish = t.at("finish_seconds").get<double>();
    const double checkpoint = t.at("checkpoint_seconds").get<double>();
    const double remain = total - send - validate - fold - hold - finish - checkpoint;
    const std::int64_t round = entry.at("round").get<std::int64_t>();
    std::printf("%5lld %8.3f %8.3f %9.3f %10.3f %8.3f %8.3f %8.3f %10.3f %10.3f %9.3f\n",
                static_cast<long long>(round), total, send, remain, validate, fold, hold, finish,
                checkpoint, observed.turnaround[round], bytes_per_round / remain / 1e9);
    sum_total += total;
    sum_send += send;
    sum_remain += remain;
    sum_validate += validate;
    sum_fold += fold;
    sum_hold += hold;
    sum_finish += finish;
    sum_checkpoint += checkpoint;
  }
  const double n = static_cast<double>(observed.rounds.size());
  std::printf("mean: %.3f s per round = send %.3f + transfer/wait %.3f + validation %.3f + "
              "fold %.3f + hold %.3f + finish %.3f + checkpoint %.3f\n",
              sum_total / n, sum_send / n, sum_remain / n, sum_validate / n, sum_fold / n,
              sum_hold / n, sum_finish / n, sum_checkpoint / n);
  const double round_gbps = bytes_per_round / (sum_remain / n) / 1e9;
  std::printf("bytes moved per round: %.1f MB (model to %d sites and back)\n",
              bytes_per_round / 1e6, sites);
  std::printf("baseline: secure channel bulk, one connection, same bytes in %d model-sized "
              "frames: %.3f s = %.3f GB/s\n",
              frames, channel_seconds, channel_gbps);
  std::printf("ratio round transfer throughput / channel bulk throughput: %.2f "
              "(transfer/wait %.3f s vs %.3f s)\n",
              round_gbps / channel_gbps, sum_remain / n, channel_seconds);
  std::error_code ignored;
  fs::remove_all(folder, ignored);
  return 0;
}
