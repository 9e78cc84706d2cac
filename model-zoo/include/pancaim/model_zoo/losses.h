// Training losses of the zoo's tasks. Pure functions of tensors (autograd flows through them);
// thread-safe. All return a scalar float32 tensor on the inputs' device.
#pragma once

#include <torch/types.h>

namespace pancaim::zoo {

// Mean cross-entropy over rows whose label is >= 0 (label -1 = unlabelled, ignored).
// logits [B, K] (or [B, K, ...] with labels [B, ...]); 0 (with a graph) when no row is labelled.
torch::Tensor MaskedCrossEntropy(const torch::Tensor& logits, const torch::Tensor& labels);

// Soft Dice loss 1 - mean over classes 1..K-1 of (2 sum(p g) + eps) / (sum p + sum g + eps), with
// p = softmax(seg_logits) and g = one-hot(target), sums over the batch and all voxels.
// seg_logits [B, K, D, H, W], target int64 [B, D, H, W] with values in [0, K). eps = 1e-5.
torch::Tensor SoftDiceLoss(const torch::Tensor& seg_logits, const torch::Tensor& target);

// Negative Cox partial log-likelihood with Breslow's handling of tied event times, divided by the
// number of events:
//   L = -(1/n_events) * sum_{i: event_i} [ risk_i - log sum_{j: time_j >= time_i} exp(risk_j) ]
// Every subject whose time equals an event time is in that event's risk set (Breslow). risk, time,
// event: [N] (event 1 = observed, 0 = censored). With no event the loss is 0 (with a graph) since
// the partial likelihood is then empty.
torch::Tensor CoxPartialLikelihoodLoss(const torch::Tensor& risk, const torch::Tensor& time,
                                       const torch::Tensor& event);

}  // namespace pancaim::zoo
