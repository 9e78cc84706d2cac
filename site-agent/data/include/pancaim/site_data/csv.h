// RFC 4180 CSV parsing: comma-separated fields, optional double quotes around a field, "" for a
// quote inside quotes, CRLF or LF record ends, quoted fields may span lines. A UTF-8 byte order
// mark is skipped and blank lines are ignored. Errors name the source, line and field.
//
// Free functions, stateless; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::sitedata {

// One record and the line it starts on (1-based).
struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
};

// Bounds on untrusted input.
struct CsvLimits {
  std::size_t max_records = 1'000'000;
  std::size_t max_fields = 1024;           // per record
  std::size_t max_field_bytes = 1 << 20;   // per field
};

// Parses `text`; `source` (a file name) prefixes errors: "manifest.csv:7: field 3: unterminated
// quoted field". Errors: InvalidArgument for syntax, ResourceExhausted beyond `limits`.
StatusOr<std::vector<CsvRecord>> ParseCsv(std::string_view text, std::string_view source,
                                          const CsvLimits& limits = {});

}  // namespace pancaim::sitedata
