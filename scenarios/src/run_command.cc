#include "pancaim/scenarios/run_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
#include <sstream>

#include "pancaim/common/files.h"
#include "pancaim/common/progress.h"
#include "pancaim/scenarios/cohort_generator.h"
#include "pancaim/scenarios/federation_driver.h"
#include "pancaim/scenarios/mnist_run.h"
#include "pancaim/scenarios/operator_channel.h"
#include "pancaim/scenarios/report_html.h"
#include "pancaim/scenarios/simulation_evaluation.h"
#include "pancaim/tensorio/tensor_map.h"

#ifndef PANCAIM_SCENARIOS_SOURCE_DIR
#error "PANCAIM_SCENARIOS_SOURCE_DIR must name the scenarios/ folder"
#endif

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kSteps = 6;

void Step(std::FILE* out, int step, const std::string& text) {
  std::fprintf(out, "[%d/%d] %s\n", step, kSteps, text.c_str());
  std::fflush(out);
}

fs::path SelfDir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : self.parent_path();
}

// Runs `executable args...` under a supervisor with a deadline; OK when it exits 0.
Status Probe(const fs::path& executable, const std::vector<std::string>& args,
             const fs::path& log) {
  ProcessSupervisor supervisor;
  PANCAIM_RETURN_IF_ERROR(supervisor.Start({"probe", executable, args, log, {}}));
  std::vector<ChildExit> exits = supervisor.WaitForExits(std::chrono::seconds(20));
  if (exits.empty()) {
    supervisor.StopAll(std::chrono::milliseconds(200));
    return DeadlineExceededError(executable.string() + " did not answer --help within 20 s");
  }
  if (!exits.front().success()) {
    return FailedPreconditionError(exits.front().Describe() + " (output in " + log.string() + ")");
  }
  return Status::Ok();
}

std::vector<std::string> SiteIds(const ScenarioConfig& scenario) {
  std::vector<std::string> ids;
  for (const auto& site : scenario.cohort.sites) ids.push_back(site.name);
  return ids;
}

// The data sections of site `id`'s site.json: the scenario's `site_data` (imaging, pathology,
// genomics settings) and a CT cache kept in DIR/cache/<id> across runs.
json SiteDataConfig(const ScenarioConfig& scenario, const fs::path& out_dir,
                    const std::string& id) {
  json config = scenario.federation.value("site_data", json::object());
  if (!config.is_object()) config = json::object();
  config["site"]["cache_dir"] = fs::absolute(out_dir / "cache" / id).string();
  return config;
}

// Whole site.json documents for the researcher's reading of the data (no coordinator section).
std::vector<json> CohortSiteConfigs(const ScenarioConfig& scenario, const fs::path& out_dir) {
  std::vector<json> configs;
  for (const auto& site : scenario.cohort.sites) {
    json config = SiteDataConfig(scenario, out_dir, site.name);
    config["site"]["id"] = site.name;
    config["site"]["manifest"] = fs::absolute(out_dir / "cohort" / site.name / "manifest.csv").string();
    configs.push_back(std::move(config));
  }
  return configs;
}

std::string Show(std::optional<double> value) {
  if (!value) return "n/a";
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", *value);
  return text;
}

// Step 6: scores on the held-out test patients, baselines, results and report.
Status EvaluateAndReport(const ScenarioConfig& scenario, const SimulationData& data,
                         const json& run_spec, const FollowResult& followed,
                         const std::vector<StrategyResult>& strategies,
                         const RunCommandOptions& options, std::FILE* out) {
  if (data.pooled_test->Size() == 0) {
    return FailedPreconditionError("no site has a test patient with the labels and modalities " +
                                   data.model + " needs: nothing to score the models on");
  }
  RunResults results;
  results.scenario = scenario.name;
  results.task = data.data.task;
  results.metric = data.data.metric;
  results.strategy = run_spec["strategy"].value("name", std::string("fedavg"));
  results.started_utc = UtcTimestampNow();
  results.rounds = followed.rounds;
  results.events = followed.events;
  results.strategies = strategies;

  // Federated metric per round: every exported round model on the same test patients.
  {
    ProgressDisplay progress("per-round test " + data.data.metric,
                             static_cast<std::int64_t>(followed.round_models.size()), out);
    if (!options.progress) progress.set_plain(true);
    for (RoundResult& round : results.rounds) {
      const auto model_file = followed.round_models.find(round.round);
      if (model_file == followed.round_models.end()) continue;
      PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel model, LoadModelFile(data, model_file->second));
      PANCAIM_ASSIGN_OR_RETURN(auto metrics, Score(model, *data.pooled_test));
      round.metric = Headline(metrics, data.data.metric);
      progress.Advance(1, "round " + std::to_string(round.round) + " " + Show(round.metric));
    }
    progress.Finish();
  }

  PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel global, LoadModelFile(data, followed.global_model));
  PANCAIM_ASSIGN_OR_RETURN(auto global_metrics, Score(global, *data.pooled_test));
  const std::optional<double> federated = Headline(global_metrics, data.data.metric);
  PANCAIM_ASSIGN_OR_RETURN(results.sites,
                           SummarizeSites(SiteIds(scenario), CohortSiteConfigs(scenario,
                                                                                options.out_dir)));
  for (std::size_t i = 0; i < data.sites.size() && i < results.sites.size(); ++i) {
    if (data.sites[i].test->Size() == 0) continue;
    PANCAIM_ASSIGN_OR_RETURN(auto metrics, Score(global, *data.sites[i].test));
    results.sites[i].federated_metric = Headline(metrics, data.data.metric);
  }
  if (data.data.task == "survival") {
    auto survival = SurvivalOnTest(global, data);
    if (survival.ok()) {
      results.survival = std::move(survival).value();
    } else {
      results.events.push_back({0, 0, "note", "no risk-group curves: " +
                                                  survival.status().message()});
    }
  }

  const json& baselines = scenario.federation.value("baselines", json::object());
  if (baselines.value("local", true) || baselines.value("centralized", true)) {
    zoo::TrainOptions train;
    const json& training = run_spec["training"];
    train.epochs = static_cast<std::int64_t>(run_spec.value("rounds", 1)) *
                   training.value("epochs", 1);
    train.batch_size = training.value("batch_size", 16);
    train.learning_rate = training.value("learning_rate", 1e-3);
    train.optimizer = training.value("optimizer", std::string("sgd"));
    train.momentum = training.value("momentum", 0.9);
    train.weight_decay = training.value("weight_decay", 0.0);
    train.seed = scenario.seed;
    train.device = "cpu";
    std::fprintf(out, "      baselines: %zu local models and one centralized, %lld epochs each\n",
                 data.sites.size(), static_cast<long long>(train.epochs));
    std::fflush(out);
    PANCAIM_ASSIGN_OR_RETURN(BaselineScores scores, RunBaselines(data, train, options.progress));
    for (std::size_t i = 0; i < results.sites.size() && i < scores.local_on_own_test.size(); ++i) {
      results.sites[i].local_metric = scores.local_on_own_test[i];
    }
    if (baselines.value("local", true)) results.baselines.local_mean = scores.local_mean;
    if (baselines.value("centralized", true)) results.baselines.centralized = scores.centralized;
    results.events.push_back({0, 0, "note", "baselines trained in " +
                                                std::to_string(static_cast<int>(scores.seconds)) +
                                                " s in the pancaim-sim process"});
  }
  // The final federated score also closes the per-round series.
  if (!results.rounds.empty() && !results.rounds.back().metric) results.rounds.back().metric = federated;

  PANCAIM_RETURN_IF_ERROR(WriteReport(results, options.out_dir));
  std::fprintf(out,
               "      test %s on %lld held-out patients: federated %s, local mean %s, "
               "centralized %s\n",
               data.data.metric.c_str(), static_cast<long long>(data.pooled_test->Size()),
               Show(federated).c_str(), Show(results.baselines.local_mean).c_str(),
               Show(results.baselines.centralized).c_str());
  if (results.survival) {
    std::fprintf(out, "      risk groups (median split): log-rank p = %s\n",
                 Show(results.survival->p_value).c_str());
  }
  std::fprintf(out, "      report: %s (open it in a browser; results.json and CSV next to it)\n",
               fs::absolute(options.out_dir / "report.html").c_str());
  return Status::Ok();
}

// Fault arguments and scheduled faults of the scenario's `faults` and `attack` sections.
void ApplyScenarioFaults(const ScenarioConfig& scenario, std::vector<ChildSpec>& launch,
                         std::vector<ScheduledFault>& faults) {
  const json& f = scenario.federation;
  auto add_args = [&](const std::string& site, const std::string& fault) {
    for (ChildSpec& spec : launch) {
      if (spec.name == "site-" + site) spec.args.insert(spec.args.end(), {"--fault", fault});
    }
  };
  if (f.contains("faults")) {
    const json& faults_section = f["faults"];
    const std::string kill = faults_section.value("kill_site", std::string());
    if (!kill.empty()) {
      faults.push_back({ScheduledFault::Kind::kRestartSite, "site-" + kill,
                        faults_section.value("kill_site_at_round", 1)});
    }
    const std::string straggler = faults_section.value("straggler_site", std::string());
    if (!straggler.empty()) {
      add_args(straggler, "delay=" + std::to_string(faults_section.value("straggler_delay_s", 0)));
    }
    const int pace = faults_section.value("pace_s", 0);
    if (pace > 0) {
      for (const auto& site : scenario.cohort.sites) {
        if (site.name != straggler) add_args(site.name, "delay=" + std::to_string(pace));
      }
    }
    const int coordinator_round = faults_section.value("kill_coordinator_at_round", 0);
    if (coordinator_round > 0) {
      faults.push_back({ScheduledFault::Kind::kRestartCoordinator, "coordinator",
                        coordinator_round});
    }
  }
  if (f.contains("attack")) {
    const json& attack = f["attack"];
    const std::string site = attack.value("site", std::string());
    if (!site.empty()) {
      const std::string kind = attack.value("kind", std::string("scale"));
      char scale[32];
      std::snprintf(scale, sizeof(scale), "%g",
                    kind == "sign_flip" ? -1.0 : attack.value("scale", -10.0));
      add_args(site, kind == "random" ? std::string("random") : "scale=" + std::string(scale));
    }
  }
}

// Who took part in each round, from the coordinator's audit log (audit.jsonl in its state
// folder): a selected site whose update was not aggregated becomes a `site_excluded` event
// (with the site's decline reason when it sent one), the next round it is selected and
// aggregated again a `site_back` event, and a round that closed without enough updates a `round_retried` event.
// Only the last opening of a round counts (a coordinator resume or a retry opens it again).
std::vector<RunEvent> ParticipationEvents(const fs::path& audit_file, const std::string& run_id) {
  std::vector<RunEvent> events;
  auto text = ReadFile(audit_file, 256 << 20);
  if (!text.ok()) {
    events.push_back({0, 0, "note", "no participation record: " + text.status().message()});
    return events;
  }
  std::vector<std::string> selected;
  std::set<std::string> accepted;
  std::map<std::string, std::string> declined;
  // Sites whose last selected round did not aggregate them. A site that is not selected (not
  // yet reconnected after a restart, or not drawn) keeps its state until it is selected again.
  std::set<std::string> out;
  std::istringstream lines(text.value());
  std::string line;
  constexpr std::size_t kMaxEvents = 500;
  while (std::getline(lines, line) && events.size() < kMaxEvents) {
    const json entry = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object() || !entry.contains("data") || !entry["data"].is_object()) continue;
    const json& data = entry["data"];
    if (data.value("run_id", std::string()) != run_id) continue;
    const std::string type = entry.value("type", std::string());
    const int round = data.value("round", 0);
    if (type == "round_opened") {
      selected = data.value("sites", std::vector<std::string>());
      accepted.clear();
      declined.clear();
    } else if (type == "update_accepted") {
      accepted.insert(data.value("site", std::string()));
    } else if (type == "site_declined") {
      declined[data.value("site", std::string())] = data.value("reason", std::string());
    } else if (type == "round_closed" && data.value("outcome", std::string()) == "retry") {
      events.push_back({0, round, "round_retried", data.value("reason", std::string())});
    } else if (type == "round_closed") {
      for (const std::string& site : selected) {
        if (accepted.contains(site)) {
          if (out.erase(site) > 0) {
            events.push_back({0, round, "site_back", site + " aggregated again"});
          }
          continue;
        }
        out.insert(site);
        const auto reason = declined.find(site);
        events.push_back({0, round, "site_excluded",
                          site + " not aggregated: " +
                              (reason != declined.end()
                                   ? "declined (" + reason->second + ")"
                                   : std::string("no update before the round closed"))});
      }
    }
  }
  return events;
}

}  // namespace

fs::path DefaultScenarioPath() {
  return fs::path(PANCAIM_SCENARIOS_SOURCE_DIR) / "pdac-3-hospitals.json";
}

StatusOr<bool> PrepareCohort(const ScenarioConfig& scenario, const fs::path& out_dir, bool force,
                             bool progress, int threads) {
  const fs::path cohort_dir = out_dir / "cohort";
  const fs::path written = cohort_dir / "scenario.json";
  std::error_code ec;
  if (fs::exists(written, ec)) {
    PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(written, 16 << 20));
    json previous = json::parse(text, nullptr, /*allow_exceptions=*/false);
    // Only what the data is made of counts: another federation over the same cohort reuses it.
    json current = scenario.document;
    for (json* document : {&previous, &current}) {
      if (!document->is_object()) continue;
      document->erase("federation");
      document->erase("description");
    }
    if (previous == current) return false;
    if (!force) {
      return FailedPreconditionError(cohort_dir.string() +
                                     " holds a cohort of a different scenario; use another --out "
                                     "or --force to regenerate it");
    }
  }
  GenerateOptions options;
  options.out_dir = cohort_dir;
  options.overwrite = true;
  options.show_progress = progress;
  options.threads = threads;
  options.oracle_samples = 0;
  PANCAIM_RETURN_IF_ERROR(GenerateCohort(scenario, options).status());
  return true;
}

StatusOr<ConsortiumPlan> PlanConsortium(const ScenarioConfig& scenario, const fs::path& out_dir,
                                        int port) {
  ConsortiumPlan plan;
  plan.port = port;
  const fs::path cohort_dir = fs::absolute(out_dir / "cohort");
  for (const auto& site : scenario.cohort.sites) {
    plan.sites.push_back({site.name, cohort_dir / site.name / "manifest.csv",
                          SiteDataConfig(scenario, out_dir, site.name)});
  }
  json federation = scenario.federation;
  federation["name"] = scenario.name;
  PANCAIM_ASSIGN_OR_RETURN(plan.run_spec,
                           RunSpecForFederation(federation, SiteIds(scenario), scenario.seed));
  return plan;
}

StatusOr<int> PickLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return UnavailableError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int err = errno;
    ::close(fd);
    return UnavailableError(std::string("cannot bind a loopback port: ") + std::strerror(err));
  }
  ::close(fd);
  return static_cast<int>(ntohs(address.sin_port));
}

Status CheckProductionBinaries(const fs::path& bin_dir, const fs::path& log_dir) {
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  if (ec) return InternalError("cannot create " + log_dir.string() + ": " + ec.message());
  const std::pair<const char*, const char*> needed[] = {{"pancaim-coordinator", "serve"},
                                                        {"pancaim-site", "run"}};
  for (const auto& [binary, command] : needed) {
    const fs::path path = bin_dir / binary;
    if (!fs::exists(path, ec)) {
      return FailedPreconditionError(std::string(binary) + " is not built: expected " +
                                     path.string());
    }
    const fs::path log = log_dir / (std::string("probe-") + binary + ".log");
    Status probe = Probe(path, {command, "--help"}, log);
    if (!probe.ok()) {
      return FailedPreconditionError("`" + std::string(binary) + " " + command +
                                     "` is not available yet: " + probe.message());
    }
  }
  return Status::Ok();
}

std::vector<ChildSpec> BuildLaunchPlan(const ProvisionedConsortium& consortium,
                                       const std::vector<std::string>& site_ids,
                                       const fs::path& bin_dir, const fs::path& out_dir) {
  const fs::path logs = fs::absolute(out_dir / "logs");
  std::vector<ChildSpec> plan;
  plan.push_back({"coordinator", bin_dir / "pancaim-coordinator",
                  {"serve", "--config", consortium.coordinator_config.string()},
                  logs / "coordinator.log", consortium.coordinator_config.parent_path()});
  for (std::size_t i = 0; i < site_ids.size() && i < consortium.site_configs.size(); ++i) {
    plan.push_back({"site-" + site_ids[i], bin_dir / "pancaim-site",
                    {"run", "--config", consortium.site_configs[i].string()},
                    logs / ("site-" + site_ids[i] + ".log"),
                    consortium.site_configs[i].parent_path()});
  }
  return plan;
}

namespace {

// One federation over the scenario's cohort: `scenario.federation` says what is run (a
// comparison run changes it), `run_dir` holds its consortium, logs and exported models, the
// cohort and CT caches stay in options.out_dir. `label` is empty for the scenario's own run.
struct FederationRun {
  ScenarioConfig scenario;
  fs::path run_dir;
  std::string label;
  bool export_each_round = true;
};

// Steps 3-5 for one federation: provisions a fresh consortium, launches the processes, follows
// the run to completion (faults and attack from the run's federation section) and adds the
// participation events of the coordinator's audit log. `run_spec` receives the submitted run.
StatusOr<FollowResult> RunFederation(const FederationRun& run, const SimulationData& data,
                                     int smallest_train, const fs::path& bin_dir,
                                     const RunCommandOptions& options, json& run_spec,
                                     std::FILE* out) {
  const ScenarioConfig& scenario = run.scenario;
  const std::string prefix = run.label.empty() ? "" : "[" + run.label + "] ";
  auto port = PickLoopbackPort();
  if (!port.ok()) return port.status().WithContext(prefix + "step 3 (consortium)");
  auto plan = PlanConsortium(scenario, options.out_dir, port.value());
  if (!plan.ok()) return plan.status().WithContext(prefix + "step 3 (consortium)");
  plan->run_spec["model"]["config"] = data.model_config;
  plan->min_patients_per_round = std::clamp(smallest_train, 1, 5);
  const fs::path consortium_dir = run.run_dir / "consortium";
  std::error_code ec;
  if (fs::exists(consortium_dir, ec)) {
    // A consortium is throwaway: each run gets fresh keys.
    fs::remove_all(consortium_dir, ec);
    if (ec) return InternalError(prefix + "step 3 (consortium): cannot remove " + consortium_dir.string());
  }
  auto consortium = ProvisionConsortium(plan.value(), consortium_dir);
  if (!consortium.ok()) return consortium.status().WithContext(prefix + "step 3 (consortium)");
  Step(out, 3, prefix + "consortium: CA, " + std::to_string(plan->sites.size() + 2) +
                   " certificates and configs in " + consortium_dir.string() + " (port " +
                   std::to_string(port.value()) + ")");

  Status binaries = CheckProductionBinaries(bin_dir, run.run_dir / "logs");
  if (!binaries.ok()) return binaries.WithContext(prefix + "step 4 (binaries)");
  Step(out, 4, prefix + "binaries: " + bin_dir.string());

  const fs::path logs = fs::absolute(run.run_dir / "logs");
  for (const char* stale : {"coordinator.log", "operator/operator.log"}) fs::remove(logs / stale, ec);
  for (const std::string& id : SiteIds(scenario)) fs::remove(logs / ("site-" + id + ".log"), ec);
  FollowOptions follow;
  follow.launch = BuildLaunchPlan(consortium.value(), SiteIds(scenario), bin_dir, run.run_dir);
  ApplyScenarioFaults(scenario, follow.launch, follow.faults);
  follow.site_ids = SiteIds(scenario);
  follow.run_spec = consortium->run_spec;
  follow.state_dir = consortium->coordinator_config.parent_path() / "state";
  follow.out_dir = fs::absolute(run.run_dir);
  follow.progress = options.progress;
  follow.export_each_round = run.export_each_round;
  const int rounds = plan->run_spec.value("rounds", 1);
  const double deadline = plan->run_spec.value("round_deadline_seconds", 600.0);
  follow.run_timeout = std::chrono::milliseconds(
      static_cast<std::int64_t>(1000 * (rounds * (deadline + 30) + 300)));
  Step(out, 5, prefix + "federation: coordinator and " + std::to_string(follow.site_ids.size()) +
                   " site agents as separate processes on 127.0.0.1:" +
                   std::to_string(port.value()) + ", mutual TLS");
  CliOperatorChannel channel(bin_dir / "pancaim-coordinator", consortium->operator_config,
                             logs / "operator");
  auto followed = LaunchAndFollow(follow, channel, out);
  if (!followed.ok()) return followed.status().WithContext(prefix + "step 5 (federation)");
  std::fprintf(out, "      %srun %s completed %zu rounds in %.1f s; global model %s\n",
               prefix.c_str(), followed->run_id.c_str(), followed->rounds.size(),
               followed->run_seconds, followed->global_model.c_str());
  std::vector<RunEvent> participation =
      ParticipationEvents(follow.state_dir / "audit.jsonl", followed->run_id);
  followed->events.insert(followed->events.end(), participation.begin(), participation.end());
  for (RunEvent& event : followed->events) event.detail = prefix + event.detail;
  run_spec = plan->run_spec;
  return followed;
}

// The final model of `followed` on the pooled test patients (the report's headline metric).
StatusOr<std::optional<double>> FinalMetric(const SimulationData& data,
                                            const FollowResult& followed) {
  PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel model, LoadModelFile(data, followed.global_model));
  PANCAIM_ASSIGN_OR_RETURN(auto metrics, Score(model, *data.pooled_test));
  return Headline(metrics, data.data.metric);
}

// Whether two exported models hold the same tensors bit for bit (metadata aside); `detail`
// names the first difference.
StatusOr<bool> SameWeights(const fs::path& a, const fs::path& b, std::string& detail) {
  PANCAIM_ASSIGN_OR_RETURN(tensorio::DecodedTensors left, tensorio::LoadSafetensorsFile(a.string()));
  PANCAIM_ASSIGN_OR_RETURN(tensorio::DecodedTensors right,
                           tensorio::LoadSafetensorsFile(b.string()));
  if (left.tensors.size() != right.tensors.size()) {
    detail = "different tensor counts";
    return false;
  }
  double largest = 0;
  std::string first;
  for (const auto& [name, tensor] : left.tensors) {
    const auto other = right.tensors.find(name);
    if (other == right.tensors.end() || !tensor.sizes().equals(other->second.sizes()) ||
        tensor.scalar_type() != other->second.scalar_type()) {
      detail = "tensor " + name + " differs in name, shape or type";
      return false;
    }
    if (!torch::equal(tensor, other->second)) {
      if (first.empty()) first = name;
      if (tensor.is_floating_point()) {
        largest = std::max(largest, (tensor - other->second).abs().max().item<double>());
      }
    }
  }
  if (first.empty()) {
    detail = std::to_string(left.tensors.size()) + " tensors bit-identical";
    return true;
  }
  detail = "first differing tensor " + first + ", largest difference " + std::to_string(largest);
  return false;
}

// The comparison runs a scenario asks for, after its own run `main`:
// - `compare_strategies` (byzantine): the same federation, same attacker, with each other
//   strategy; `compare_unattacked`: the scenario's strategy without the attack. Their final
//   test metrics go to `strategies`, next to the main run's.
// - `faults.check_resume`: two runs with min_sites = every site and no site faults, one
//   uninterrupted, one with the coordinator killed and resumed; an event says whether their
//   final weights are byte-identical.
Status RunVariants(const ScenarioConfig& scenario, const SimulationData& data, int smallest_train,
                   const fs::path& bin_dir, const RunCommandOptions& options,
                   const FollowResult& main, std::vector<StrategyResult>& strategies,
                   std::vector<RunEvent>& events, std::FILE* out) {
  const json& f = scenario.federation;
  const std::string strategy = f.value("strategy", std::string("fedavg"));
  const bool attacked =
      f.contains("attack") && !f["attack"].value("site", std::string()).empty();
  const json compare = f.value("compare_strategies", json::array());
  const bool unattacked = f.value("compare_unattacked", false) && attacked;
  if (!compare.empty() || unattacked) {
    PANCAIM_ASSIGN_OR_RETURN(auto metric, FinalMetric(data, main));
    strategies.push_back({strategy + (attacked ? " (attacked)" : ""), metric});
  }
  auto run_variant = [&](const std::string& label, json federation,
                         bool export_rounds) -> StatusOr<FollowResult> {
    FederationRun run{scenario, options.out_dir / "compare" / label, label, export_rounds};
    run.scenario.federation = std::move(federation);
    json ignored;
    return RunFederation(run, data, smallest_train, bin_dir, options, ignored, out);
  };
  for (const json& other : compare) {
    const std::string name = other.get<std::string>();
    json federation = f;
    federation["strategy"] = name;
    PANCAIM_ASSIGN_OR_RETURN(FollowResult followed, run_variant(name, federation, false));
    PANCAIM_ASSIGN_OR_RETURN(auto metric, FinalMetric(data, followed));
    strategies.push_back({name + (attacked ? " (attacked)" : ""), metric});
  }
  if (unattacked) {
    json federation = f;
    federation.erase("attack");
    PANCAIM_ASSIGN_OR_RETURN(FollowResult followed,
                             run_variant(strategy + "-no-attack", federation, false));
    PANCAIM_ASSIGN_OR_RETURN(auto metric, FinalMetric(data, followed));
    strategies.push_back({strategy + " (no attack)", metric});
  }
  if (f.contains("faults") && f["faults"].value("check_resume", false) &&
      f["faults"].value("kill_coordinator_at_round", 0) > 0) {
    json plain = f;
    plain["min_sites"] = static_cast<int>(scenario.cohort.sites.size());
    plain.erase("faults");
    json resumed = plain;
    // Both runs paced alike (the delay changes no weights) so that the kill lands mid-run.
    const int pace = std::max(1, f["faults"].value("pace_s", 0));
    plain["faults"] = {{"pace_s", pace}};
    resumed["faults"] = {{"kill_coordinator_at_round", f["faults"]["kill_coordinator_at_round"]},
                         {"pace_s", pace}};
    PANCAIM_ASSIGN_OR_RETURN(FollowResult a, run_variant("no-faults", plain, false));
    PANCAIM_ASSIGN_OR_RETURN(FollowResult b, run_variant("coordinator-resume", resumed, false));
    std::string detail;
    PANCAIM_ASSIGN_OR_RETURN(bool same, SameWeights(a.global_model, b.global_model, detail));
    bool resumed_run = false;
    for (const RunEvent& event : b.events) {
      if (event.kind != "note") events.push_back(event);
      if (event.kind == "coordinator_resumed") resumed_run = true;
    }
    if (!resumed_run) {
      return InternalError("resume check: the coordinator-resume run completed before the "
                           "coordinator could be killed; raise faults.pace_s");
    }
    events.push_back(
        {0, 0, same ? "resume_identical" : "resume_differs",
         std::string("with min_sites = every site and no site faults, the final weights of the "
                     "run whose coordinator was killed and resumed are ") +
             (same ? "bit-identical to" : "NOT identical to") + " the uninterrupted run's (" +
             detail + ")"});
    std::fprintf(out, "      resume check: final weights %s (%s)\n",
                 same ? "bit-identical" : "DIFFER", detail.c_str());
  }
  return Status::Ok();
}

}  // namespace

Status RunSimulationCommand(const RunCommandOptions& options, std::FILE* out) {
  if (options.out_dir.empty()) return InvalidArgumentError("--out is required");
  const fs::path scenario_path =
      options.scenario_path.empty() ? DefaultScenarioPath() : fs::path(options.scenario_path);
  auto loaded = LoadScenarioConfig(scenario_path);
  if (!loaded.ok()) return loaded.status().WithContext("step 1 (scenario)");
  const ScenarioConfig& scenario = loaded.value();
  if (scenario.dataset_kind == "mnist") {
    return RunMnistScenario(scenario, scenario_path, options, out);
  }
  Step(out, 1, "scenario " + scenario.name + " (" + scenario_path.string() + ")");
  auto generated =
      PrepareCohort(scenario, options.out_dir, options.force, options.progress, options.threads);
  if (!generated.ok()) return generated.status().WithContext("step 2 (data)");
  // The researcher's view of the data (baselines, scoring): opened once, also to fit the model's
  // feature counts to the cohort before the run is specified.
  const std::string model_name = scenario.federation.value("model", std::string("genomics-mlp"));
  auto data = OpenSimulationData(SiteIds(scenario), CohortSiteConfigs(scenario, options.out_dir),
                                 model_name,
                                 scenario.federation.value("model_options", json::object()));
  if (!data.ok()) return data.status().WithContext("step 2 (data)");
  int smallest_train = 1 << 30;
  for (const SiteSplits& site : data->sites) {
    smallest_train = std::min<int>(smallest_train, static_cast<int>(site.train->Size()));
  }
  Step(out, 2, std::string("data: cohort ") + (generated.value() ? "generated" : "reused") +
                   " in " + (options.out_dir / "cohort").string() + "; " +
                   std::to_string(data->pooled_train->Size()) + " training and " +
                   std::to_string(data->pooled_test->Size()) + " test patients for " + model_name);

  const fs::path bin_dir = options.bin_dir.empty() ? SelfDir() : options.bin_dir;
  FederationRun main_run{scenario, options.out_dir, /*label=*/"", /*export_each_round=*/true};
  json run_spec;
  auto followed =
      RunFederation(main_run, data.value(), smallest_train, bin_dir, options, run_spec, out);
  if (!followed.ok()) return followed.status();
  std::vector<StrategyResult> strategies;
  std::vector<RunEvent> extra_events;
  Status variants = RunVariants(scenario, data.value(), smallest_train, bin_dir, options,
                                followed.value(), strategies, extra_events, out);
  if (!variants.ok()) return variants.WithContext("comparison runs");
  followed->events.insert(followed->events.end(), extra_events.begin(), extra_events.end());

  Step(out, 6, "evaluation on the held-out test patients, baselines and report");
  Status report = EvaluateAndReport(scenario, data.value(), run_spec,
                                    followed.value(), strategies, options, out);
  if (!report.ok()) return report.WithContext("step 6 (evaluation and report)");
  return Status::Ok();
}

}  // namespace pancaim::scenarios
