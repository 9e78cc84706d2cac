// ConcatDataset: several datasets seen as one, in order (e.g. the pooled training data of all
// sites, for the centralised baseline a federation is compared with). Shares ownership of the
// parts; Get forwards to the part holding the index. Thread-safety: that of the parts.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "pancaim/model_zoo/sample.h"

namespace pancaim::sitedataset {

class ConcatDataset : public zoo::Dataset {
 public:
  // Parts must be non-null (checked); empty parts are allowed.
  explicit ConcatDataset(std::vector<std::shared_ptr<const zoo::Dataset>> parts);

  std::int64_t Size() const override { return size_; }
  // Sample `index` in [0, Size()) (checked); errors are the part's.
  StatusOr<zoo::Sample> Get(std::int64_t index) const override;

 private:
  std::vector<std::shared_ptr<const zoo::Dataset>> parts_;
  std::vector<std::int64_t> offsets_;  // first index of each part
  std::int64_t size_ = 0;
};

}  // namespace pancaim::sitedataset
