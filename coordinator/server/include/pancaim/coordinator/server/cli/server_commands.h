// `pancaim-coordinator serve` and the operator commands (submit, status, sites, pause, resume,
// abort, export). AddServerCommands registers them on the coordinator's CLI::App; a command's
// exit status is written to *exit_code (0 ok, 1 failure, 2 usage).
#pragma once

#include <CLI/CLI.hpp>

namespace pancaim::coordinator::server::cli {

void AddServerCommands(CLI::App& app, int* exit_code);

}  // namespace pancaim::coordinator::server::cli
