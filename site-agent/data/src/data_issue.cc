#include "pancaim/site_data/data_issue.h"

namespace pancaim::sitedata {

std::string DataIssue::ToString() const {
  // Reader errors already start with the file they are about; do not say it twice.
  const bool file_in_message = line == 0 && !file.empty() && message.rfind(file, 0) == 0;
  std::string text = file_in_message ? "" : file;
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
