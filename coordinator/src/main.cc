// pancaim-coordinator: the coordinator's command line. Each subcommand lives in its own file under
// src/cli/ and registers itself here.
#include <CLI/CLI.hpp>

#include "pancaim/coordinator/cli/audit_command.h"
#include "pancaim/coordinator/server/cli/server_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"PANCAIM-FL coordinator: runs federated training rounds and keeps their audit trail"};
  app.require_subcommand(1);
  int exit_code = 0;
  pancaim::coordinator::server::cli::AddServerCommands(app, &exit_code);
  pancaim::coordinator::cli::AddAuditCommand(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
