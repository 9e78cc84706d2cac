// Provisioning of a throwaway consortium for one simulated run: a fresh root CA, then for the
// coordinator, every site and one operator a key generated in that party's own folder, a
// certificate signing request, and the CA's signature on it — the same flow a real consortium
// follows with `pancaim-ca`, through the crypto library. Then the configuration files that point
// at those files: coordinator.json (CoordinatorConfigSchema; every round's checkpoint kept, so
// each round's global model can be exported), one site.json per site
// (SiteConfigSchema), run.json (RunSpecSchema) and operator.json, each validated before writing.
//
// Layout under `out_dir`:
//   pki/ca/                      the CA folder (ca.crt, ca.key, index.json, crl.pem)
//   coordinator/coordinator.{key,crt,json}, coordinator/state/
//   sites/<site>/site.{key,crt,json}
//   operator/operator.{key,crt,json}, operator/run.json
//
// Plain functions over values; no shared state.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::scenarios {

// Who takes part and where they meet.
struct ConsortiumPlan {
  std::string coordinator_id = "sim-coordinator";
  std::string operator_id = "sim-operator";
  std::string listen_address = "127.0.0.1";
  std::string server_name = "localhost";  // DNS name the sites dial; also in the coordinator's SAN
  int port = 0;                           // 1..65535; 0: the caller has not chosen one (refused)
  // Site ids and their manifests (absolute, or relative to the site.json folder).
  struct Site {
    std::string id;
    std::filesystem::path manifest;
    // Further site.json sections (`imaging`, `pathology`, `genomics`, and `site.cache_dir`)
    // merged into the written site.json: how the agent reads its data.
    nlohmann::json data_config = nlohmann::json::object();
  };
  std::vector<Site> sites;
  // The run the operator submits (validated against RunSpecSchema; defaults filled in).
  nlohmann::json run_spec;
  // Every site's local policy (site.json `policy`): the run's model is the only allowed model
  // (the agent's default allows none); synthetic sites are small, so a round may use as few as
  // this many training patients; at least the run's rounds are allowed.
  int min_patients_per_round = 5;  // >= 1
};

// The `policy` section written into every site.json for `plan` (SiteConfigSchema's policy keys).
nlohmann::json SitePolicyFor(const ConsortiumPlan& plan);

// Paths of everything ProvisionConsortium wrote (absolute).
struct ProvisionedConsortium {
  std::filesystem::path ca_dir;
  std::filesystem::path ca_certificate;
  std::filesystem::path crl;
  std::filesystem::path coordinator_config;
  std::filesystem::path operator_config;
  std::filesystem::path run_spec;
  std::vector<std::filesystem::path> site_configs;  // in plan.sites order
};

// Creates the CA, keys, certificates and configuration files under `out_dir` (created). Refuses
// (AlreadyExists) when out_dir/pki/ca already holds a CA: a run provisions a fresh consortium
// into a fresh folder. Errors: InvalidArgument for a bad plan (no sites, duplicate or invalid
// ids, port out of range, a run spec the schema refuses), or the failing file's error.
StatusOr<ProvisionedConsortium> ProvisionConsortium(const ConsortiumPlan& plan,
                                                    const std::filesystem::path& out_dir);

// The run specification for a scenario's `federation` section (validated scenario document
// section) over `site_ids`, mapping scenario keys to RunSpecSchema keys (rounds, min_sites,
// round_deadline_seconds, strategy name and options, training epochs/batch size/learning rate,
// fraction_per_round from sites_per_round). Errors: InvalidArgument naming the key when the
// result is not a valid run spec (e.g. min_sites above the number of sites).
StatusOr<nlohmann::json> RunSpecForFederation(const nlohmann::json& federation,
                                              const std::vector<std::string>& site_ids,
                                              std::uint64_t seed);

}  // namespace pancaim::scenarios
