#include <iostream>

#include "commands.h"
#include "pancaim/site_data/site_config.h"

namespace pancaim::site_cli {

void RegisterConfigSchemaCommand(CLI::App& app, int* exit_code) {
  CLI::App* command = app.add_subcommand(
      "config-schema", "Print the reference of every site.json key (Markdown, as in docs/data.md)");
  command->callback([exit_code] {
    std::cout << sitedata::SiteConfigSchema().Markdown("Site configuration keys", 3);
    *exit_code = 0;
  });
}

}  // namespace pancaim::site_cli
