// pancaim-site: the site agent's command line (thin main; subcommands in commands.h).
#include <cstdio>
#include <exception>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "PANCAIM-FL site agent: checks this hospital's data (CT/MR, slides, VCF, clinical table) "
      "and takes part in federated training; patient data never leaves the site."};
  app.require_subcommand(1);
  int exit_code = 0;
  pancaim::site_cli::RegisterCheckDataCommand(app, &exit_code);
  pancaim::site_cli::RegisterConfigSchemaCommand(app, &exit_code);
  pancaim::site_cli::RegisterModelsCommand(app, &exit_code);
  pancaim::site_cli::RegisterRunCommand(app, &exit_code);
  try {
    CLI11_PARSE(app, argc, argv);
  } catch (const std::exception& e) {
    // Input errors come back as Status; anything thrown here is a bug worth a clear line.
    std::fprintf(stderr, "pancaim-site: internal error: %s\n", e.what());
    return 3;
  }
  return exit_code;
}
