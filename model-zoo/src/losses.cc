#include "pancaim/model_zoo/losses.h"

#include <vector>

#include <torch/torch.h>

#include "pancaim/common/check.h"

namespace pancaim::zoo {

torch::Tensor MaskedCrossEntropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  torch::Tensor labelled = labels >= 0;
  const torch::Tensor logits32 = logits.to(torch::kFloat32);
  if (!labelled.any().item<bool>()) return logits32.sum() * 0.0;
  return torch::nn::functional::cross_entropy(
      logits32, labels,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1).reduction(torch::kMean));
}

torch::Tensor SoftDiceLoss(const torch::Tensor& seg_logits, const torch::Tensor& target) {
  PANCAIM_CHECK(seg_logits.dim() == 5 && target.dim() == 4)
      << "SoftDiceLoss expects [B, K, D, H, W] logits and [B, D, H, W] targets";
  const int64_t classes = seg_logits.size(1);
  PANCAIM_CHECK(classes >= 2) << "segmentation needs background plus at least one class";
  constexpr double kEps = 1e-5;
  torch::Tensor probs = torch::softmax(seg_logits.to(torch::kFloat32), /*dim=*/1);
  // [B, D, H, W, K] -> [B, K, D, H, W]
  torch::Tensor onehot =
      torch::one_hot(target, classes).permute({0, 4, 1, 2, 3}).to(torch::kFloat32);
  const std::vector<int64_t> reduce = {0, 2, 3, 4};
  torch::Tensor intersection = (probs * onehot).sum(reduce);
  torch::Tensor denominator = probs.sum(reduce) + onehot.sum(reduce);
  torch::Tensor dice = (2.0 * intersection + kEps) / (denominator + kEps);
  return 1.0 - dice.slice(/*dim=*/0, /*start=*/1).mean();
}

torch::Tensor CoxPartialLikelihoodLoss(const torch::Tensor& risk, const torch::Tensor& time,
                                       const torch::Tensor& event) {
  PANCAIM_CHECK(risk.dim() == 1 && time.sizes() == risk.sizes() && event.sizes() == risk.sizes())
      << "Cox loss expects risk, time and event of equal shape [N]";
  torch::Tensor risk32 = risk.to(torch::kFloat32);
  torch::Tensor event32 = event.to(torch::kFloat32);
  const double events = event32.sum().item<double>();
  if (events <= 0) return risk32.sum() * 0.0;

  // Sort by time, longest first: the risk set of position k is then a prefix, up to the last
  // position whose time equals time_k (ties share one risk set under Breslow).
  torch::Tensor order = std::get<1>(torch::sort(time.to(torch::kFloat64).cpu(), /*stable=*/true,
                                                /*dim=*/0, /*descending=*/true));
  torch::Tensor sorted_time = time.to(torch::kFloat64).cpu().index_select(0, order);
  const int64_t n = risk.size(0);
  std::vector<int64_t> tie_end(static_cast<size_t>(n));
  auto t = sorted_time.accessor<double, 1>();
  for (int64_t k = n - 1; k >= 0; --k) {
    const bool same_as_next = k + 1 < n && t[k] == t[k + 1];
    tie_end[static_cast<size_t>(k)] = same_as_next ? tie_end[static_cast<size_t>(k + 1)] : k;
  }
  torch::Tensor order_dev = order.to(risk.device());
  torch::Tensor sorted_risk = risk32.index_select(0, order_dev);
  torch::Tensor sorted_event = event32.index_select(0, order_dev);
  torch::Tensor log_cumsum = torch::logcumsumexp(sorted_risk, /*dim=*/0);
  torch::Tensor log_denominator =
      log_cumsum.index_select(0, torch::tensor(tie_end, torch::kInt64).to(risk.device()));
  torch::Tensor log_lik = ((sorted_risk - log_denominator) * sorted_event).sum();
  return -log_lik / events;
}

}  // namespace pancaim::zoo
