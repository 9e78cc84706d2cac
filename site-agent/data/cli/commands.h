// Subcommands of `pancaim-site`. Each Register* function adds one subcommand to `app`; its
// callback runs the command and stores the process exit status in `*exit_code` (0 success,
// 1 the checked data has errors in strict mode, 2 invalid configuration or unreadable manifest;
// command-line mistakes exit through CLI11 with its own codes).
// To add a subcommand: a new <name>_command.cc with its Register function, declared here and
// called from pancaim_site_main.cc.
#pragma once

#include <CLI/CLI.hpp>

namespace pancaim::site_cli {

// check-data --config site.json [--strict] [--json] [--no-progress]
void RegisterCheckDataCommand(CLI::App& app, int* exit_code);

// config-schema: prints the site.json key reference (Markdown, as in docs/data.md).
void RegisterConfigSchemaCommand(CLI::App& app, int* exit_code);

// `models`: the model zoo's models with task and parameter count.
void RegisterModelsCommand(CLI::App& app, int* exit_code);

// run --config site.json [--device D] [--threads N] [--fault KIND]: the site agent (site_agent.h).
void RegisterRunCommand(CLI::App& app, int* exit_code);

}  // namespace pancaim::site_cli
