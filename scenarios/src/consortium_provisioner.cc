#include "pancaim/scenarios/consortium_provisioner.h"

#include <algorithm>
#include <set>
#include <system_error>

#include "pancaim/common/files.h"
#include "pancaim/coordinator/coordinator_config.h"
#include "pancaim/crypto/certificate_authority.h"
#include "pancaim/site_data/site_config.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One party's key (generated here, written 0600 in its own folder) and its signed certificate.
struct PartyFiles {
  fs::path key;
  fs::path certificate;
};

StatusOr<PartyFiles> IssueParty(crypto::CertificateAuthority& ca, crypto::Role role,
                                const std::string& id, std::vector<std::string> dns_names,
                                const fs::path& dir, const std::string& stem) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir.string() + ": " + ec.message());
  crypto::RequestOptions request;
  request.role = role;
  request.id = id;
  request.dns_names = std::move(dns_names);
  PANCAIM_ASSIGN_OR_RETURN(crypto::KeyAndRequest key_and_request,
                           crypto::CreateKeyAndRequest(request));
  PartyFiles files{dir / (stem + ".key"), dir / (stem + ".crt")};
  PANCAIM_RETURN_IF_ERROR(crypto::WritePrivateFile(files.key, key_and_request.private_key_pem));
  // Only the CSR travels to the CA, as between real parties.
  PANCAIM_ASSIGN_OR_RETURN(crypto::IssuedCertificate issued, ca.Sign(key_and_request.request_pem));
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(files.certificate, issued.certificate_pem));
  return files;
}

// Validates `document` against `schema` and writes it (pretty-printed) to `path`.
Status WriteValidated(const config::Schema& schema, const json& document, const fs::path& path) {
  auto validated = schema.Validate(document);
  if (!validated.ok()) return validated.status().WithContext(path.string());
  return WriteFileAtomic(path, document.dump(2) + "\n");
}

Status CheckPlan(const ConsortiumPlan& plan) {
  if (plan.sites.empty()) return InvalidArgumentError("consortium plan: no sites");
  if (plan.min_patients_per_round < 1) {
    return InvalidArgumentError("consortium plan: min_patients_per_round " +
                                std::to_string(plan.min_patients_per_round) + " is below 1");
  }
  if (plan.port < 1 || plan.port > 65535) {
    return InvalidArgumentError("consortium plan: port " + std::to_string(plan.port) +
                                " is not in 1..65535");
  }
  std::set<std::string> ids = {plan.coordinator_id, plan.operator_id};
  PANCAIM_RETURN_IF_ERROR(crypto::ValidateIdentityName(plan.coordinator_id));
  PANCAIM_RETURN_IF_ERROR(crypto::ValidateIdentityName(plan.operator_id));
  for (const auto& site : plan.sites) {
    PANCAIM_RETURN_IF_ERROR(crypto::ValidateIdentityName(site.id));
    if (!ids.insert(site.id).second) {
      return InvalidArgumentError("consortium plan: identity '" + site.id + "' is used twice");
    }
  }
  return Status::Ok();
}

json TlsClientSection(const ConsortiumPlan& plan, const fs::path& ca, const fs::path& crl,
                      const PartyFiles& party) {
  return {{"address", plan.listen_address}, {"port", plan.port},
          {"server_name", plan.server_name},  {"ca_file", ca.string()},
          {"cert_file", party.certificate.string()}, {"key_file", party.key.string()},
          {"crl_file", crl.string()}};
}

}  // namespace

json SitePolicyFor(const ConsortiumPlan& plan) {
  json allowed = json::array();
  const json* model = plan.run_spec.is_object() && plan.run_spec.contains("model")
                          ? &plan.run_spec["model"]
                          : nullptr;
  if (model != nullptr && model->is_object() && model->contains("name") &&
      (*model)["name"].is_string()) {
    allowed.push_back((*model)["name"]);
  }
  const int rounds = plan.run_spec.is_object() ? plan.run_spec.value("rounds", 100) : 100;
  return {{"allowed_models", allowed},
          {"min_patients_per_round", plan.min_patients_per_round},
          // A retried round counts again at the site: leave room for retries.
          {"max_rounds_per_run", std::max(100, 2 * rounds)}};
}

StatusOr<ProvisionedConsortium> ProvisionConsortium(const ConsortiumPlan& plan,
                                                    const fs::path& out_dir) {
  PANCAIM_RETURN_IF_ERROR(CheckPlan(plan));
  auto run_spec = coordinator::ValidateRunSpec(plan.run_spec);
  if (!run_spec.ok()) return run_spec.status().WithContext("run spec");
  const fs::path root = fs::absolute(out_dir);
  ProvisionedConsortium out;
  out.ca_dir = root / "pki" / "ca";
  PANCAIM_ASSIGN_OR_RETURN(auto ca, crypto::CertificateAuthority::Init(out.ca_dir, {}));
  out.ca_certificate = ca->ca_certificate_path();

  const fs::path coordinator_dir = root / "coordinator";
  PANCAIM_ASSIGN_OR_RETURN(
      PartyFiles coordinator,
      IssueParty(*ca, crypto::Role::kCoordinator, plan.coordinator_id,
                 {plan.server_name, plan.listen_address}, coordinator_dir, "coordinator"));
  std::vector<PartyFiles> sites;
  for (const auto& site : plan.sites) {
    PANCAIM_ASSIGN_OR_RETURN(PartyFiles files, IssueParty(*ca, crypto::Role::kSite, site.id, {},
                                                          root / "sites" / site.id, "site"));
    sites.push_back(std::move(files));
  }
  const fs::path operator_dir = root / "operator";
  PANCAIM_ASSIGN_OR_RETURN(PartyFiles operator_files,
                           IssueParty(*ca, crypto::Role::kOperator, plan.operator_id, {},
                                      operator_dir, "operator"));
  PANCAIM_RETURN_IF_ERROR(ca->GenerateCrl().status());
  out.crl = ca->crl_path();

  const json coordinator_config = {
      {"server",
       {{"listen_address", plan.listen_address},
        {"port", plan.port},
        {"tls",
         {{"ca_file", out.ca_certificate.string()},
          {"cert_file", coordinator.certificate.string()},
          {"key_file", coordinator.key.string()},
          {"crl_file", out.crl.string()}}}}},
      // Every round's checkpoint is kept: the simulation exports and scores each round's model.
      {"storage",
       {{"state_dir", (coordinator_dir / "state").string()},
        {"keep_rounds", std::max(2, run_spec.value().value("rounds", 1) + 1)}}},
      {"operators", {{"allowed", json::array({plan.operator_id})}}}};
  out.coordinator_config = coordinator_dir / "coordinator.json";
  PANCAIM_RETURN_IF_ERROR(WriteValidated(coordinator::CoordinatorConfigSchema(),
                                         coordinator_config, out.coordinator_config));

  for (std::size_t i = 0; i < plan.sites.size(); ++i) {
    const fs::path dir = root / "sites" / plan.sites[i].id;
    json site_config = plan.sites[i].data_config.is_object() ? plan.sites[i].data_config
                                                               : json::object();
    site_config["site"]["id"] = plan.sites[i].id;
    site_config["site"]["manifest"] = plan.sites[i].manifest.string();
    if (!site_config["site"].contains("cache_dir")) {
      site_config["site"]["cache_dir"] = (dir / "cache").string();
    }
    site_config["coordinator"] = TlsClientSection(plan, out.ca_certificate, out.crl, sites[i]);
    site_config["policy"] = SitePolicyFor(plan);
    out.site_configs.push_back(dir / "site.json");
    PANCAIM_RETURN_IF_ERROR(
        WriteValidated(sitedata::SiteConfigSchema(), site_config, out.site_configs.back()));
  }

  // No schema exists yet for the operator's client settings (`pancaim-coordinator submit` is not
  // written); the keys mirror the site's coordinator section so the same TLS code can read them.
  json operator_config = {
      {"operator", plan.operator_id},
      {"coordinator", TlsClientSection(plan, out.ca_certificate, out.crl, operator_files)}};
  out.operator_config = operator_dir / "operator.json";
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(out.operator_config, operator_config.dump(2) + "\n"));
  out.run_spec = operator_dir / "run.json";
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(out.run_spec, run_spec.value().dump(2) + "\n"));
  return out;
}

StatusOr<json> RunSpecForFederation(const json& federation, const std::vector<std::string>& site_ids,
                                    std::uint64_t seed) {
  if (site_ids.empty()) return InvalidArgumentError("federation: no sites");
  const int site_count = static_cast<int>(site_ids.size());
  const int min_sites = federation.value("min_sites", 1);
  if (min_sites > site_count) {
    return InvalidArgumentError("key 'federation.min_sites': " + std::to_string(min_sites) +
                                " is more than the " + std::to_string(site_count) + " sites");
  }
  const int per_round = federation.value("sites_per_round", 0);
  if (per_round > site_count) {
    return InvalidArgumentError("key 'federation.sites_per_round': " + std::to_string(per_round) +
                                " is more than the " + std::to_string(site_count) + " sites");
  }
  if (per_round > 0 && per_round < min_sites) {
    return InvalidArgumentError("key 'federation.sites_per_round': " + std::to_string(per_round) +
                                " is below min_sites " + std::to_string(min_sites));
  }
  const std::string strategy = federation.value("strategy", "fedavg");
  json options = json::object();
  if (strategy == "fedprox") options["mu"] = federation.value("fedprox_mu", 0.01);
  if (strategy == "fedadam" || strategy == "fedyogi") {
    options["eta"] = federation.value("server_learning_rate", 1.0);
  }
  if (strategy == "trimmed_mean") options["trim_fraction"] = federation.value("trim_fraction", 0.1);
  const json spec = {
      {"name", federation.value("name", std::string("simulation"))},
      {"model",
       {{"name", federation.value("model", "clinical_mlp")},
        {"config", federation.value("model_options", json::object())}}},
      {"rounds", federation.value("rounds", 10)},
      {"sites", site_ids},
      {"fraction_per_round",
       per_round == 0 ? 1.0 : static_cast<double>(per_round) / site_count},
      {"min_sites", min_sites},
      {"round_deadline_seconds", federation.value("round_deadline_s", 600)},
      {"strategy", {{"name", strategy}, {"options", options}}},
      {"evaluate_every", federation.value("evaluate_every", 1)},
      {"seed", seed},
      {"training",
       {{"epochs", federation.value("local_epochs", 1)},
        {"batch_size", federation.value("batch_size", 16)},
        {"learning_rate", federation.value("learning_rate", 1e-3)},
        {"optimizer", federation.value("optimizer", std::string("adam"))}}}};
  auto validated = coordinator::ValidateRunSpec(spec);
  if (!validated.ok()) return validated.status().WithContext("run spec from federation");
  return validated;
}

}  // namespace pancaim::scenarios
