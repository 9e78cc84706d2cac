#include "pancaim/site_dataset/dataset_summary.h"

namespace pancaim::sitedataset {

nlohmann::json DatasetSummary::ToJson() const {
  return nlohmann::json{
      {"site", site_id},
      {"split", split},
      {"modalities", modalities},
      {"size", size},
      {"patients_per_split", patients_per_split},
      {"declared", declared},
      {"available", available},
      {"labels",
       {{"pdac_positive", pdac_positive},
        {"pdac_negative", pdac_negative},
        {"pdac_unknown", pdac_unknown},
        {"survival_known", survival_known},
        {"events", events}}},
      {"failures", failures},
      {"excluded", excluded},
  };
}

}  // namespace pancaim::sitedataset
