// `pancaim-sim run [SCENARIO.json] --out DIR`: the one-machine federation simulation, as a
// sequence of steps that each stand on their own:
//   1. scenario   load and validate the scenario (or the default pdac-3-hospitals)
//   2. data       generate the synthetic cohort into DIR/cohort, or reuse it when DIR/cohort
//                 already holds the same scenario, and open it as the model reads it (the
//                 model's feature counts are fitted to the cohort)
//   3. consortium provision a throwaway CA, certificates and configs (consortium_provisioner.h)
//                 into DIR/consortium, on a free loopback port
//   4. binaries   check that the production binaries next to pancaim-sim offer the commands the
//                 launch needs (`pancaim-coordinator serve`, `pancaim-site run`)
//   5. federation start coordinator and sites as separate processes (federation_driver.h, logs
//                 in DIR/logs), submit the run as operator, follow it, export the global model
//                 to DIR/global_model.safetensors and every round's to DIR/rounds/
//   6. report     score the per-round and final global models on every site's held-out test
//                 patients, train the local and centralized baselines in this process
//                 (simulation_evaluation.h), write DIR/report.html, results.json and CSV files
// Errors name the step that failed; Ctrl-C during step 5 stops every process started.
// A scenario whose dataset is `mnist` (fedavg-mnist) runs its own steps instead, in one process
// (mnist_run.h).
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/scenarios/consortium_provisioner.h"
#include "pancaim/scenarios/process_supervisor.h"
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {

struct RunCommandOptions {
  std::string scenario_path;          // empty: DefaultScenarioPath()
  std::filesystem::path out_dir;      // required
  std::filesystem::path bin_dir;      // empty: the folder of the running executable
  bool force = false;                 // regenerate a cohort that differs from the scenario
  bool progress = true;
  int threads = 0;                    // cohort generation threads, and LibTorch threads of
                                      // the mnist simulation (0 = one per core)
  std::filesystem::path mnist_dir;    // mnist: the IDX folder; overrides $PANCAIM_MNIST_DIR and
                                      // the scenario's dataset.mnist.dir
};

// The shipped default scenario file (scenarios/pdac-3-hospitals.json of the source tree this
// binary was built from).
std::filesystem::path DefaultScenarioPath();

// Step 2 for a synthetic cohort: DIR/cohort holds the cohort of `scenario` afterwards. Reuses an
// existing cohort whose scenario.json equals the scenario's document apart from its
// `federation` and `description` (the cohort does not depend on them); refuses a different one
// unless `force` (FailedPrecondition naming the folder). Returns true when it generated.
StatusOr<bool> PrepareCohort(const ScenarioConfig& scenario, const std::filesystem::path& out_dir,
                             bool force, bool progress, int threads);

// Step 3: the consortium plan for the scenario's sites (manifests in DIR/cohort/<site>/) on
// `port`, with the run spec from its federation section.
StatusOr<ConsortiumPlan> PlanConsortium(const ScenarioConfig& scenario,
                                        const std::filesystem::path& out_dir, int port);

// A free TCP port on 127.0.0.1 (bound and released; another process could take it in between).
StatusOr<int> PickLoopbackPort();

// Step 4: OK when `bin_dir` holds pancaim-coordinator with a working `serve --help` and
// pancaim-site with `run --help`. FailedPrecondition naming the missing binary or command;
// probe output goes to `log_dir`.
Status CheckProductionBinaries(const std::filesystem::path& bin_dir,
                               const std::filesystem::path& log_dir);

// The processes step 5 starts: the coordinator (`serve --config`) and one agent per site
// (`run --config`, named "site-<id>"), each logging to DIR/logs/<name>.log.
std::vector<ChildSpec> BuildLaunchPlan(const ProvisionedConsortium& consortium,
                                       const std::vector<std::string>& site_ids,
                                       const std::filesystem::path& bin_dir,
                                       const std::filesystem::path& out_dir);

// Runs steps 1..6, printing each step to `out`. Errors name the step that failed.
Status RunSimulationCommand(const RunCommandOptions& options, std::FILE* out = stdout);

}  // namespace pancaim::scenarios
