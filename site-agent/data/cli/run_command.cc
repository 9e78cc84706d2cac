// `pancaim-site run`: the site agent. Dials the coordinator from site.json, trains and evaluates
// on request, and redials after any failure, until SIGINT or SIGTERM.
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

#include "commands.h"
#include "pancaim/common/log.h"
#include "pancaim/site_runtime/site_agent.h"

namespace pancaim::site_cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

struct RunArgs {
  std::string config = "site.json";
  std::string device = "auto";
  std::int64_t threads = 0;
  std::string fault;
};

int Run(const RunArgs& args) {
  site_runtime::SiteAgentOptions options;
  options.config_path = args.config;
  options.trainer.device = args.device;
  options.trainer.threads = args.threads;
  if (!args.fault.empty()) {
    auto fault = site_runtime::AgentFault::Parse(args.fault);
    if (!fault.ok()) {
      std::cerr << "run: --fault: " << fault.status().message() << "\n";
      return 2;
    }
    options.trainer.fault = *fault;
  }
  auto agent = site_runtime::SiteAgent::Create(options);
  if (!agent.ok()) {
    std::cerr << "run: " << agent.status().message() << "\n";
    return 2;
  }
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  site_runtime::SiteAgent* raw = agent->get();
  std::thread watcher([raw] {
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    PANCAIM_LOG(INFO) << "stopping";
    raw->Stop();
  });
  raw->Run();
  g_stop = 1;
  watcher.join();
  const auto counts = raw->counters();
  PANCAIM_LOG(INFO) << "site agent stopped: " << counts.trained << " updates, "
                    << counts.evaluated << " evaluations, " << counts.declined << " declines, "
                    << counts.connections << " connections";
  return 0;
}

}  // namespace

void RegisterRunCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* command = app.add_subcommand(
      "run",
      "Run the site agent: dial the coordinator (mutual TLS, outbound only), train and evaluate on "
      "request within this site's policy, redial after failures; stops on Ctrl-C/SIGTERM. Only "
      "model weights and aggregate metrics leave the site.");
  command->add_option("--config", args->config, "site.json")->capture_default_str();
  command->add_option("--device", args->device, "Training device: auto, cpu or cuda:N")
      ->capture_default_str();
  command->add_option("--threads", args->threads, "CPU threads for training (0 = LibTorch default)")
      ->capture_default_str();
  command->add_option("--fault", args->fault,
                      "SIMULATION ONLY: misbehave as scale=K (scaled update), random (random "
                      "weights) or delay=SECONDS (straggler)");
  command->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace pancaim::site_cli
