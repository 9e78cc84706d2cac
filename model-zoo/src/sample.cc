#include "pancaim/model_zoo/sample.h"

#include <cmath>
#include <utility>

#include <torch/torch.h>

namespace pancaim::zoo {
namespace {

std::string ShapeString(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(t.size(i));
  }
  return s + "]";
}

Status FieldError(const std::string& patient, const std::string& field, const std::string& what) {
  return InvalidArgumentError("patient '" + patient + "': field '" + field + "': " + what);
}

// Checks dtype, rank, non-empty sizes and (for floats) finiteness.
Status CheckTensor(const std::string& patient, const std::string& field, const torch::Tensor& t,
                   torch::ScalarType dtype, int64_t rank) {
  if (!t.defined()) return FieldError(patient, field, "tensor is undefined");
  if (t.scalar_type() != dtype) {
    return FieldError(patient, field,
                      std::string("dtype ") + c10::toString(t.scalar_type()) + ", expected " +
                          c10::toString(dtype));
  }
  if (t.dim() != rank) {
    return FieldError(patient, field,
                      "shape " + ShapeString(t) + ", expected rank " + std::to_string(rank));
  }
  for (int64_t i = 0; i < rank; ++i) {
    if (t.size(i) <= 0) return FieldError(patient, field, "empty shape " + ShapeString(t));
  }
  if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
    return FieldError(patient, field, "contains NaN or infinite values");
  }
  return Status::Ok();
}

}  // namespace

Status Sample::Validate() const {
  const std::string& p = patient_id;
  if (ct) {
    PANCAIM_RETURN_IF_ERROR(CheckTensor(p, "ct", *ct, torch::kFloat32, 4));
    if (ct->size(0) != 1) return FieldError(p, "ct", "expected one channel, got " + ShapeString(*ct));
  }
  if (ct_mask) {
    PANCAIM_RETURN_IF_ERROR(CheckTensor(p, "ct_mask", *ct_mask, torch::kInt64, 3));
    if (!ct) return FieldError(p, "ct_mask", "given without 'ct'");
    if (ct_mask->sizes() != ct->sizes().slice(1)) {
      return FieldError(p, "ct_mask",
                        "shape " + ShapeString(*ct_mask) + " differs from ct " + ShapeString(*ct));
    }
    if (ct_mask->min().item<int64_t>() < 0) return FieldError(p, "ct_mask", "negative class index");
  }
  if (tiles) {
    PANCAIM_RETURN_IF_ERROR(CheckTensor(p, "tiles", *tiles, torch::kFloat32, 4));
    if (tiles->size(1) != 3) return FieldError(p, "tiles", "expected RGB [N, 3, h, w], got " +
                                                               ShapeString(*tiles));
  }
  if (genomics) PANCAIM_RETURN_IF_ERROR(CheckTensor(p, "genomics", *genomics, torch::kFloat32, 1));
  if (clinical_missing && !clinical) {
    return FieldError(p, "clinical_missing", "given without 'clinical'");
  }
  if (clinical) {
    // Missing clinical values may hold NaN (readers often encode them so); only present ones must
    // be finite.
    if (clinical->scalar_type() != torch::kFloat32 || clinical->dim() != 1 || clinical->size(0) <= 0) {
      return FieldError(p, "clinical", "expected float32 [C], got " + ShapeString(*clinical));
    }
    torch::Tensor missing = torch::zeros_like(*clinical, torch::kBool);
    if (clinical_missing) {
      PANCAIM_RETURN_IF_ERROR(CheckTensor(p, "clinical_missing", *clinical_missing, torch::kBool, 1));
      if (clinical_missing->size(0) != clinical->size(0)) {
        return FieldError(p, "clinical_missing", "length differs from 'clinical'");
      }
      missing = *clinical_missing;
    }
    if (!(torch::isfinite(*clinical) | missing).all().item<bool>()) {
      return FieldError(p, "clinical", "a value not marked missing is NaN or infinite");
    }
  }
  if (image) PANCAIM_RETURN_IF_ERROR(CheckTensor(p, "image", *image, torch::kFloat32, 3));
  if (labels.label && *labels.label < 0) return FieldError(p, "label", "negative class index");
  if (labels.survival_time &&
      (!std::isfinite(*labels.survival_time) || *labels.survival_time < 0)) {
    return FieldError(p, "survival_time", "must be finite and >= 0");
  }
  if (labels.survival_time.has_value() != labels.event.has_value()) {
    return FieldError(p, "event", "survival_time and event must be given together");
  }
  return Status::Ok();
}

StatusOr<Sample> InMemoryDataset::Get(std::int64_t index) const {
  if (index < 0 || index >= Size()) {
    return OutOfRangeError("sample index " + std::to_string(index) + " outside [0, " +
                           std::to_string(Size()) + ")");
  }
  return samples_[static_cast<size_t>(index)];
}

namespace {

// Stacks an optional per-sample tensor into [B, ...] with a presence mask; rows without it are zero.
// All present tensors must share one shape.
Status StackOptional(const std::vector<Sample>& samples,
                     std::optional<torch::Tensor> Sample::*member, const std::string& field,
                     torch::Tensor& out, torch::Tensor& present) {
  const int64_t b = static_cast<int64_t>(samples.size());
  const torch::Tensor* first = nullptr;
  for (const Sample& s : samples) {
    if ((s.*member).has_value()) {
      first = &*(s.*member);
      break;
    }
  }
  if (first == nullptr) return Status::Ok();
  std::vector<int64_t> shape = {b};
  for (int64_t d : first->sizes()) shape.push_back(d);
  out = torch::zeros(shape, first->options());
  present = torch::zeros({b}, torch::kBool);
  for (int64_t i = 0; i < b; ++i) {
    const auto& value = samples[static_cast<size_t>(i)].*member;
    if (!value) continue;
    if (value->sizes() != first->sizes()) {
      return FieldError(samples[static_cast<size_t>(i)].patient_id, field,
                        "shape " + ShapeString(*value) + " differs from " + ShapeString(*first) +
                            " of another sample in the batch");
    }
    out[i].copy_(*value);
    present[i] = true;
  }
  return Status::Ok();
}

Status CollateTiles(const std::vector<Sample>& samples, Batch& batch) {
  const int64_t b = static_cast<int64_t>(samples.size());
  std::vector<torch::Tensor> bags;
  std::vector<int64_t> bag_of_tile;
  std::vector<int64_t> counts(static_cast<size_t>(b), 0);
  for (int64_t i = 0; i < b; ++i) {
    const Sample& s = samples[static_cast<size_t>(i)];
    if (!s.tiles) continue;
    if (!bags.empty() && s.tiles->sizes().slice(1) != bags.front().sizes().slice(1)) {
      return FieldError(s.patient_id, "tiles",
                        "tile size " + ShapeString(*s.tiles) + " differs from " +
                            ShapeString(bags.front()) + " of another sample in the batch");
    }
    bags.push_back(*s.tiles);
    counts[static_cast<size_t>(i)] = s.tiles->size(0);
    bag_of_tile.insert(bag_of_tile.end(), static_cast<size_t>(s.tiles->size(0)), i);
  }
  if (bags.empty()) return Status::Ok();
  batch.tiles = torch::cat(bags, /*dim=*/0);
  batch.tile_bag = torch::tensor(bag_of_tile, torch::kInt64);
  batch.tile_count = torch::tensor(counts, torch::kInt64);
  batch.tiles_present = batch.tile_count > 0;
  return Status::Ok();
}

void CollateLabels(const std::vector<Sample>& samples, Batch& batch) {
  const int64_t b = static_cast<int64_t>(samples.size());
  batch.label = torch::full({b}, -1, torch::kInt64);
  batch.survival_time = torch::zeros({b}, torch::kFloat32);
  batch.event = torch::zeros({b}, torch::kFloat32);
  batch.survival_present = torch::zeros({b}, torch::kBool);
  auto label = batch.label.accessor<int64_t, 1>();
  auto time = batch.survival_time.accessor<float, 1>();
  auto event = batch.event.accessor<float, 1>();
  auto present = batch.survival_present.accessor<bool, 1>();
  for (int64_t i = 0; i < b; ++i) {
    const Labels& l = samples[static_cast<size_t>(i)].labels;
    if (l.label) label[i] = *l.label;
    if (l.survival_time && l.event) {
      time[i] = static_cast<float>(*l.survival_time);
      event[i] = *l.event ? 1.0f : 0.0f;
      present[i] = true;
    }
  }
}

Status CollateClinical(const std::vector<Sample>& samples, Batch& batch) {
  PANCAIM_RETURN_IF_ERROR(StackOptional(samples, &Sample::clinical, "clinical", batch.clinical,
                                        batch.clinical_present));
  if (!batch.clinical.defined()) return Status::Ok();
  batch.clinical_missing = torch::ones(batch.clinical.sizes(), torch::kBool);
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    if (!s.clinical) continue;
    auto row = batch.clinical_missing[static_cast<int64_t>(i)];
    if (s.clinical_missing) {
      row.copy_(*s.clinical_missing);
    } else {
      row.fill_(false);
    }
  }
  // Missing values carry no information: zero them so that NaN never reaches a model.
  batch.clinical.masked_fill_(batch.clinical_missing, 0.0);
  return Status::Ok();
}

}  // namespace

StatusOr<Batch> Collate(const std::vector<Sample>& samples) {
  PANCAIM_CHECK(!samples.empty()) << "Collate of an empty sample list";
  Batch batch;
  batch.size = static_cast<int64_t>(samples.size());
  for (const Sample& s : samples) {
    PANCAIM_RETURN_IF_ERROR(s.Validate());
    batch.patient_ids.push_back(s.patient_id);
  }
  PANCAIM_RETURN_IF_ERROR(StackOptional(samples, &Sample::ct, "ct", batch.ct, batch.ct_present));
  PANCAIM_RETURN_IF_ERROR(StackOptional(samples, &Sample::ct_mask, "ct_mask", batch.ct_mask,
                                        batch.ct_mask_present));
  PANCAIM_RETURN_IF_ERROR(CollateTiles(samples, batch));
  PANCAIM_RETURN_IF_ERROR(StackOptional(samples, &Sample::genomics, "genomics", batch.genomics,
                                        batch.genomics_present));
  PANCAIM_RETURN_IF_ERROR(CollateClinical(samples, batch));
  PANCAIM_RETURN_IF_ERROR(
      StackOptional(samples, &Sample::image, "image", batch.image, batch.image_present));
  CollateLabels(samples, batch);
  return batch;
}

namespace {

torch::Tensor MaybeTo(const torch::Tensor& t, const torch::Device& device) {
  return t.defined() ? t.to(device, /*non_blocking=*/t.is_pinned()) : t;
}

torch::Tensor MaybeRows(const torch::Tensor& t, const torch::Tensor& rows) {
  return t.defined() ? t.index_select(/*dim=*/0, rows.to(t.device())) : t;
}

}  // namespace

Batch Batch::To(const torch::Device& device) const {
  Batch out;
  out.size = size;
  out.patient_ids = patient_ids;
  for (auto [dst, src] : std::initializer_list<std::pair<torch::Tensor*, const torch::Tensor*>>{
           {&out.ct, &ct},
           {&out.ct_present, &ct_present},
           {&out.ct_mask, &ct_mask},
           {&out.ct_mask_present, &ct_mask_present},
           {&out.tiles, &tiles},
           {&out.tile_bag, &tile_bag},
           {&out.tile_count, &tile_count},
           {&out.tiles_present, &tiles_present},
           {&out.genomics, &genomics},
           {&out.genomics_present, &genomics_present},
           {&out.clinical, &clinical},
           {&out.clinical_missing, &clinical_missing},
           {&out.clinical_present, &clinical_present},
           {&out.image, &image},
           {&out.image_present, &image_present},
           {&out.label, &label},
           {&out.survival_time, &survival_time},
           {&out.event, &event},
           {&out.survival_present, &survival_present}}) {
    *dst = MaybeTo(*src, device);
  }
  return out;
}

Batch Batch::Select(const std::vector<std::int64_t>& rows) const {
  PANCAIM_CHECK(!rows.empty()) << "Batch::Select of no rows";
  torch::Tensor index = torch::tensor(rows, torch::kInt64);
  Batch out;
  out.size = static_cast<int64_t>(rows.size());
  for (int64_t r : rows) {
    PANCAIM_CHECK(r >= 0 && r < size) << "row " << r << " outside batch of " << size;
    out.patient_ids.push_back(patient_ids[static_cast<size_t>(r)]);
  }
  for (auto [dst, src] : std::initializer_list<std::pair<torch::Tensor*, const torch::Tensor*>>{
           {&out.ct, &ct},
           {&out.ct_present, &ct_present},
           {&out.ct_mask, &ct_mask},
           {&out.ct_mask_present, &ct_mask_present},
           {&out.tile_count, &tile_count},
           {&out.tiles_present, &tiles_present},
           {&out.genomics, &genomics},
           {&out.genomics_present, &genomics_present},
           {&out.clinical, &clinical},
           {&out.clinical_missing, &clinical_missing},
           {&out.clinical_present, &clinical_present},
           {&out.image, &image},
           {&out.image_present, &image_present},
           {&out.label, &label},
           {&out.survival_time, &survival_time},
           {&out.event, &event},
           {&out.survival_present, &survival_present}}) {
    *dst = MaybeRows(*src, index);
  }
  if (tiles.defined()) {
    // Keep the tiles of the selected bags, renumbering their bag index to the new rows.
    std::vector<torch::Tensor> parts;
    std::vector<torch::Tensor> bag_parts;
    torch::Tensor offsets = torch::cumsum(tile_count, /*dim=*/0).cpu() - tile_count.cpu();
    torch::Tensor counts = tile_count.cpu();
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t n = counts[rows[i]].item<int64_t>();
      if (n == 0) continue;
      const int64_t begin = offsets[rows[i]].item<int64_t>();
      parts.push_back(tiles.narrow(/*dim=*/0, begin, n));
      bag_parts.push_back(torch::full({n}, static_cast<int64_t>(i), tile_bag.options()));
    }
    if (!parts.empty()) {
      out.tiles = torch::cat(parts, /*dim=*/0);
      out.tile_bag = torch::cat(bag_parts, /*dim=*/0);
    } else {
      out.tile_count = torch::Tensor();
      out.tiles_present = torch::Tensor();
    }
  }
  return out;
}

}  // namespace pancaim::zoo
