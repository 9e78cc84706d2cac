#include "pancaim/scenarios/consortium_provisioner.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/files.h"
#include "pancaim/coordinator/coordinator_config.h"
#include "pancaim/crypto/certificate_authority.h"
#include "pancaim/site_data/site_config.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

using nlohmann::json;

ConsortiumPlan TwoSitePlan(const std::filesystem::path& root) {
  ConsortiumPlan plan;
  plan.port = 18443;
  plan.sites = {{"north", root / "cohort/north/manifest.csv"},
                {"south", root / "cohort/south/manifest.csv"}};
  auto spec = RunSpecForFederation(
      {{"model", "clinical_mlp"}, {"rounds", 3}, {"min_sites", 2}, {"strategy", "fedavg"}},
      {"north", "south"}, 7);
  EXPECT_TRUE(spec.ok()) << spec.status();
  plan.run_spec = spec.value();
  return plan;
}

json LoadJson(const std::filesystem::path& path) {
  auto text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return json::parse(text.value());
}

TEST(ConsortiumProvisionerTest, WritesCertificatesAndValidConfigs) {
  testing::TempDir dir;
  auto provisioned = ProvisionConsortium(TwoSitePlan(dir.path()), dir.path() / "consortium");
  ASSERT_TRUE(provisioned.ok()) << provisioned.status();

  auto coordinator =
      config::LoadConfigFile(provisioned->coordinator_config, coordinator::CoordinatorConfigSchema());
  ASSERT_TRUE(coordinator.ok()) << coordinator.status();
  EXPECT_EQ((*coordinator)["server"]["port"], 18443);
  EXPECT_EQ((*coordinator)["operators"]["allowed"][0], "sim-operator");
  EXPECT_EQ((*coordinator)["storage"]["keep_rounds"], 4);  // every round of 3, for per-round export

  // Every certificate carries the right identity and chains to the throwaway CA's index.
  auto coordinator_cert =
      ReadFile((*coordinator)["server"]["tls"]["cert_file"].get<std::string>());
  ASSERT_TRUE(coordinator_cert.ok());
  auto identity = crypto::IdentityFromCertificatePem(coordinator_cert.value());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->role, crypto::Role::kCoordinator);
  auto description = crypto::DescribePem(coordinator_cert.value(), std::chrono::system_clock::now());
  ASSERT_TRUE(description.ok());
  EXPECT_NE(description->find("localhost"), std::string::npos);
  EXPECT_NE(description->find("127.0.0.1"), std::string::npos);

  ASSERT_EQ(provisioned->site_configs.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const json site = LoadJson(provisioned->site_configs[i]);
    auto validated = sitedata::SiteConfigSchema().Validate(site);
    ASSERT_TRUE(validated.ok()) << validated.status();
    auto cert = ReadFile(site["coordinator"]["cert_file"].get<std::string>());
    ASSERT_TRUE(cert.ok());
    auto site_identity = crypto::IdentityFromCertificatePem(cert.value());
    ASSERT_TRUE(site_identity.ok());
    EXPECT_EQ(site_identity->role, crypto::Role::kSite);
    EXPECT_EQ(site_identity->id, i == 0 ? "north" : "south");
    struct stat key_stat = {};
    ASSERT_EQ(::stat(site["coordinator"]["key_file"].get<std::string>().c_str(), &key_stat), 0);
    EXPECT_EQ(key_stat.st_mode & 0777, 0600u);
    EXPECT_EQ(site["coordinator"]["server_name"], "localhost");
    // The site's policy allows exactly the run's model (the agent's default allows none) and
    // rounds of the small synthetic sites.
    EXPECT_EQ(site["policy"]["allowed_models"], json::array({"clinical_mlp"}));
    EXPECT_EQ(site["policy"]["min_patients_per_round"], 5);
    EXPECT_GE(site["policy"]["max_rounds_per_run"].get<int>(), 3);
  }
  const json op = LoadJson(provisioned->operator_config);
  auto op_cert = ReadFile(op["coordinator"]["cert_file"].get<std::string>());
  ASSERT_TRUE(op_cert.ok());
  EXPECT_EQ(crypto::IdentityFromCertificatePem(op_cert.value())->role, crypto::Role::kOperator);
  auto run = coordinator::ValidateRunSpec(LoadJson(provisioned->run_spec));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ((*run)["rounds"], 3);

  auto ca = crypto::CertificateAuthority::Open(provisioned->ca_dir);
  ASSERT_TRUE(ca.ok()) << ca.status();
  EXPECT_EQ((*ca)->List().size(), 4u);  // coordinator, two sites, operator
  EXPECT_TRUE(std::filesystem::exists(provisioned->crl));
}

TEST(ConsortiumProvisionerTest, RefusesSecondProvisioningIntoSameFolder) {
  testing::TempDir dir;
  ASSERT_TRUE(ProvisionConsortium(TwoSitePlan(dir.path()), dir.path() / "c").ok());
  auto again = ProvisionConsortium(TwoSitePlan(dir.path()), dir.path() / "c");
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
}

TEST(ConsortiumProvisionerTest, RefusesBadPlans) {
  testing::TempDir dir;
  ConsortiumPlan plan = TwoSitePlan(dir.path());
  plan.port = 0;
  EXPECT_EQ(ProvisionConsortium(plan, dir.path() / "a").status().code(),
            StatusCode::kInvalidArgument);
  plan = TwoSitePlan(dir.path());
  plan.sites[1].id = "north";
  auto duplicate = ProvisionConsortium(plan, dir.path() / "b");
  EXPECT_NE(duplicate.status().message().find("north"), std::string::npos);
  plan = TwoSitePlan(dir.path());
  plan.sites[0].id = "../evil";
  EXPECT_FALSE(ProvisionConsortium(plan, dir.path() / "c").ok());
  plan = TwoSitePlan(dir.path());
  plan.min_patients_per_round = 0;
  auto no_patients = ProvisionConsortium(plan, dir.path() / "d");
  EXPECT_NE(no_patients.status().message().find("min_patients_per_round"), std::string::npos);
}

TEST(RunSpecForFederationTest, MapsKeysAndRefusesImpossibleSettings) {
  auto spec = RunSpecForFederation({{"rounds", 5}, {"min_sites", 2}, {"sites_per_round", 2},
                                    {"strategy", "trimmed_mean"}, {"trim_fraction", 0.2},
                                    {"local_epochs", 3}, {"round_deadline_s", 30}},
                                   {"a", "b", "c", "d"}, 11);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_DOUBLE_EQ((*spec)["fraction_per_round"].get<double>(), 0.5);
  EXPECT_EQ((*spec)["strategy"]["name"], "trimmed_mean");
  EXPECT_DOUBLE_EQ((*spec)["strategy"]["options"]["trim_fraction"].get<double>(), 0.2);
  EXPECT_EQ((*spec)["training"]["epochs"], 3);
  EXPECT_EQ((*spec)["seed"], 11);

  auto too_many = RunSpecForFederation({{"min_sites", 5}}, {"a", "b"}, 1);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("federation.min_sites"), std::string::npos);
}

}  // namespace
}  // namespace pancaim::scenarios
