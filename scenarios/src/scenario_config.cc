#include "pancaim/scenarios/scenario_config.h"

#include <cmath>
#include <set>

#include "pancaim/common/check.h"
#include "pancaim/common/files.h"

namespace pancaim::scenarios {
namespace {

using nlohmann::json;

bool IsValidSiteName(const std::string& name) {
  if (name.empty() || name.size() > 40 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

StatusOr<CtSettings> ParseCt(const json& ct, const std::string& path) {
  CtSettings out;
  out.dicom = ct["format"] == "dicom";
  const json& size = ct["size"];
  if (size.size() != 3) {
    return InvalidArgumentError("key '" + path + ".size': expected 3 items [x, y, z], got " +
                                std::to_string(size.size()));
  }
  for (int i = 0; i < 3; ++i) out.size[i] = size[i].get<int>();
  out.pixel_spacing_mm = ct["pixel_spacing_mm"];
  out.slice_thickness_mm = ct["slice_thickness_mm"];
  out.intensity_scale = ct["intensity_scale"];
  out.intensity_offset_hu = ct["intensity_offset_hu"];
  out.noise_hu = ct["noise_hu"];
  out.manufacturer = ct["manufacturer"];
  if (out.manufacturer.empty() || out.manufacturer.size() > 64) {
    return InvalidArgumentError("key '" + path + ".manufacturer': needs 1 to 64 characters");
  }
  return out;
}

StatusOr<SlideSettings> ParseSlide(const json& slide, const std::string& path) {
  SlideSettings out;
  out.aperio = slide["format"] == "svs";
  out.size_px = slide["size_px"];
  out.mpp = slide["mpp"];
  out.tile_px = slide["tile_px"];
  out.jpeg_quality = slide["jpeg_quality"];
  out.hematoxylin = slide["hematoxylin"];
  out.eosin = slide["eosin"];
  out.stain_jitter = slide["stain_jitter"];
  if (out.tile_px % 16 != 0) {
    return InvalidArgumentError("key '" + path + ".tile_px': " + std::to_string(out.tile_px) +
                                " is not a multiple of 16 (JPEG tiles need it)");
  }
  return out;
}

StatusOr<SiteConfig> ParseSite(const json& site, const std::string& path) {
  SiteConfig out;
  out.name = site["name"];
  if (!IsValidSiteName(out.name)) {
    return InvalidArgumentError("key '" + path + ".name': '" + out.name +
                                "' must match [A-Za-z0-9._-]{1,40}");
  }
  out.patients = site["patients"];
  out.prevalence = site["prevalence"];
  PANCAIM_ASSIGN_OR_RETURN(out.ct, ParseCt(site["ct"], path + ".ct"));
  PANCAIM_ASSIGN_OR_RETURN(out.slide, ParseSlide(site["slide"], path + ".slide"));
  const json& missing = site["missing"];
  out.missing = {missing["ct"],     missing["mask"],   missing["slide"],
                 missing["genomics"], missing["ca19_9"], missing["stage"]};
  const json& genomics = site["genomics"];
  out.genomics = {genomics["mean_depth"], genomics["background_variants"],
                  genomics["low_quality_rate"]};
  return out;
}

StatusOr<CohortConfig> ParseCohort(const json& cohort) {
  CohortConfig out;
  const json& splits = cohort["splits"];
  out.splits = {splits["train"], splits["validation"], splits["test"]};
  double sum = out.splits.train + out.splits.validation + out.splits.test;
  if (std::abs(sum - 1.0) > 1e-6) {
    return InvalidArgumentError("key 'cohort.splits': fractions sum to " + std::to_string(sum) +
                                ", expected 1");
  }
  std::set<std::string> names;
  const json& sites = cohort["sites"];
  for (std::size_t i = 0; i < sites.size(); ++i) {
    std::string path = "cohort.sites[" + std::to_string(i) + "]";
    PANCAIM_ASSIGN_OR_RETURN(SiteConfig site, ParseSite(sites[i], path));
    if (!names.insert(site.name).second) {
      return InvalidArgumentError("key '" + path + ".name': duplicate site name '" + site.name +
                                  "'");
    }
    out.sites.push_back(std::move(site));
  }
  return out;
}


// What the in-process MNIST simulation (mnist_run.h) cannot do: it runs FedAvg with plain SGD
// clients (McMahan et al. 2017) and no processes, so no other strategy, optimiser, fault or attack.
Status CheckMnistFederation(const ScenarioConfig& config) {
  const json& f = config.federation;
  if (f["strategy"] != "fedavg") {
    return InvalidArgumentError("key 'federation.strategy': the mnist simulation runs fedavg only");
  }
  if (f["optimizer"] != "sgd") {
    return InvalidArgumentError("key 'federation.optimizer': the mnist simulation trains clients "
                                "with plain SGD as in McMahan et al. 2017; set it to sgd");
  }
  const json& faults = f["faults"];
  if (!faults["kill_site"].get<std::string>().empty() ||
      !faults["straggler_site"].get<std::string>().empty() ||
      faults["kill_coordinator_at_round"].get<int>() > 0 || faults["pace_s"].get<int>() > 0 ||
      !f["attack"]["site"].get<std::string>().empty() || !f["compare_strategies"].empty()) {
    return InvalidArgumentError("key 'federation': faults, attacks and strategy comparisons need "
                                "the process simulation; the mnist simulation runs in one process");
  }
  const std::vector<std::string> partitions = config.dataset["mnist"]["partitions"];
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (partitions[i] == partitions[j]) {
        return InvalidArgumentError("key 'dataset.mnist.partitions': " + partitions[i] +
                                    " is listed twice");
      }
    }
  }
  return Status::Ok();
}

// Settings of the federation that cannot work with this cohort, refused before anything starts.
Status CheckFederation(const ScenarioConfig& config) {
  const json& f = config.federation;
  std::set<std::string> site_names;
  for (const auto& site : config.cohort.sites) site_names.insert(site.name);
  const bool mnist = config.dataset_kind == "mnist";
  const int sites = mnist ? config.dataset["mnist"]["clients"].get<int>()
                          : static_cast<int>(config.cohort.sites.size());
  const std::string what = mnist ? " clients" : " sites";
  if (!mnist && sites == 0) {
    return InvalidArgumentError("key 'cohort.sites': at least one site is needed");
  }
  for (const char* key : {"min_sites", "sites_per_round"}) {
    const int value = f[key].get<int>();
    if (value > sites) {
      return InvalidArgumentError("key 'federation." + std::string(key) + "': " +
                                  std::to_string(value) + " is more than the " +
                                  std::to_string(sites) + what);
    }
  }
  const int per_round = f["sites_per_round"].get<int>();
  if (per_round > 0 && per_round < f["min_sites"].get<int>()) {
    return InvalidArgumentError("key 'federation.sites_per_round': " + std::to_string(per_round) +
                                " is below federation.min_sites");
  }
  const int rounds = f["rounds"].get<int>();
  for (const char* key : {"kill_site_at_round", "kill_coordinator_at_round"}) {
    if (f["faults"][key].get<int>() > rounds) {
      return InvalidArgumentError("key 'federation.faults." + std::string(key) +
                                  "': after the last round " + std::to_string(rounds));
    }
  }
  if (f["faults"]["pace_s"].get<int>() > 0 &&
      f["faults"]["pace_s"].get<double>() >= f["round_deadline_s"].get<double>()) {
    return InvalidArgumentError("key 'federation.faults.pace_s': must be below "
                                "federation.round_deadline_s, or every site misses every round");
  }
  const std::pair<const char*, std::string> named[] = {
      {"faults.kill_site", f["faults"]["kill_site"]},
      {"faults.straggler_site", f["faults"]["straggler_site"]},
      {"attack.site", f["attack"]["site"]}};
  for (const auto& [key, name] : named) {
    if (!name.empty() && !mnist && site_names.count(name) == 0) {
      return InvalidArgumentError("key 'federation." + std::string(key) + "': '" + name +
                                  "' is not a site of the cohort");
    }
  }
  if (!f["faults"]["kill_site"].get<std::string>().empty() &&
      f["faults"]["kill_site_at_round"].get<int>() == 0) {
    return InvalidArgumentError("key 'federation.faults.kill_site_at_round': needed (≥ 1) with "
                                "faults.kill_site");
  }
  if (mnist) PANCAIM_RETURN_IF_ERROR(CheckMnistFederation(config));
  const json& site_data = f["site_data"];
  if (!site_data.is_object()) {
    return InvalidArgumentError("key 'federation.site_data': must be an object");
  }
  for (const auto& [key, value] : site_data.items()) {
    if (key != "imaging" && key != "pathology" && key != "genomics") {
      return InvalidArgumentError("key 'federation.site_data." + key +
                                  "': unknown (imaging, pathology or genomics)");
    }
    if (!value.is_object()) {
      return InvalidArgumentError("key 'federation.site_data." + key + "': must be an object");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<ScenarioConfig> ParseScenarioConfig(const json& document, std::string_view source) {
  auto validated = ScenarioConfigSchema().Validate(document);
  if (!validated.ok()) return validated.status().WithContext(source);
  ScenarioConfig out;
  out.document = std::move(validated).value();
  out.name = out.document["name"];
  out.description = out.document["description"];
  out.seed = out.document["seed"].get<std::uint64_t>();
  auto cohort = ParseCohort(out.document["cohort"]);
  if (!cohort.ok()) return cohort.status().WithContext(source);
  out.cohort = std::move(cohort).value();
  out.federation = out.document["federation"];
  out.dataset = out.document["dataset"];
  out.dataset_kind = out.dataset["kind"];
  if (out.dataset_kind != "mnist" && out.cohort.sites.empty()) {
    return InvalidArgumentError("key 'cohort.sites': at least one site is needed")
        .WithContext(source);
  }
  // A file without a `federation` section only describes a cohort for `generate`; its defaults
  // (min_sites 2) must not refuse a one-site cohort. `pancaim-sim run` checks again.
  if (document.is_object() && document.contains("federation")) {
    if (Status status = CheckFederation(out); !status.ok()) return status.WithContext(source);
  }
  return out;
}

StatusOr<ScenarioConfig> LoadScenarioConfig(const std::filesystem::path& path) {
  PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(path, /*max_bytes=*/16 << 20));
  PANCAIM_ASSIGN_OR_RETURN(json document, config::ParseJson(text, path.string()));
  return ParseScenarioConfig(document, path.string());
}

ScenarioConfig DefaultScenario(int sites, int patients_per_site) {
  PANCAIM_CHECK(sites >= 1 && patients_per_site >= 1)
      << "DefaultScenario(" << sites << ", " << patients_per_site << ")";
  // Heterogeneity cycles through a few plausible hospital profiles.
  const double prevalence[] = {0.5, 0.3, 0.65, 0.4};
  const double thickness[] = {3.0, 5.0, 2.5, 4.0};
  const double scale[] = {1.0, 0.92, 1.06, 0.97};
  const double offset[] = {0.0, 15.0, -10.0, 5.0};
  const double noise[] = {10.0, 18.0, 8.0, 14.0};
  const double hematoxylin[] = {1.0, 1.3, 0.8, 1.1};
  const double eosin[] = {1.0, 0.8, 1.25, 1.1};
  const double missing_slide[] = {0.1, 0.3, 0.2, 0.25};
  const double missing_genomics[] = {0.15, 0.4, 0.25, 0.3};
  json site_list = json::array();
  for (int i = 0; i < sites; ++i) {
    int k = i % 4;
    char name[32];
    std::snprintf(name, sizeof(name), "site-%02d", i + 1);
    site_list.push_back({
        {"name", name},
        {"patients", patients_per_site},
        {"prevalence", prevalence[k]},
        {"ct",
         {{"format", k == 1 ? "dicom" : "nifti"},
          {"slice_thickness_mm", thickness[k]},
          {"intensity_scale", scale[k]},
          {"intensity_offset_hu", offset[k]},
          {"noise_hu", noise[k]}}},
        {"slide", {{"hematoxylin", hematoxylin[k]}, {"eosin", eosin[k]}}},
        {"missing", {{"slide", missing_slide[k]}, {"genomics", missing_genomics[k]}}},
    });
  }
  json document = {{"name", "default"},
                   {"description", "built-in heterogeneous cohort"},
                   {"cohort", {{"sites", site_list}}}};
  auto parsed = ParseScenarioConfig(document, "built-in scenario");
  PANCAIM_CHECK(parsed.ok()) << parsed.status();
  return std::move(parsed).value();
}

}  // namespace pancaim::scenarios
