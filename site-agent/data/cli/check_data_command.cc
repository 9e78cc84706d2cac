#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "pancaim/site_data/check_data.h"
#include "pancaim/site_data/site_config.h"

namespace pancaim::site_cli {
namespace {

struct CheckDataFlags {
  std::string config;
  bool strict = false;
  bool json = false;
  bool no_progress = false;
};

int RunCheckDataCommand(const CheckDataFlags& flags) {
  StatusOr<sitedata::SiteConfig> config = sitedata::LoadSiteConfig(flags.config);
  if (!config.ok()) {
    std::fprintf(stderr, "check-data: %s\n", config.status().ToString().c_str());
    return 2;
  }
  sitedata::CheckDataOptions options;
  options.strict = flags.strict;
  options.progress = !flags.no_progress;
  StatusOr<sitedata::CheckDataReport> report = sitedata::RunCheckData(*config, options);
  if (!report.ok()) {
    std::fprintf(stderr, "check-data: %s\n", report.status().ToString().c_str());
    return 2;
  }
  if (flags.json) {
    // Cells and paths from the site may hold invalid UTF-8; replace it rather than throw.
    std::cout << report->ToJson().dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << report->ToText();
  }
  if (!report->stopped.ok()) return 1;
  return 0;
}

}  // namespace

void RegisterCheckDataCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<CheckDataFlags>();
  CLI::App* command = app.add_subcommand(
      "check-data",
      "Read all of the site's data without training and report, per modality, patients, files "
      "read, failures (file and reason), label balance and spacing/resolution histograms. Bad "
      "records are skipped and reported; --strict stops at the first problem (exit status 1).");
  command->add_option("--config", flags->config, "Site configuration file (site.json)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_flag("--strict", flags->strict, "Fail on the first problem");
  command->add_flag("--json", flags->json, "Print the report as JSON on stdout");
  command->add_flag("--no-progress", flags->no_progress, "Do not show progress on stderr");
  command->callback([flags, exit_code] { *exit_code = RunCheckDataCommand(*flags); });
}

}  // namespace pancaim::site_cli
