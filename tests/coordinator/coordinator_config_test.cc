#include "pancaim/coordinator/coordinator_config.h"

#include <gtest/gtest.h>

namespace pancaim::coordinator {
namespace {

nlohmann::json MinimalConfig() {
  return {{"server",
           {{"tls",
             {{"ca_file", "ca.pem"}, {"cert_file", "c.pem"}, {"key_file", "c.key"}, {"crl_file", "ca.crl"}}}}},
          {"storage", {{"state_dir", "/var/lib/pancaim"}}}};
}

TEST(CoordinatorConfigTest, MinimalConfigGetsDefaults) {
  auto config = CoordinatorConfigSchema().Validate(MinimalConfig());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ((*config)["server"]["port"], 8443);
  EXPECT_EQ((*config)["server"]["max_unauthenticated_connections"], 64);
  EXPECT_EQ((*config)["storage"]["audit_log"], "audit.jsonl");
  EXPECT_EQ((*config)["storage"]["keep_rounds"], 2);
  EXPECT_TRUE((*config)["operators"]["allowed"].is_array());
  EXPECT_EQ((*config)["run_defaults"]["min_sites"], 1);
}

TEST(CoordinatorConfigTest, RefusesUnknownKeysAndBadValues) {
  nlohmann::json config = MinimalConfig();
  config["server"]["prot"] = 1;
  auto typo = CoordinatorConfigSchema().Validate(config);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("server.prot"), std::string::npos);
  config = MinimalConfig();
  config["server"]["port"] = 70000;
  EXPECT_FALSE(CoordinatorConfigSchema().Validate(config).ok());
  config = MinimalConfig();
  config["server"]["tls"].erase("crl_file");
  EXPECT_FALSE(CoordinatorConfigSchema().Validate(config).ok());
}

TEST(CoordinatorConfigTest, EveryKeyIsDocumented) {
  const std::string markdown = CoordinatorConfigSchema().Markdown("coordinator.json") +
                               RunSpecSchema().Markdown("RUN.json");
  for (const char* key : {"listen_address", "crl_grace_seconds", "max_frame_bytes", "heartbeat_interval_seconds",
                          "state_dir", "allowed", "fraction_per_round", "evaluate_every", "learning_rate"}) {
    EXPECT_NE(markdown.find(key), std::string::npos) << key;
  }
  std::function<void(const config::Schema&)> check = [&](const config::Schema& schema) {
    for (const auto& [key, field] : schema.fields()) {
      EXPECT_FALSE(field.doc().empty()) << key;
      if (field.object_schema() != nullptr) check(*field.object_schema());
    }
  };
  check(CoordinatorConfigSchema());
  check(RunSpecSchema());
}

TEST(CoordinatorConfigTest, RunSpecValidatesStrategyOptions) {
  nlohmann::json run = {{"model", {{"name", "pdac_ct_classifier"}}},
                        {"rounds", 5},
                        {"strategy", {{"name", "fedadam"}, {"options", {{"eta", 0.1}}}}}};
  auto valid = ValidateRunSpec(run);
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_EQ((*valid)["strategy"]["options"]["eta"], 0.1);
  EXPECT_EQ((*valid)["strategy"]["options"]["beta2"], 0.99);  // defaults filled in
  EXPECT_EQ((*valid)["training"]["batch_size"], 32);
  EXPECT_EQ((*valid)["fraction_per_round"], 1.0);

  run["strategy"]["options"] = {{"momentum", 0.9}};  // not a FedAdam option
  auto bad = ValidateRunSpec(run);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("momentum"), std::string::npos);
  run.erase("rounds");
  EXPECT_FALSE(ValidateRunSpec(run).ok());
  EXPECT_EQ(ValidateRunSpec({{"model", {{"name", "m"}}}, {"rounds", 1}})->at("strategy")["name"], "fedavg");
}

}  // namespace
}  // namespace pancaim::coordinator
