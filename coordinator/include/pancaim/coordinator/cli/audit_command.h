// `pancaim-coordinator audit ...` subcommands. Each Add*Command function registers a subcommand
// on the top-level CLI11 app; its callback runs the command and stores the process exit code in
// `*exit_code` (0 success, 1 failure, reasons printed to stderr). Other subcommands (serve,
// submit, status, ...) follow the same pattern in their own files.
#pragma once

#include <CLI/CLI.hpp>

namespace pancaim::coordinator::cli {

// `audit verify FILE [--json]`: checks the hash chain of an audit log; prints the record count and
// head hash, or the first broken line.
void AddAuditCommand(CLI::App& app, int* exit_code);

}  // namespace pancaim::coordinator::cli
