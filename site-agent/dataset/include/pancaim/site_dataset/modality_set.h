// ModalitySet: which of a patient's modalities a dataset reads (CT, slide tiles, genomics,
// clinical), parsed from and printed as a comma list such as "genomics,clinical".
//
// A value type; not synchronized.
#pragma once

#include <string>
#include <string_view>

#include "pancaim/common/status.h"

namespace pancaim::sitedataset {

struct ModalitySet {
  bool ct = false;        // preprocessed CT volume (and, when asked, its mask)
  bool slides = false;    // a bag of slide tiles sampled per epoch
  bool genomics = false;  // gene-panel features from the patient's VCF
  bool clinical = false;  // normalised clinical features with the missing mask

  static ModalitySet All() { return {true, true, true, true}; }
  static ModalitySet None() { return {}; }

  bool empty() const { return !ct && !slides && !genomics && !clinical; }
  // True when every modality of `other` is in this set.
  bool Contains(const ModalitySet& other) const;

  // "ct,slides,genomics,clinical" order; "" when empty.
  std::string ToString() const;
  friend bool operator==(const ModalitySet&, const ModalitySet&) = default;
};

// Parses a comma-separated list of "ct", "slides", "genomics", "clinical" (or "all", or "" for
// none); spaces around names are ignored. InvalidArgument names the unknown entry.
StatusOr<ModalitySet> ParseModalitySet(std::string_view text);

}  // namespace pancaim::sitedataset
