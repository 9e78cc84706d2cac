// A problem found in a site's data, located as precisely as known: file, line, column, patient.
// Readers collect issues instead of failing in the default (lenient) mode; strict mode turns the
// first one into an error Status.
//
// A value type; not synchronized.
#pragma once

#include <string>

#include "pancaim/common/status.h"

namespace pancaim::sitedata {

struct DataIssue {
  std::string file;         // path as given (manifest, CT, slide, VCF ...)
  int line = 0;             // 1-based manifest line; 0 when not about a line
  int column = 0;           // 1-based column (field) number; 0 when not about a cell
  std::string column_name;  // header name of `column`, when known
  std::string patient_id;   // empty when not about one patient
  std::string modality;     // "manifest", "clinical", "ct", "pathology", "genomics"
  std::string message;      // the reason, without the location

  // "manifest.csv:12:9 (age): patient P007: not a number: 'abc'" (absent parts left out; the file
  // is not repeated when `message` already starts with it).
  std::string ToString() const;

  // InvalidArgument (or `code`) whose message is ToString().
  Status ToStatus(StatusCode code = StatusCode::kInvalidArgument) const;
};

}  // namespace pancaim::sitedata
