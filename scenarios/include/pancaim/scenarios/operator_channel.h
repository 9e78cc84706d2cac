// How `pancaim-sim run` talks to its coordinator as the consortium's operator: one operator
// command at a time (`submit`, `status`, `sites`, `export`, ...), each answered with the JSON the
// command prints under `--json`. The production implementation runs the real
// `pancaim-coordinator <command> --config operator.json --json` binary as a child process, so
// the simulation exercises exactly what a human operator types; tests substitute a fake.
//
// Not thread-safe: one owner thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::scenarios {

// One operator command, answered with its JSON reply.
class OperatorChannel {
 public:
  virtual ~OperatorChannel() = default;
  // `args` are the command line after the binary, without --config/--json, e.g.
  // {"status", "run-1"}. Returns the reply object ({"ok": true, ...}). Errors: a reply with
  // "ok": false becomes a Status with the reply's code and message; a command that cannot be
  // run, exits without a JSON reply or runs past its timeout is Unavailable/DeadlineExceeded
  // naming the command and its log.
  virtual StatusOr<nlohmann::json> Call(const std::vector<std::string>& args) = 0;
};

// Runs `coordinator_binary ARGS --config operator_config --json` under its own
// ProcessSupervisor: stdout (the JSON reply) to `work_dir`/operator-reply.json, stderr appended
// to `work_dir`/operator.log.
class CliOperatorChannel : public OperatorChannel {
 public:
  CliOperatorChannel(std::filesystem::path coordinator_binary,
                     std::filesystem::path operator_config, std::filesystem::path work_dir,
                     std::chrono::milliseconds timeout = std::chrono::seconds(60));
  StatusOr<nlohmann::json> Call(const std::vector<std::string>& args) override;

 private:
  std::filesystem::path binary_;
  std::filesystem::path config_;
  std::filesystem::path work_dir_;
  std::chrono::milliseconds timeout_;
};

// Parses a `--json` reply printed by an operator command (`source` names it in errors): the
// object itself when "ok" is true, its error as a Status otherwise. InvalidArgument when the
// text is not such an object.
StatusOr<nlohmann::json> ParseOperatorReply(const std::string& text, const std::string& source);

// The last `max_lines` lines of a log file (at most its last 16 KiB), for error messages; empty
// when it cannot be read.
std::string LogTail(const std::filesystem::path& log, int max_lines = 15);

}  // namespace pancaim::scenarios
