// pancaim-config-docs: renders docs/configuration.md from the configuration schemas, the single
// definition of every key. `--check FILE` exits 1 when FILE differs (used by a test, so the
// documentation cannot drift from the code).
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "pancaim/common/files.h"
#include "pancaim/coordinator/coordinator_config.h"
#include "pancaim/scenarios/scenario_config.h"
#include "pancaim/site_data/site_config.h"

namespace {

std::string RenderConfigurationDocs() {
  std::string out =
      "# Configuration\n\n"
      "Every configuration file is JSON, validated when loaded: an unknown key, a value of the wrong\n"
      "type or out of range is refused with the key's full path (for example\n"
      "`coordinator.json: key 'server.port': expected an integer, got string`). Keys that are left out\n"
      "take the defaults below. This file is generated from the schemas in the code by\n"
      "`build/bin/pancaim-config-docs --write docs/configuration.md`; a test keeps it in step.\n\n";
  out += pancaim::coordinator::CoordinatorConfigSchema().Markdown(
      "Coordinator (`pancaim-coordinator serve --config coordinator.json`)");
  out += pancaim::coordinator::RunSpecSchema().Markdown(
      "Run specification (`pancaim-coordinator submit RUN.json`)");
  out += pancaim::sitedata::SiteConfigSchema().Markdown(
      "Site (`pancaim-site run|check-data --config site.json`)");
  out += pancaim::scenarios::ScenarioConfigSchema().Markdown(
      "Scenario (`pancaim-sim generate|run SCENARIO.json`)");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Renders docs/configuration.md from the configuration schemas."};
  std::string write_path, check_path;
  app.add_option("--write", write_path, "Write the Markdown to this file");
  app.add_option("--check", check_path, "Exit 1 when this file differs from the rendered Markdown");
  CLI11_PARSE(app, argc, argv);

  const std::string docs = RenderConfigurationDocs();
  if (!check_path.empty()) {
    auto current = pancaim::ReadFile(check_path);
    if (!current.ok()) {
      std::cerr << "pancaim-config-docs: " << current.status() << "\n";
      return 1;
    }
    if (*current != docs) {
      std::cerr << "pancaim-config-docs: " << check_path
                << " is out of date; regenerate it with: build/bin/pancaim-config-docs --write "
                << check_path << "\n";
      return 1;
    }
    std::cout << check_path << " is up to date\n";
    return 0;
  }
  if (!write_path.empty()) {
    auto status = pancaim::WriteFileAtomic(write_path, docs);
    if (!status.ok()) {
      std::cerr << "pancaim-config-docs: " << status << "\n";
      return 1;
    }
    return 0;
  }
  std::cout << docs;
  return 0;
}
