#include "pancaim/coordinator/aggregator.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

#include "test_models.h"

namespace pancaim::coordinator {
namespace {

using protocol::DType;
using testing::MakeModel;
using testing::MakeModelBytes;
using testing::RandomModel;
using testing::ReadTensor;
using testing::TestTensor;

StrategySpec Spec(const std::string& name, nlohmann::json options = nlohmann::json::object()) {
  auto spec = ParseStrategySpec(name, options);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

struct Update {
  std::string bytes;
  double count;
};

// Runs one round of `aggregator` over `global` with `updates` in the given order.
std::shared_ptr<const SafetensorsBuffer> RunRound(Aggregator& aggregator,
                                                  std::shared_ptr<const SafetensorsBuffer> global,
                                                  const std::vector<Update>& updates) {
  EXPECT_TRUE(aggregator.BeginRound(global).ok());
  for (std::size_t i = 0; i < updates.size(); ++i) {
    auto view = protocol::SafetensorsView::Parse(updates[i].bytes);
    EXPECT_TRUE(view.ok()) << view.status();
    auto checked = ValidateUpdate(aggregator.layout(), global->view(), *view,
                                  "site-" + std::to_string(i), updates[i].count,
                                  aggregator.validation_options());
    EXPECT_TRUE(checked.ok()) << checked.status();
    EXPECT_TRUE(aggregator.Fold(*checked).ok());
  }
  auto next = aggregator.FinishRound();
  EXPECT_TRUE(next.ok()) << next.status();
  return std::make_shared<const SafetensorsBuffer>(std::move(next).value());
}

std::unique_ptr<Aggregator> Make(const StrategySpec& spec) {
  auto aggregator = Aggregator::Create(spec, ::testing::TempDir() + "/spill");
  EXPECT_TRUE(aggregator.ok());
  return std::move(aggregator).value();
}

TEST(AggregatorTest, FedAvgMatchesHandComputedResult) {
  auto global = MakeModel({{"w", DType::kF32, {2}, {1, 2}}});
  std::vector<Update> updates = {{MakeModelBytes({{"w", DType::kF32, {2}, {3, 4}}}), 1},
                                 {MakeModelBytes({{"w", DType::kF32, {2}, {5, 8}}}), 3}};
  auto aggregator = Make(Spec("fedavg"));
  auto next = RunRound(*aggregator, global, updates);
  // (1*3 + 3*5) / 4 = 4.5, (1*4 + 3*8) / 4 = 7.
  EXPECT_EQ(ReadTensor(next->view(), "w"), (std::vector<double>{4.5, 7.0}));
  EXPECT_EQ(aggregator->folded_updates(), 2);
  EXPECT_EQ(aggregator->folded_weight(), 4);
}

// Reference: sample-weighted mean of every float tensor, summed in double in the given order.
std::vector<double> WeightedMean(const std::vector<Update>& updates, const std::string& name) {
  std::vector<double> sum;
  double weight = 0;
  for (const Update& u : updates) {
    auto view = protocol::SafetensorsView::Parse(u.bytes);
    std::vector<double> x = ReadTensor(*view, name);
    sum.resize(x.size(), 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) sum[i] += u.count * x[i];
    weight += u.count;
  }
  for (double& v : sum) v /= weight;
  return sum;
}

std::vector<Update> RandomUpdates(std::mt19937_64& rng, int count, double center = 0) {
  std::vector<Update> updates;
  std::uniform_int_distribution<int> samples(1, 500);
  for (int i = 0; i < count; ++i) {
    updates.push_back({MakeModelBytes(RandomModel(rng, center, 1, 10 + i)), double(samples(rng))});
  }
  return updates;
}

TEST(AggregatorTest, StreamingEqualsAllAtOnce) {
  std::mt19937_64 rng(7);
  auto global = MakeModel(RandomModel(rng));
  std::vector<Update> updates = RandomUpdates(rng, 9);
  for (bool f64 : {false, true}) {
    auto aggregator = Make(Spec("fedavg", {{"accumulator", f64 ? "float64" : "float32"}}));
    auto next = RunRound(*aggregator, global, updates);
    for (const char* name : {"conv.weight", "conv.bias", "bn.running_mean", "head.weight"}) {
      std::vector<double> expected = WeightedMean(updates, name);
      std::vector<double> got = ReadTensor(next->view(), name);
      ASSERT_EQ(got.size(), expected.size());
      const bool is_f32 = std::string(name) != "head.weight";
      for (std::size_t i = 0; i < got.size(); ++i) {
        const double rounded = is_f32 ? double(float(expected[i])) : expected[i];
        if (f64) {
          // Same order, same double arithmetic: the same bits.
          EXPECT_EQ(got[i], rounded) << name << "[" << i << "]";
        } else {
          EXPECT_NEAR(got[i], expected[i], 1e-5 * (1 + std::abs(expected[i]))) << name;
        }
      }
    }
  }
  // Arrival order does not matter beyond rounding.
  std::vector<Update> reversed(updates.rbegin(), updates.rend());
  auto a = RunRound(*Make(Spec("fedavg")), global, updates);
  auto b = RunRound(*Make(Spec("fedavg")), global, reversed);
  std::vector<double> wa = ReadTensor(a->view(), "conv.weight");
  std::vector<double> wb = ReadTensor(b->view(), "conv.weight");
  for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_NEAR(wa[i], wb[i], 1e-5 * (1 + std::abs(wa[i])));
}

TEST(AggregatorTest, BufferRule) {
  std::mt19937_64 rng(11);
  auto global = MakeModel(RandomModel(rng, 0, 1, /*counter=*/100));
  std::vector<Update> updates = {{MakeModelBytes(RandomModel(rng, 0, 1, 130)), 10},
                                 {MakeModelBytes(RandomModel(rng, 0, 1, 170)), 30},
                                 {MakeModelBytes(RandomModel(rng, 0, 1, 120)), 20}};
  // FedAdam moves parameters, but buffers take the weighted mean and counters the max.
  auto aggregator = Make(Spec("fedadam"));
  auto next = RunRound(*aggregator, global, updates);
  EXPECT_EQ(ReadTensor(next->view(), "bn.num_batches_tracked"), std::vector<double>{170});
  for (const char* name : {"bn.running_mean", "bn.running_var"}) {
    std::vector<double> expected = WeightedMean(updates, name);
    std::vector<double> got = ReadTensor(next->view(), name);
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], expected[i], 1e-6) << name;
    }
  }
  // Parameters did move by the optimiser, not to the mean.
  std::vector<double> mean = WeightedMean(updates, "conv.weight");
  std::vector<double> got = ReadTensor(next->view(), "conv.weight");
  EXPECT_GT(std::abs(got[0] - mean[0]), 1e-3);

  // The same with median: the counter is still the max, the buffers the median.
  auto median = Make(Spec("median"));
  auto robust = RunRound(*median, global, updates);
  EXPECT_EQ(ReadTensor(robust->view(), "bn.num_batches_tracked"), std::vector<double>{170});
}

TEST(AggregatorTest, BuffersAreNotClipped) {
  auto global = MakeModel({{"w", DType::kF32, {2}, {0, 0}}, {"bn.running_mean", DType::kF32, {1}, {0}}});
  std::vector<Update> updates = {
      {MakeModelBytes({{"w", DType::kF32, {2}, {30, 40}}, {"bn.running_mean", DType::kF32, {1}, {9}}}),
       1}};
  auto next = RunRound(*Make(Spec("fedavg", {{"clip_norm", 5.0}})), global, updates);
  // Delta norm 50 clipped to 5: scale 0.1. The buffer keeps its value.
  std::vector<double> w = ReadTensor(next->view(), "w");
  EXPECT_NEAR(w[0], 3.0, 1e-6);
  EXPECT_NEAR(w[1], 4.0, 1e-6);
  EXPECT_EQ(ReadTensor(next->view(), "bn.running_mean"), std::vector<double>{9});
}

TEST(AggregatorTest, ClippingMatchesExplicitlyClippedUpdates) {
  std::mt19937_64 rng(5);
  auto global_values = RandomModel(rng);
  auto global = MakeModel(global_values);
  std::vector<Update> updates = RandomUpdates(rng, 4, /*center=*/0.5);
  const double clip = 2.0;
  auto next = RunRound(*Make(Spec("fedavg", {{"clip_norm", clip}, {"accumulator", "float64"}})),
                       global, updates);
  // Reference: clip each update explicitly (norm over parameter tensors), then weighted mean.
  const std::vector<std::string> params = {"conv.bias", "conv.weight", "head.weight"};
  std::vector<double> scale;
  for (const Update& u : updates) {
    auto view = protocol::SafetensorsView::Parse(u.bytes);
    double sq = 0;
    for (const auto& name : params) {
      auto x = ReadTensor(*view, name);
      auto g = ReadTensor(global->view(), name);
      for (std::size_t i = 0; i < x.size(); ++i) sq += (x[i] - g[i]) * (x[i] - g[i]);
    }
    scale.push_back(std::min(1.0, clip / std::sqrt(sq)));
  }
  for (const auto& name : params) {
    auto g = ReadTensor(global->view(), name);
    std::vector<double> sum(g.size(), 0.0);
    double weight = 0;
    for (std::size_t u = 0; u < updates.size(); ++u) {
      auto x = ReadTensor(*protocol::SafetensorsView::Parse(updates[u].bytes), name);
      for (std::size_t i = 0; i < x.size(); ++i) {
        sum[i] += updates[u].count * (g[i] + scale[u] * (x[i] - g[i]));
      }
      weight += updates[u].count;
    }
    auto got = ReadTensor(next->view(), name);
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], sum[i] / weight, 1e-5) << name << "[" << i << "]";
    }
  }
  EXPECT_LT(scale[0], 1.0);  // the test does exercise clipping
}

// Reference server optimisers: plain per-element loops over the parameter, state kept in T like
// the implementation (so rounding of the stored state matches).
template <typename T>
struct ReferenceOptimizer {
  std::string kind;
  double eta, b1, b2, tau, mu;
  std::vector<T> m, v;
  void Step(std::vector<double>& x, const std::vector<double>& mean) {
    if (m.empty()) {
      m.assign(x.size(), T(0));
      v.assign(x.size(), T(tau * tau));
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double delta = mean[i] - x[i];
      if (kind == "fedavgm") {
        m[i] = T(mu * m[i] + (x[i] - mean[i]));
        x[i] = double(T(x[i] - eta * m[i]));
        continue;
      }
      m[i] = T(b1 * m[i] + (1 - b1) * delta);
      const double vd = v[i];
      if (kind == "fedadam") v[i] = T(b2 * vd + (1 - b2) * delta * delta);
      if (kind == "fedyogi") {
        const double s = (vd - delta * delta) > 0 ? 1 : ((vd - delta * delta) < 0 ? -1 : 0);
        v[i] = T(vd - (1 - b2) * delta * delta * s);
      }
      if (kind == "fedadagrad") v[i] = T(vd + delta * delta);
      x[i] = double(T(x[i] + eta * double(m[i]) / (std::sqrt(double(v[i])) + tau)));
    }
  }
};

TEST(AggregatorTest, ServerOptimizersMatchReferenceLoops) {
  for (const std::string kind : {"fedavgm", "fedadam", "fedyogi", "fedadagrad"}) {
    SCOPED_TRACE(kind);
    std::mt19937_64 rng(21);
    nlohmann::json options = kind == "fedavgm" ? nlohmann::json{{"eta", 0.7}, {"momentum", 0.8}}
                                               : nlohmann::json{{"eta", 0.05}, {"tau", 0.01}};
    options["accumulator"] = "float64";
    auto spec = Spec(kind, options);
    auto aggregator = Make(spec);
    auto global = MakeModel(RandomModel(rng));
    ReferenceOptimizer<float> ref32{kind, spec.eta, spec.beta1, spec.beta2, spec.tau, spec.momentum, {}, {}};
    ReferenceOptimizer<double> ref64{kind, spec.eta, spec.beta1, spec.beta2, spec.tau, spec.momentum, {}, {}};
    std::vector<double> x32 = ReadTensor(global->view(), "conv.weight");
    std::vector<double> x64 = ReadTensor(global->view(), "head.weight");
    for (int round = 0; round < 4; ++round) {
      std::vector<Update> updates = RandomUpdates(rng, 3, 0.1 * round);
      // The reference mean starts from the same float32 rounding as the implementation.
      std::vector<double> mean32 = WeightedMean(updates, "conv.weight");
      for (double& value : mean32) value = float(value);
      ref32.Step(x32, mean32);
      ref64.Step(x64, WeightedMean(updates, "head.weight"));
      global = RunRound(*aggregator, global, updates);
      std::vector<double> got32 = ReadTensor(global->view(), "conv.weight");
      std::vector<double> got64 = ReadTensor(global->view(), "head.weight");
      for (std::size_t i = 0; i < got32.size(); ++i) {
        EXPECT_NEAR(got32[i], x32[i], 1e-5 * (1 + std::abs(x32[i]))) << "round " << round;
      }
      for (std::size_t i = 0; i < got64.size(); ++i) {
        EXPECT_NEAR(got64[i], x64[i], 1e-12 * (1 + std::abs(x64[i]))) << "round " << round;
      }
      x32 = got32;  // continue from the implementation's bits so rounding does not drift
      x64 = got64;
    }
  }
}

TEST(AggregatorTest, FedAvgMWithZeroMomentumAndUnitRateIsFedAvg) {
  std::mt19937_64 rng(3);
  auto global = MakeModel(RandomModel(rng));
  std::vector<Update> updates = RandomUpdates(rng, 3);
  auto a = RunRound(*Make(Spec("fedavg")), global, updates);
  auto b = RunRound(*Make(Spec("fedavgm", {{"eta", 1.0}, {"momentum", 0.0}})), global, updates);
  auto wa = ReadTensor(a->view(), "conv.weight"), wb = ReadTensor(b->view(), "conv.weight");
  for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_NEAR(wa[i], wb[i], 1e-6);
}

// Reference coordinate-wise median / trimmed mean: sort each coordinate's values.
std::vector<double> RobustReference(const std::vector<Update>& updates, const std::string& name,
                                    bool median, double trim) {
  std::vector<std::vector<double>> columns;
  for (const Update& u : updates) {
    auto x = ReadTensor(*protocol::SafetensorsView::Parse(u.bytes), name);
    columns.resize(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) columns[i].push_back(x[i]);
  }
  std::vector<double> out;
  for (auto& column : columns) {
    std::sort(column.begin(), column.end());
    const std::size_t k = column.size();
    if (median) {
      out.push_back(k % 2 ? column[k / 2] : (column[k / 2 - 1] + column[k / 2]) / 2);
    } else {
      const std::size_t drop = std::size_t(trim * k);
      double sum = 0;
      for (std::size_t i = drop; i < k - drop; ++i) sum += column[i];
      out.push_back(sum / double(k - 2 * drop));
    }
  }
  return out;
}

TEST(AggregatorTest, MedianAndTrimmedMeanMatchReferenceInMemoryAndSpilled) {
  std::mt19937_64 rng(13);
  auto global = MakeModel(RandomModel(rng));
  for (int count : {5, 6}) {
    std::vector<Update> updates = RandomUpdates(rng, count);
    for (int spill_limit_mb : {4096, 0}) {  // 0: every update goes to a spill file
      for (const std::string name : {"median", "trimmed_mean"}) {
        SCOPED_TRACE(name + " k=" + std::to_string(count) + " limit=" + std::to_string(spill_limit_mb));
        nlohmann::json options = {{"max_in_memory_mb", spill_limit_mb}};
        if (name == "trimmed_mean") options["trim_fraction"] = 0.2;
        auto next = RunRound(*Make(Spec(name, options)), global, updates);
        for (const char* tensor : {"conv.weight", "bn.running_var", "head.weight"}) {
          auto expected = RobustReference(updates, tensor, name == "median", 0.2);
          auto got = ReadTensor(next->view(), tensor);
          for (std::size_t i = 0; i < got.size(); ++i) {
            const double want = std::string(tensor) == "head.weight" ? expected[i] : float(expected[i]);
            EXPECT_EQ(got[i], want) << tensor << "[" << i << "]";
          }
        }
      }
    }
  }
}

TEST(AggregatorTest, MedianAndTrimmedMeanResistAnOutlierSite) {
  auto global = MakeModel({{"w", DType::kF32, {3}, {1, 1, 1}}});
  std::vector<Update> updates;
  for (double v : {1.0, 1.1, 0.9, 1.05}) {
    updates.push_back({MakeModelBytes({{"w", DType::kF32, {3}, {v, v, v}}}), 100});
  }
  // The attacker claims a huge sample count and sends huge weights.
  updates.push_back({MakeModelBytes({{"w", DType::kF32, {3}, {1e6, -1e6, 1e6}}}), 1e6});
  auto mean = RunRound(*Make(Spec("fedavg")), global, updates);
  EXPECT_GT(std::abs(ReadTensor(mean->view(), "w")[0]), 1e5);  // FedAvg is taken over
  for (const std::string name : {"median", "trimmed_mean"}) {
    auto next = RunRound(*Make(Spec(name, name == "trimmed_mean" ? nlohmann::json{{"trim_fraction", 0.2}}
                                                                 : nlohmann::json::object())),
                         global, updates);
    for (double w : ReadTensor(next->view(), "w")) {
      EXPECT_GE(w, 0.9) << name;
      EXPECT_LE(w, 1.1) << name;
    }
  }
}

TEST(AggregatorTest, SpillFailureLeavesTheRoundUntouched) {
  // The spill folder cannot be created (its parent is a file): the second update cannot be
  // stashed, Fold reports it, and the round still holds exactly the first update.
  const std::filesystem::path blocker = std::filesystem::path(::testing::TempDir()) / "spill_blocker";
  { std::ofstream(blocker) << "x"; }
  auto aggregator = std::move(Aggregator::Create(Spec("median", {{"max_in_memory_mb", 0}}),
                                                 blocker / "spill"))
                        .value();
  auto global = MakeModel({{"w", DType::kF32, {2}, {0, 0}}});
  ASSERT_TRUE(aggregator->BeginRound(global).ok());
  const std::string bytes = MakeModelBytes({{"w", DType::kF32, {2}, {1, 2}}});
  auto view = protocol::SafetensorsView::Parse(bytes);
  auto checked = ValidateUpdate(aggregator->layout(), global->view(), *view, "a", 1);
  ASSERT_TRUE(checked.ok());
  Status folded = aggregator->Fold(*checked);
  EXPECT_EQ(folded.code(), StatusCode::kUnavailable) << folded;
  EXPECT_NE(folded.message().find("spill"), std::string::npos);
  EXPECT_EQ(aggregator->folded_updates(), 0);
  EXPECT_EQ(aggregator->FinishRound().status().code(), StatusCode::kFailedPrecondition);
}

TEST(AggregatorTest, StateSurvivesSaveAndLoad) {
  std::mt19937_64 rng(17);
  auto global = MakeModel(RandomModel(rng));
  std::vector<std::vector<Update>> rounds;
  for (int r = 0; r < 4; ++r) rounds.push_back(RandomUpdates(rng, 3, 0.2 * r));

  auto straight = Make(Spec("fedyogi"));
  auto a = global;
  for (const auto& updates : rounds) a = RunRound(*straight, a, updates);

  auto first = Make(Spec("fedyogi"));
  auto b = global;
  for (int r = 0; r < 2; ++r) b = RunRound(*first, b, rounds[r]);
  auto state = first->SaveState();
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->tensors.empty());
  EXPECT_EQ(state->scalars["steps"], 2);
  auto second = Make(Spec("fedyogi"));
  ASSERT_TRUE(second->LoadState(*state).ok());
  for (int r = 2; r < 4; ++r) b = RunRound(*second, b, rounds[r]);
  EXPECT_EQ(a->bytes(), b->bytes());

  // State of another strategy is refused.
  auto other = Make(Spec("fedadam"));
  EXPECT_EQ(other->LoadState(*state).code(), StatusCode::kDataLoss);
}

// ---- ValidateAndFold: checking and folding in one pass over an owned payload ----------------

// An all-float32 model (the in-place path) whose big tensor spans several 2048-element blocks of
// that pass and ends in a partial one whose length is not a multiple of 4.
std::vector<TestTensor> Float32Model(std::mt19937_64& rng, double center = 0,
                                     std::int64_t counter = 10) {
  std::normal_distribution<double> normal(center, 1);
  auto values = [&](std::size_t n) {
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<float>(normal(rng));
    return v;
  };
  return {{"bn.num_batches_tracked", DType::kI64, {}, {static_cast<double>(counter)}},
          {"bn.running_mean", DType::kF32, {3}, values(3)},
          {"big.weight", DType::kF32, {3, 3001}, values(9003)},
          {"conv.bias", DType::kF32, {5}, values(5)}};
}

// One round's new global model bytes, folding through ValidateAndFold (each update on its own
// copy of the bytes, as a transport would hand it over) or ValidateUpdate + Fold; the delta norms
// returned or computed go to `norms`.
std::string RoundBytes(const StrategySpec& spec, std::shared_ptr<const SafetensorsBuffer> global,
                       const std::vector<Update>& updates, bool in_place, double max_norm,
                       std::vector<double>* norms) {
  auto aggregator = Make(spec);
  EXPECT_TRUE(aggregator->BeginRound(global).ok());
  for (std::size_t i = 0; i < updates.size(); ++i) {
    std::string payload = updates[i].bytes;
    auto view = protocol::SafetensorsView::Parse(payload);
    EXPECT_TRUE(view.ok()) << view.status();
    const std::string site = "site-" + std::to_string(i);
    if (in_place) {
      auto norm = aggregator->ValidateAndFold(payload, *view, site, updates[i].count, max_norm);
      EXPECT_TRUE(norm.ok()) << norm.status();
      norms->push_back(norm.ok() ? *norm : -2);
    } else {
      auto checked = ValidateUpdate(aggregator->layout(), global->view(), *view, site,
                                    updates[i].count, aggregator->validation_options(max_norm));
      EXPECT_TRUE(checked.ok()) << checked.status();
      if (!checked.ok()) return "";
      norms->push_back(checked->delta_l2_norm());
      EXPECT_TRUE(aggregator->Fold(*checked).ok());
    }
  }
  auto next = aggregator->FinishRound();
  EXPECT_TRUE(next.ok()) << next.status();
  return next.ok() ? next->bytes() : "";
}

TEST(AggregatorTest, ValidateAndFoldGivesTheBitsOfValidateThenFold) {
  std::mt19937_64 rng(23);
  const std::vector<std::pair<std::string, nlohmann::json>> strategies = {
      {"fedavg", nlohmann::json::object()},
      {"fedavg", {{"accumulator", "float64"}}},
      {"fedavg", {{"clip_norm", 40.0}}},
      {"fedadam", nlohmann::json::object()},
      {"median", nlohmann::json::object()}};
  for (bool all_f32 : {true, false}) {  // false: an F64 tensor, so the two-pass path
    auto model = [&](double center, std::int64_t counter) {
      return all_f32 ? Float32Model(rng, center, counter) : RandomModel(rng, center, 1, counter);
    };
    auto global = MakeModel(model(0, 10));
    std::vector<Update> updates;
    for (int i = 0; i < 5; ++i) {
      updates.push_back({MakeModelBytes(model(0.1 * i, 10 + 7 * (i % 3))), 17.0 + 40 * i});
    }
    for (const auto& [name, options] : strategies) {
      for (double max_norm : {0.0, 1e6}) {
        SCOPED_TRACE(name + " " + options.dump() + " bound " + std::to_string(max_norm) +
                     (all_f32 ? " all-f32" : " with f64"));
        std::vector<double> norms_two_pass, norms_in_place;
        const std::string two_pass =
            RoundBytes(Spec(name, options), global, updates, false, max_norm, &norms_two_pass);
        const std::string in_place =
            RoundBytes(Spec(name, options), global, updates, true, max_norm, &norms_in_place);
        EXPECT_FALSE(two_pass.empty());
        EXPECT_TRUE(two_pass == in_place);
        EXPECT_EQ(norms_two_pass, norms_in_place);
      }
    }
  }
}

TEST(AggregatorTest, ValidateAndFoldRejectionLeavesTheAggregateUnchanged) {
  std::mt19937_64 rng(29);
  auto global = MakeModel(Float32Model(rng));
  const std::vector<TestTensor> good_values = Float32Model(rng, 0.2);
  const Update first = {MakeModelBytes(Float32Model(rng, -0.1)), 30};
  const Update last = {MakeModelBytes(Float32Model(rng, 0.3)), 50};
  std::vector<double> unused;
  const std::string expected =
      RoundBytes(Spec("fedavg"), global, {first, last}, false, 0, &unused);

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  // (tensor index in Float32Model, element, value): the first block, the block checked ahead
  // of the fold, the last element (partial block), and other tensors.
  const std::vector<std::tuple<std::size_t, std::size_t, double>> faults = {
      {2, 0, nan}, {2, 2048 + 7, inf}, {2, 6000, -inf}, {2, 9002, nan},
      {1, 1, inf}, {3, 4, -inf}};
  auto aggregator = Make(Spec("fedavg"));
  ASSERT_TRUE(aggregator->BeginRound(global).ok());
  {
    std::string payload = first.bytes;
    auto view = protocol::SafetensorsView::Parse(payload);
    ASSERT_TRUE(aggregator->ValidateAndFold(payload, *view, "first", first.count).ok());
  }
  for (const auto& [tensor, element, value] : faults) {
    std::vector<TestTensor> bad = good_values;
    bad[tensor].values[element] = value;
    std::string payload = MakeModelBytes(bad);
    auto view = protocol::SafetensorsView::Parse(payload);
    ASSERT_TRUE(view.ok());
    const Status expected_error =
        ValidateUpdate(aggregator->layout(), global->view(), *view, "bad", 20).status();
    auto folded = aggregator->ValidateAndFold(payload, *view, "bad", 20);
    ASSERT_FALSE(folded.ok());
    EXPECT_EQ(folded.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(folded.status().message(), expected_error.message());
    EXPECT_NE(folded.status().message().find("tensor '" + bad[tensor].name + "' element " +
                                             std::to_string(element)),
              std::string::npos)
        << folded.status();
  }
  {
    // Over the norm bound: found only after the whole pass.
    std::string payload = MakeModelBytes(good_values);
    auto view = protocol::SafetensorsView::Parse(payload);
    auto folded = aggregator->ValidateAndFold(payload, *view, "far", 20, /*max_delta_norm=*/1.0);
    EXPECT_EQ(folded.status().code(), StatusCode::kOutOfRange) << folded.status();
  }
  EXPECT_EQ(aggregator->folded_updates(), 1);
  {
    std::string payload = last.bytes;
    auto view = protocol::SafetensorsView::Parse(payload);
    ASSERT_TRUE(aggregator->ValidateAndFold(payload, *view, "last", last.count).ok());
  }
  auto next = aggregator->FinishRound();
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->bytes() == expected);
}

TEST(AggregatorTest, RefusesLayoutChangeAndEmptyRound) {
  auto aggregator = Make(Spec("fedavg"));
  auto global = MakeModel({{"w", DType::kF32, {2}, {1, 2}}});
  ASSERT_TRUE(aggregator->BeginRound(global).ok());
  EXPECT_EQ(aggregator->FinishRound().status().code(), StatusCode::kFailedPrecondition);
  auto other = MakeModel({{"w", DType::kF32, {3}, {1, 2, 3}}});
  EXPECT_EQ(aggregator->BeginRound(other).code(), StatusCode::kFailedPrecondition);
  auto half = MakeModel({{"w", DType::kF64, {2}, {1, 2}}});
  EXPECT_EQ(Make(Spec("fedavg"))->BeginRound(half).code(), StatusCode::kOk);
}

}  // namespace
}  // namespace pancaim::coordinator
