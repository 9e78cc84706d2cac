// SiteAgent: the long-running `pancaim-site run`. It dials the coordinator named in site.json
// (mutual TLS, outbound only), introduces itself with a hello carrying aggregate counts of its
// data, and serves the coordinator's train and evaluate requests until stopped. After any failure
// (coordinator restart, network cut, refused handshake) it redials with exponential backoff and
// jitter, for ever.
//
// Threads: one io thread (the connection; its handlers only parse and queue), one worker thread
// (checks, training and evaluation through LocalTrainer, one request at a time, FIFO, at most
// kMaxQueuedRequests waiting; more are declined "busy"), and the caller's thread, which runs the
// dial loop in Run(). Requests are checked against the site policy before any data is opened. A
// train_request already answered (same run, round and global model) gets the same answer again
// from a cache, never a second training, so a site does not submit twice.
//
// Every frame the agent sends passes protocol::CheckSiteOutboundHeader first (a frame that would
// carry a field outside the site's outbound list is dropped and logged, never sent); an optional
// observer sees each one (tests check what leaves the site).
//
// Thread-safety: Create and Run from one thread; Stop from any thread (also a signal-watching
// one). The agent owns its threads, TLS context and trainer.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/site_runtime/local_trainer.h"
#include "pancaim/site_runtime/reconnect_backoff.h"

namespace pancaim::site_runtime {

inline constexpr int kMaxQueuedRequests = 4;

// Sees every header and payload just before the agent sends it. Called on the thread that sends;
// must be thread-safe and must not keep the view.
using OutboundObserver =
    std::function<void(const nlohmann::json& header, std::string_view payload)>;

struct SiteAgentOptions {
  std::filesystem::path config_path;  // site.json
  LocalTrainerOptions trainer;
  BackoffOptions backoff;
  std::chrono::milliseconds handshake_timeout{10'000};
  OutboundObserver observer;          // tests
  std::string software_version = "pancaim-site 0.1";
};

class SiteAgent {
 public:
  // Loads and validates site.json, the TLS material (failing when the coordinator section lacks
  // address or files) and the policy, and counts the site's data for the hello. Errors name the
  // file or key.
  static StatusOr<std::unique_ptr<SiteAgent>> Create(SiteAgentOptions options);
  ~SiteAgent();
  SiteAgent(const SiteAgent&) = delete;
  SiteAgent& operator=(const SiteAgent&) = delete;

  // Dials, serves and redials until Stop(). Returns when stopped (the connection closed with a
  // bye, work in progress cancelled).
  void Run();
  // Makes Run() return soon. Safe from any thread; idempotent.
  void Stop();

  // Counters for tests and logs.
  struct Counters {
    std::int64_t connections = 0;     // connections that reached the coordinator's welcome
    std::int64_t trained = 0;         // train_results sent (cached re-sends included)
    std::int64_t retrained = 0;       // of which re-sent from the cache
    std::int64_t evaluated = 0;       // evaluate_results sent
    std::int64_t declined = 0;        // declines sent
  };
  Counters counters() const;

  struct Impl;  // defined in site_agent.cc

 private:
  explicit SiteAgent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pancaim::site_runtime
