#include "pancaim/site_data/csv.h"

namespace pancaim::sitedata {
namespace {

std::string Where(std::string_view source, int line, std::size_t field) {
  return std::string(source) + ":" + std::to_string(line) + ": field " + std::to_string(field) +
         ": ";
}

}  // namespace

StatusOr<std::vector<CsvRecord>> ParseCsv(std::string_view text, std::string_view source,
                                          const CsvLimits& limits) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  int line = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  record.line = line;
  bool at_field_start = true;   // a quote here opens a quoted field
  bool record_started = false;  // anything seen since the record began
  auto end_field = [&]() -> Status {
    if (record.fields.size() >= limits.max_fields) {
      return ResourceExhaustedError(std::string(source) + ":" + std::to_string(record.line) +
                                    ": more than " + std::to_string(limits.max_fields) +
                                    " fields");
    }
    record.fields.push_back(std::move(field));
    field.clear();
    return Status::Ok();
  };
  auto end_record = [&]() -> Status {
    PANCAIM_RETURN_IF_ERROR(end_field());
    // A blank line is one empty field: skip it.
    if (!(record.fields.size() == 1 && record.fields[0].empty())) {
      if (records.size() >= limits.max_records) {
        return ResourceExhaustedError(std::string(source) + ": more than " +
                                      std::to_string(limits.max_records) + " records");
      }
      records.push_back(std::move(record));
    }
    record = CsvRecord();
    return Status::Ok();
  };
  while (i < n) {
    const char c = text[i];
    if (c == '"' && at_field_start) {
      // Quoted field: runs to the closing quote, across commas and line breaks.
      const int start_line = line;
      ++i;
      while (true) {
        if (i >= n) {
          return InvalidArgumentError(Where(source, start_line, record.fields.size() + 1) +
                                      "unterminated quoted field");
        }
        if (text[i] == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field.push_back(text[i++]);
        if (field.size() > limits.max_field_bytes) {
          return ResourceExhaustedError(Where(source, start_line, record.fields.size() + 1) +
                                        "field longer than " +
                                        std::to_string(limits.max_field_bytes) + " bytes");
        }
      }
      if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        return InvalidArgumentError(Where(source, line, record.fields.size() + 1) +
                                    "characters after a closing quote");
      }
      at_field_start = false;
      record_started = true;
      continue;
    }
    if (c == ',') {
      PANCAIM_RETURN_IF_ERROR(end_field());
      at_field_start = true;
      record_started = true;
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
      ++i;
      PANCAIM_RETURN_IF_ERROR(end_record());
      ++line;
      record.line = line;
      at_field_start = true;
      record_started = false;
      continue;
    }
    if (c == '"') {
      return InvalidArgumentError(Where(source, line, record.fields.size() + 1) +
                                  "quote inside an unquoted field (quote the whole field and "
                                  "double inner quotes)");
    }
    field.push_back(c);
    at_field_start = false;
    record_started = true;
    if (field.size() > limits.max_field_bytes) {
      return ResourceExhaustedError(Where(source, line, record.fields.size() + 1) +
                                    "field longer than " + std::to_string(limits.max_field_bytes) +
                                    " bytes");
    }
    ++i;
  }
  if (record_started) {
    PANCAIM_RETURN_IF_ERROR(end_record());
  }
  return records;
}

}  // namespace pancaim::sitedata
