// ZooModuleImpl: the interface every zoo model implements, so that the trainer, evaluation, the
// registry and checkpoints handle any model the same way.
//
// A zoo model is a torch::nn::Module (parameters and buffers under stable dotted names, which are
// the wire format: checkpoints and federated updates use them) that maps a collated Batch to a
// ModelOutput and knows its own training loss. Concrete models also keep a typed forward() on plain
// tensors for direct use.
//
// Thread-safety: like any torch module, not synchronized; one trainer owns it at a time.
#pragma once

#include <string>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "pancaim/common/status.h"
#include "pancaim/model_zoo/sample.h"

namespace pancaim::zoo {

// What a model predicts, which decides its loss and its evaluation metrics.
enum class Task {
  kClassification,  // logits [B, K]; cross-entropy; accuracy, ROC AUC (K == 2), Brier
  kSegmentation,    // seg_logits [B, K, D, H, W]; Dice + cross-entropy; Dice per class
  kSurvival,        // risk [B] (log relative hazard); Cox partial likelihood; C-index, risk groups
};

std::string_view TaskName(Task task);  // "classification", "segmentation", "survival"

// A model's outputs for a batch; only the fields of its task are defined.
struct ModelOutput {
  torch::Tensor logits;      // float [B, K]
  torch::Tensor seg_logits;  // float [B, K, D, H, W]
  torch::Tensor risk;        // float [B]; higher = shorter expected survival
  torch::Tensor attention;   // wsi-abmil: float [B, Nmax], each row's tile weights (zero padded)
};

class ZooModuleImpl : public torch::nn::Module {
 public:
  explicit ZooModuleImpl(std::string name) : torch::nn::Module(std::move(name)) {}

  virtual Task task() const = 0;

  // Checks that `batch` has what this model reads (modalities, shapes, and when `need_labels` the
  // labels of its task) before ForwardBatch touches it. InvalidArgument names the patient and field.
  virtual Status CheckBatch(const Batch& batch, bool need_labels) const = 0;

  // Forward pass on a batch that passed CheckBatch (on this module's device).
  virtual ModelOutput ForwardBatch(const Batch& batch) = 0;

  // Mean training loss of `output` for `batch` (labels on the same device). The default implements
  // each task's loss over the labelled rows: cross-entropy, Dice + cross-entropy, Cox (Breslow).
  virtual torch::Tensor Loss(const ModelOutput& output, const Batch& batch);
};

// Total number of scalar parameters (trainable or not; buffers excluded).
std::int64_t CountParameters(const torch::nn::Module& module);

}  // namespace pancaim::zoo
