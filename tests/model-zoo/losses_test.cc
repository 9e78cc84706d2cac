#include "pancaim/model_zoo/losses.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace pancaim::zoo {
namespace {

// Four patients: A (t=1, event), B and C tied at t=2 (both events), D censored at t=3.
// Breslow: S1 = e^0 + e^0.5 + e^-0.2 + e^1 (everyone at risk at t=1), S2 = e^0.5 + e^-0.2 + e^1
// (B, C, D at risk at t=2, shared by both tied events).
// L = -[(0 - ln S1) + (0.5 - ln S2) + (-0.2 - ln S2)] / 3
// dL/d(eta_k) = -(1/3) [event_k - sum over events i with k at risk of e^eta_k / S_i].
TEST(LossesTest, CoxBreslowLossAndGradientMatchHandComputation) {
  torch::Tensor risk = torch::tensor({0.0, 0.5, -0.2, 1.0}, torch::kFloat64).requires_grad_(true);
  torch::Tensor time = torch::tensor({1.0, 2.0, 2.0, 3.0}, torch::kFloat64);
  torch::Tensor event = torch::tensor({1.0f, 1.0f, 1.0f, 0.0f});
  torch::Tensor loss = CoxPartialLikelihoodLoss(risk, time, event);
  loss.backward();

  const double s1 = std::exp(0.0) + std::exp(0.5) + std::exp(-0.2) + std::exp(1.0);
  const double s2 = std::exp(0.5) + std::exp(-0.2) + std::exp(1.0);
  const double expected = -((0 - std::log(s1)) + (0.5 - std::log(s2)) + (-0.2 - std::log(s2))) / 3;
  EXPECT_NEAR(expected, 1.604689459953817, 1e-12);
  EXPECT_NEAR(loss.item<double>(), expected, 1e-6);

  const double grad[4] = {-(1 - 1 / s1) / 3,
                          -(1 - std::exp(0.5) / s1 - 2 * std::exp(0.5) / s2) / 3,
                          -(1 - std::exp(-0.2) / s1 - 2 * std::exp(-0.2) / s2) / 3,
                          -(0 - std::exp(1.0) / s1 - 2 * std::exp(1.0) / s2) / 3};
  EXPECT_NEAR(grad[0], -0.27944589793829466, 1e-12);
  EXPECT_NEAR(grad[3], 0.49593763685596043, 1e-12);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(risk.grad()[k].item<double>(), grad[k], 1e-6) << k;

  // The order of patients does not matter.
  torch::Tensor perm = torch::tensor({3, 1, 0, 2}, torch::kInt64);
  torch::Tensor shuffled = CoxPartialLikelihoodLoss(risk.detach().index_select(0, perm),
                                                    time.index_select(0, perm),
                                                    event.index_select(0, perm));
  EXPECT_NEAR(shuffled.item<double>(), expected, 1e-6);

  // No events: the partial likelihood is empty.
  torch::Tensor none = CoxPartialLikelihoodLoss(risk.detach(), time, torch::zeros({4}));
  EXPECT_EQ(none.item<double>(), 0.0);
}

TEST(LossesTest, CrossEntropyIgnoresUnlabelledAndDiceIsZeroForPerfectPrediction) {
  torch::Tensor logits = torch::tensor({{2.0f, 0.0f}, {0.0f, 5.0f}, {9.0f, -9.0f}});
  torch::Tensor labels = torch::tensor({0, -1, 1}, torch::kInt64);
  const double l0 = std::log(1 + std::exp(-2.0));
  const double l2 = std::log(1 + std::exp(18.0));
  EXPECT_NEAR(MaskedCrossEntropy(logits, labels).item<double>(), (l0 + l2) / 2, 1e-5);
  EXPECT_EQ(MaskedCrossEntropy(logits, torch::full({3}, -1, torch::kInt64)).item<double>(), 0.0);

  torch::Tensor target = torch::randint(0, 3, {2, 4, 4, 4}, torch::kInt64);
  torch::Tensor perfect =
      torch::one_hot(target, 3).permute({0, 4, 1, 2, 3}).to(torch::kFloat32) * 100.0;
  EXPECT_NEAR(SoftDiceLoss(perfect, target).item<double>(), 0.0, 1e-4);
  // Uniform predictions: p = 1/3 everywhere; per class Dice = 2 n_c/3 / (N/3 + n_c).
  torch::Tensor uniform = torch::zeros({2, 3, 4, 4, 4});
  double expected = 0;
  const double n = 2 * 64;
  for (int c = 1; c < 3; ++c) {
    const double nc = (target == c).sum().item<double>();
    expected += (2 * nc / 3 + 1e-5) / (n / 3 + nc + 1e-5);
  }
  EXPECT_NEAR(SoftDiceLoss(uniform, target).item<double>(), 1 - expected / 2, 1e-5);
}

}  // namespace
}  // namespace pancaim::zoo
