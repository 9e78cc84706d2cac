// One patient's multimodal training sample, the Dataset interface the site agent implements over its
// data, and collation of samples into a Batch the zoo models consume.
//
// Every modality is optional: a patient may have a CT but no slide, genomics but no CT. Site data
// readers fill what they have; models say which fields they need (ZooModule::CheckBatch) and the
// trainer refuses a batch that lacks them with a Status naming the patient and field.
//
// Tensor conventions (CPU tensors from readers; the trainer moves batches to the device):
//   ct                float32 [1, D, H, W]   intensity-normalised crop (e.g. HU clipped and z-scored)
//   ct_mask           int64   [D, H, W]      segmentation classes (0 background, 1 pancreas, 2 tumour)
//   tiles             float32 [N, 3, h, w]   a bag of N >= 1 slide tiles, normalised RGB
//   genomics          float32 [G]            gene-panel features (e.g. mutation flags, expression)
//   clinical          float32 [C]            clinical features; values where missing are ignored
//   clinical_missing  bool    [C]            true where the clinical value is missing
//   image             float32 [c, H, W]      a 2D image (mnist-cnn: [1, 28, 28])
// Labels: `label` is a class index (PDAC 0/1, or a digit for mnist-cnn); survival is (time, event)
// with time in any consistent unit (months by convention) and event 1 = death observed, 0 = censored.
//
// Samples and batches are values (tensors are reference-counted; Clone() copies data). Not
// synchronized.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "pancaim/common/status.h"

namespace pancaim::zoo {

// Outcome labels of one patient; each is optional (an unlabelled patient can still be scored).
struct Labels {
  std::optional<std::int64_t> label;  // class index: PDAC 0/1, or 0..9 for mnist-cnn
  std::optional<double> survival_time;  // >= 0, time to event or censoring
  std::optional<bool> event;            // true = event observed (death), false = censored
};

// One patient. See the file comment for shapes and dtypes.
struct Sample {
  std::string patient_id;
  std::optional<torch::Tensor> ct;
  std::optional<torch::Tensor> ct_mask;
  std::optional<torch::Tensor> tiles;
  std::optional<torch::Tensor> genomics;
  std::optional<torch::Tensor> clinical;
  std::optional<torch::Tensor> clinical_missing;  // only meaningful with `clinical`; absent = none
  std::optional<torch::Tensor> image;
  Labels labels;

  // Checks dtypes, ranks and sizes against the conventions above (plus: ct_mask matches ct's
  // spatial shape, clinical_missing matches clinical, finite floats, label >= 0, time >= 0, event
  // given with time). Errors are InvalidArgument naming the patient and the field.
  Status Validate() const;
};

// A dataset of samples, implemented by the site agent over its local data (and by tests in memory).
// Thread-safety: the trainer calls Size() and Get() from one thread at a time; implementations need
// no locking for that use.
class Dataset {
 public:
  virtual ~Dataset() = default;

  // Number of samples; constant for the lifetime of a training call.
  virtual std::int64_t Size() const = 0;

  // Sample `index` in [0, Size()). I/O or decoding failures return a Status naming the source.
  virtual StatusOr<Sample> Get(std::int64_t index) const = 0;
};

// A Dataset over samples held in memory. Owns its samples; immutable after construction.
class InMemoryDataset : public Dataset {
 public:
  explicit InMemoryDataset(std::vector<Sample> samples) : samples_(std::move(samples)) {}

  std::int64_t Size() const override { return static_cast<std::int64_t>(samples_.size()); }
  StatusOr<Sample> Get(std::int64_t index) const override;

  const std::vector<Sample>& samples() const { return samples_; }

 private:
  std::vector<Sample> samples_;
};

// A collated batch of B samples. A modality is either undefined (no sample in the batch has it) or
// stacked over all B rows with a `*_present` bool [B] mask; rows whose sample lacks the modality are
// zero in the data tensor and false in the mask. Models must read only rows whose mask is true
// (fusion-survival excludes absent modalities from the fusion, it does not feed zeros through).
struct Batch {
  std::int64_t size = 0;
  std::vector<std::string> patient_ids;

  torch::Tensor ct;          // float [B, 1, D, H, W]
  torch::Tensor ct_present;  // bool [B]
  torch::Tensor ct_mask;     // int64 [B, D, H, W]
  torch::Tensor ct_mask_present;

  // Bags of tiles, concatenated: tiles [T, 3, h, w], tile_bag int64 [T] = the batch row of each
  // tile (non-decreasing), tile_count int64 [B] (0 where absent).
  torch::Tensor tiles;
  torch::Tensor tile_bag;
  torch::Tensor tile_count;
  torch::Tensor tiles_present;

  torch::Tensor genomics;  // float [B, G]
  torch::Tensor genomics_present;
  torch::Tensor clinical;          // float [B, C], missing values set to 0
  torch::Tensor clinical_missing;  // bool [B, C]; all true in rows without clinical data
  torch::Tensor clinical_present;
  torch::Tensor image;  // float [B, c, H, W]
  torch::Tensor image_present;

  torch::Tensor label;           // int64 [B], -1 where unlabelled
  torch::Tensor survival_time;   // float [B], 0 where unknown
  torch::Tensor event;           // float [B] (1 = event), 0 where unknown
  torch::Tensor survival_present;  // bool [B]: time and event both known

  // A copy with every defined tensor moved to `device` (non_blocking when pinned).
  Batch To(const torch::Device& device) const;

  // Rows `rows` (ascending indices) of this batch, re-collated; used to split across GPUs.
  Batch Select(const std::vector<std::int64_t>& rows) const;
};

// Collates samples into a Batch. Each sample is validated (Sample::Validate); all samples that have a
// modality must agree on its non-batch shape (tiles: on [3, h, w]; bags may differ in N).
// Errors: InvalidArgument naming the patient and field. `samples` must be non-empty (checked).
StatusOr<Batch> Collate(const std::vector<Sample>& samples);

}  // namespace pancaim::zoo
