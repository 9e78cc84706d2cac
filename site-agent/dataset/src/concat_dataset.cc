#include "pancaim/site_dataset/concat_dataset.h"

#include <algorithm>

#include "pancaim/common/check.h"

namespace pancaim::sitedataset {

ConcatDataset::ConcatDataset(std::vector<std::shared_ptr<const zoo::Dataset>> parts)
    : parts_(std::move(parts)) {
  for (const auto& part : parts_) {
    PANCAIM_CHECK(part != nullptr) << "ConcatDataset part is null";
    offsets_.push_back(size_);
    size_ += part->Size();
  }
}

StatusOr<zoo::Sample> ConcatDataset::Get(std::int64_t index) const {
  PANCAIM_CHECK(index >= 0 && index < size_) << "index " << index << " outside [0, " << size_ << ")";
  const auto it = std::upper_bound(offsets_.begin(), offsets_.end(), index);
  std::size_t part = static_cast<std::size_t>(it - offsets_.begin()) - 1;
  // Skip empty parts that share an offset with the next one.
  while (parts_[part]->Size() <= index - offsets_[part]) ++part;
  return parts_[part]->Get(index - offsets_[part]);
}

}  // namespace pancaim::sitedataset
