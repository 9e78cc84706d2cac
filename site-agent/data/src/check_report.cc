#include "pancaim/site_data/check_report.h"

#include <cstdio>

namespace pancaim::sitedata {

void LabelBalance::Add(std::optional<int> pdac_label, std::optional<int> event,
                       bool has_survival_time) {
  if (!pdac_label) {
    ++pdac_unknown;
  } else if (*pdac_label == 1) {
    ++pdac;
  } else {
    ++no_pdac;
  }
  if (!event || !has_survival_time) {
    ++survival_unknown;
  } else if (*event == 1) {
    ++events;
  } else {
    ++censored;
  }
}

nlohmann::json LabelBalance::ToJson() const {
  return {{"pdac", pdac},     {"no_pdac", no_pdac},   {"pdac_unknown", pdac_unknown},
          {"events", events}, {"censored", censored}, {"survival_unknown", survival_unknown}};
}

std::string LabelBalance::Render() const {
  return "PDAC " + std::to_string(pdac) + " / no PDAC " + std::to_string(no_pdac) +
         " / unknown " + std::to_string(pdac_unknown) + "; survival: " + std::to_string(events) +
         " events, " + std::to_string(censored) + " censored, " +
         std::to_string(survival_unknown) + " unknown";
}

Histogram& ModalityReport::HistogramFor(const std::string& title, const std::string& unit,
                                        const std::vector<double>& edges) {
  for (Histogram& histogram : histograms) {
    if (histogram.title() == title) return histogram;
  }
  histograms.emplace_back(title, unit, edges);
  return histograms.back();
}

std::int64_t CheckDataReport::TotalProblems() const {
  auto total = static_cast<std::int64_t>(manifest_issues.size());
  for (const auto& modality : modalities) total += static_cast<std::int64_t>(modality.failures.size());
  return total;
}

nlohmann::json CheckDataReport::ToJson() const {
  const auto issues = [](const std::vector<DataIssue>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& issue : list) {
      out.push_back({{"file", issue.file},
                     {"line", issue.line},
                     {"column", issue.column},
                     {"column_name", issue.column_name},
                     {"patient_id", issue.patient_id},
                     {"reason", issue.message},
                     {"text", issue.ToString()}});
    }
    return out;
  };
  nlohmann::json out = {{"site_id", site_id},
                        {"manifest", manifest},
                        {"strict", strict},
                        {"manifest_rows", manifest_rows},
                        {"patients", patients},
                        {"splits", splits},
                        {"manifest_issues", issues(manifest_issues)},
                        {"problems", TotalProblems()},
                        {"ok", TotalProblems() == 0 && stopped.ok()},
                        {"seconds", seconds}};
  if (!stopped.ok()) out["stopped"] = stopped.ToString();
  nlohmann::json sections = nlohmann::json::object();
  for (const auto& m : modalities) {
    nlohmann::json section = {{"checked", m.checked},
                              {"patients", m.patients},
                              {"patients_ok", m.patients_ok},
                              {"files_read", m.files_read},
                              {"failures", issues(m.failures)},
                              {"labels", m.labels.ToJson()},
                              {"counts", m.counts},
                              {"notes", m.notes}};
    if (!m.checked) section["not_checked_reason"] = m.not_checked_reason;
    section["histograms"] = nlohmann::json::array();
    for (const auto& h : m.histograms) section["histograms"].push_back(h.ToJson());
    if (!m.extra.is_null()) section["details"] = m.extra;
    sections[m.modality] = std::move(section);
  }
  out["modalities"] = std::move(sections);
  return out;
}

std::string CheckDataReport::ToText() const {
  std::string out = "check-data: site " + site_id + ", manifest " + manifest + "\n";
  out += "  " + std::to_string(manifest_rows) + " manifest rows, " + std::to_string(patients) +
         " patients accepted";
  for (const auto& [split, count] : splits) out += ", " + split + " " + std::to_string(count);
  out += "\n";
  if (!manifest_issues.empty()) {
    out += "  manifest rows skipped: " + std::to_string(manifest_issues.size()) + "\n";
    for (const auto& issue : manifest_issues) out += "    " + issue.ToString() + "\n";
  }
  for (const auto& m : modalities) {
    out += "\n[" + m.modality + "] ";
    if (!m.checked) {
      out += std::to_string(m.patients) + " patients listed; NOT CHECKED: " + m.not_checked_reason +
             "\n";
      continue;
    }
    out += std::to_string(m.patients) + " patients, " + std::to_string(m.patients_ok) + " ok, " +
           std::to_string(m.files_read) + " files read, " + std::to_string(m.failures.size()) +
           " failures\n";
    if (m.patients_ok > 0 || m.modality == "clinical") out += "  labels: " + m.labels.Render() + "\n";
    for (const auto& [name, count] : m.counts) {
      out += "  " + name + ": " + std::to_string(count) + "\n";
    }
    for (const auto& note : m.notes) out += "  note: " + note + "\n";
    for (const auto& h : m.histograms) out += h.Render();
    for (const auto& failure : m.failures) out += "  FAILED " + failure.ToString() + "\n";
  }
  char timing[64];
  std::snprintf(timing, sizeof(timing), "%.1f s", seconds);
  out += "\n";
  if (!stopped.ok()) {
    out += "STOPPED (strict): " + stopped.message() + "\n";
  } else {
    out += TotalProblems() == 0 ? "OK: no problems found" : std::to_string(TotalProblems()) +
                                                                " problem(s) found, records skipped";
    out += " (" + std::string(timing) + ")\n";
  }
  return out;
}

}  // namespace pancaim::sitedata
