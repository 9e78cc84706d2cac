#include "pancaim/coordinator/cli/audit_command.h"

#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "pancaim/coordinator/audit_log.h"

namespace pancaim::coordinator::cli {
namespace {

struct VerifyArgs {
  std::string file;
  bool json = false;
};

int RunVerify(const VerifyArgs& args) {
  auto result = VerifyAuditLog(args.file);
  if (args.json) {
    nlohmann::json out = {{"file", args.file}, {"ok", result.ok()}};
    if (result.ok()) {
      out["records"] = result->records;
      out["head_hash"] = result->head_hash;
    } else {
      out["error"] = result.status().message();
    }
    std::cout << out.dump(2) << "\n";
  } else if (result.ok()) {
    std::cout << args.file << ": chain intact, " << result->records << " records, head "
              << result->head_hash << "\n";
  } else {
    std::cerr << "audit verify: " << result.status().message() << "\n";
  }
  return result.ok() ? 0 : 1;
}

}  // namespace

void AddAuditCommand(CLI::App& app, int* exit_code) {
  CLI::App* audit = app.add_subcommand("audit", "Inspect the coordinator's audit log");
  audit->require_subcommand(1);
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = audit->add_subcommand(
      "verify", "Check the hash chain of an audit log; exit 1 and name the first broken line if "
                "it was edited, cut in the middle, or reordered");
  verify->add_option("FILE", args->file, "Audit log (JSON lines)")->required();
  verify->add_flag("--json", args->json, "Print the result as JSON");
  verify->callback([args, exit_code] { *exit_code = RunVerify(*args); });
}

}  // namespace pancaim::coordinator::cli
