#include "pancaim/site_dataset/modality_set.h"

namespace pancaim::sitedataset {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool ModalitySet::Contains(const ModalitySet& other) const {
  return (ct || !other.ct) && (slides || !other.slides) && (genomics || !other.genomics) &&
         (clinical || !other.clinical);
}

std::string ModalitySet::ToString() const {
  std::string out;
  auto add = [&out](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ',';
    out += name;
  };
  add(ct, "ct");
  add(slides, "slides");
  add(genomics, "genomics");
  add(clinical, "clinical");
  return out;
}

StatusOr<ModalitySet> ParseModalitySet(std::string_view text) {
  ModalitySet set;
  bool first = true;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = Trim(text.substr(0, comma));
    if (item == "ct") {
      set.ct = true;
    } else if (item == "slides") {
      set.slides = true;
    } else if (item == "genomics") {
      set.genomics = true;
    } else if (item == "clinical") {
      set.clinical = true;
    } else if (item == "all") {
      set = ModalitySet::All();
    } else if (!item.empty() || !first || comma != std::string_view::npos) {
      return InvalidArgumentError("unknown modality '" + std::string(item) +
                                  "' (expected ct, slides, genomics, clinical or all)");
    }
    if (comma == std::string_view::npos) break;
    first = false;
    text.remove_prefix(comma + 1);
  }
  return set;
}

}  // namespace pancaim::sitedataset
