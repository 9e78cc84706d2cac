#include "pancaim/coordinator/strategy_spec.h"

#include <gtest/gtest.h>

namespace pancaim::coordinator {
namespace {

TEST(StrategySpecTest, EveryNameParsesWithDefaults) {
  for (const std::string& name : StrategyNames()) {
    auto spec = ParseStrategySpec(name, nullptr);
    ASSERT_TRUE(spec.ok()) << name << ": " << spec.status();
    EXPECT_EQ(spec->name, name);
    EXPECT_EQ(spec->clip_norm, 0);
    EXPECT_EQ(spec->options["buffer_suffixes"].size(), 2u);
  }
}

TEST(StrategySpecTest, DefaultsAndKinds) {
  auto adam = *ParseStrategySpec("fedadam", {});
  EXPECT_EQ(adam.optimizer, ServerOptimizerKind::kAdam);
  EXPECT_EQ(adam.reducer, ReducerKind::kWeightedMean);
  EXPECT_DOUBLE_EQ(adam.eta, 0.01);
  EXPECT_DOUBLE_EQ(adam.beta1, 0.9);
  EXPECT_DOUBLE_EQ(adam.beta2, 0.99);
  EXPECT_DOUBLE_EQ(adam.tau, 1e-3);
  auto momentum = *ParseStrategySpec("fedavgm", {{"momentum", 0.5}});
  EXPECT_EQ(momentum.optimizer, ServerOptimizerKind::kMomentum);
  EXPECT_DOUBLE_EQ(momentum.momentum, 0.5);
  EXPECT_DOUBLE_EQ(momentum.eta, 1.0);
  auto trimmed = *ParseStrategySpec("trimmed_mean", {{"max_in_memory_mb", 1}});
  EXPECT_EQ(trimmed.reducer, ReducerKind::kTrimmedMean);
  EXPECT_EQ(trimmed.max_in_memory_bytes, 1u << 20);
  EXPECT_DOUBLE_EQ(trimmed.trim_fraction, 0.1);
  EXPECT_TRUE(ParseStrategySpec("fedavg", {{"accumulator", "float64"}})->accumulate_float64);
}

TEST(StrategySpecTest, FedProxSendsMuToSites) {
  auto prox = *ParseStrategySpec("fedprox", {{"mu", 0.1}});
  EXPECT_EQ(prox.optimizer, ServerOptimizerKind::kReplace);
  EXPECT_EQ(prox.RoundConfigForSites(), (nlohmann::json{{"proximal_mu", 0.1}}));
  EXPECT_TRUE(ParseStrategySpec("fedavg", {})->RoundConfigForSites().empty());
}

TEST(StrategySpecTest, RefusesUnknownNamesOptionsAndRanges) {
  auto unknown = ParseStrategySpec("fedsgd", {});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("fedadam"), std::string::npos);
  // beta2 does not apply to FedAdagrad, mu only to FedProx.
  auto misplaced = ParseStrategySpec("fedadagrad", {{"beta2", 0.9}});
  EXPECT_FALSE(misplaced.ok());
  EXPECT_NE(misplaced.status().message().find("strategy.options.beta2"), std::string::npos);
  EXPECT_FALSE(ParseStrategySpec("fedavg", {{"mu", 0.1}}).ok());
  EXPECT_FALSE(ParseStrategySpec("fedadam", {{"beta1", 1.5}}).ok());
  EXPECT_FALSE(ParseStrategySpec("trimmed_mean", {{"trim_fraction", 0.5}}).ok());
  EXPECT_FALSE(ParseStrategySpec("fedavg", {{"clip_norm", -1}}).ok());
  EXPECT_FALSE(ParseStrategySpec("fedavg", {{"accumulator", "float16"}}).ok());
  EXPECT_FALSE(ParseStrategySpec("fedavg", nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace pancaim::coordinator
