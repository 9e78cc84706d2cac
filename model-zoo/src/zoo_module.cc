#include "pancaim/model_zoo/zoo_module.h"

#include <torch/torch.h>

#include "pancaim/model_zoo/losses.h"

namespace pancaim::zoo {

std::string_view TaskName(Task task) {
  switch (task) {
    case Task::kClassification:
      return "classification";
    case Task::kSegmentation:
      return "segmentation";
    case Task::kSurvival:
      return "survival";
  }
  return "unknown";
}

torch::Tensor ZooModuleImpl::Loss(const ModelOutput& output, const Batch& batch) {
  switch (task()) {
    case Task::kClassification:
      return MaskedCrossEntropy(output.logits, batch.label);
    case Task::kSegmentation:
      return SoftDiceLoss(output.seg_logits, batch.ct_mask) +
             MaskedCrossEntropy(output.seg_logits, batch.ct_mask);
    case Task::kSurvival: {
      torch::Tensor rows = batch.survival_present.nonzero().squeeze(1);
      return CoxPartialLikelihoodLoss(output.risk.index_select(0, rows),
                                      batch.survival_time.index_select(0, rows),
                                      batch.event.index_select(0, rows));
    }
  }
  PANCAIM_CHECK(false) << "unknown task";
  return {};
}

std::int64_t CountParameters(const torch::nn::Module& module) {
  std::int64_t count = 0;
  for (const torch::Tensor& p : module.parameters(/*recurse=*/true)) count += p.numel();
  return count;
}

}  // namespace pancaim::zoo
