#include "pancaim/scenarios/generate_command.h"

#include "pancaim/common/log.h"
#include "pancaim/scenarios/cohort_generator.h"

namespace pancaim::scenarios {

StatusOr<ScenarioConfig> ResolveScenario(const GenerateCommandOptions& options) {
  if (options.sites && (*options.sites < 1 || *options.sites > 1000)) {
    return OutOfRangeError("--sites: " + std::to_string(*options.sites) + " is not in 1..1000");
  }
  if (options.patients && (*options.patients < 1 || *options.patients > 100000)) {
    return OutOfRangeError("--patients: " + std::to_string(*options.patients) +
                           " is not in 1..100000");
  }
  ScenarioConfig scenario;
  if (options.scenario_path.empty()) {
    scenario = DefaultScenario(options.sites.value_or(3), options.patients.value_or(60));
  } else {
    PANCAIM_ASSIGN_OR_RETURN(scenario, LoadScenarioConfig(options.scenario_path));
    if (options.sites) {
      auto& sites = scenario.cohort.sites;
      if (static_cast<std::size_t>(*options.sites) > sites.size()) {
        return InvalidArgumentError("--sites " + std::to_string(*options.sites) + ": " +
                                    options.scenario_path + " defines only " +
                                    std::to_string(sites.size()) + " site(s)");
      }
      sites.resize(static_cast<std::size_t>(*options.sites));
      scenario.document["cohort"]["sites"].get_ref<nlohmann::json::array_t&>().resize(sites.size());
    }
  }
  auto& document_sites = scenario.document["cohort"]["sites"];
  for (std::size_t i = 0; i < scenario.cohort.sites.size(); ++i) {
    if (options.patients) {
      scenario.cohort.sites[i].patients = *options.patients;
      document_sites[i]["patients"] = *options.patients;
    }
    if (options.ct_format) {
      if (*options.ct_format != "nifti" && *options.ct_format != "dicom") {
        return InvalidArgumentError("--ct-format: '" + *options.ct_format +
                                    "' is not nifti or dicom");
      }
      scenario.cohort.sites[i].ct.dicom = *options.ct_format == "dicom";
      document_sites[i]["ct"]["format"] = *options.ct_format;
    }
  }
  if (options.seed) {
    // JSON numbers are exact up to 2^53; larger seeds would not survive scenario.json.
    if (*options.seed > 9007199254740991ULL) {
      return OutOfRangeError("--seed: " + std::to_string(*options.seed) + " is above 2^53 - 1");
    }
    scenario.seed = *options.seed;
    scenario.document["seed"] = *options.seed;
  }
  return scenario;
}

Status RunGenerateCommand(const GenerateCommandOptions& options, std::FILE* out) {
  if (options.out_dir.empty()) return InvalidArgumentError("--out: an output folder is required");
  PANCAIM_ASSIGN_OR_RETURN(ScenarioConfig scenario, ResolveScenario(options));
  GenerateOptions generate;
  generate.out_dir = options.out_dir;
  generate.threads = options.threads;
  generate.overwrite = options.force;
  generate.show_progress = options.progress;
  generate.oracle_samples = options.oracle_samples;
  PANCAIM_LOG(INFO) << "generating scenario '" << scenario.name << "' (seed " << scenario.seed
                    << ", " << scenario.cohort.sites.size() << " sites) into " << options.out_dir;
  PANCAIM_ASSIGN_OR_RETURN(CohortSummary summary, GenerateCohort(scenario, generate));
  std::fprintf(out, "cohort '%s' written to %s\n%s", scenario.name.c_str(),
               options.out_dir.c_str(), FormatSummary(summary).c_str());
  return Status::Ok();
}

}  // namespace pancaim::scenarios
