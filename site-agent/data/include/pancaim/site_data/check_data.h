// `pancaim-site check-data`: reads everything a site has, without training, and reports per
// modality what was read and what failed. Lenient by default (bad records are skipped and
// reported); strict mode stops at the first problem.
#pragma once

#include <memory>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/site_data/check_report.h"
#include "pancaim/site_data/modality_checker.h"
#include "pancaim/site_data/site_config.h"

namespace pancaim::sitedata {

struct CheckDataOptions {
  bool strict = false;
  bool progress = true;  // ProgressDisplay on stderr over patients
};

// Runs the manifest, clinical and modality checks. Returns a report in both modes; in strict mode
// report.stopped holds the first problem. Errors (no report possible): the manifest cannot be read
// at all (missing, unreadable header).
StatusOr<CheckDataReport> RunCheckData(const SiteConfig& config, const CheckDataOptions& options,
                                       std::vector<std::unique_ptr<ModalityChecker>> checkers);

// As above with MakeModalityCheckers(config); also fails when those cannot be made.
StatusOr<CheckDataReport> RunCheckData(const SiteConfig& config, const CheckDataOptions& options);

}  // namespace pancaim::sitedata
