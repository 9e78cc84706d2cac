#include "pancaim/site_data/data_issue.h"

namespace pancaim::sitedata {

std::string DataIssue::ToString() const {
  std::string text = file;
  if (line > 0) {
    text += ":" + std::to_string(line);
    if (column > 0) text += ":" + std::to_string(column);
  }
  if (!column_name.empty()) text += " (" + column_name + ")";
  if (!text.empty()) text += ": ";
  if (!patient_id.empty()) text += "patient " + patient_id + ": ";
  return text + message;
}

Status DataIssue::ToStatus(StatusCode code) const { return Status(code, ToString()); }

}  // namespace pancaim::sitedata
