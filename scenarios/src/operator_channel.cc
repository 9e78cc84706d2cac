#include "pancaim/scenarios/operator_channel.h"

#include <algorithm>
#include <fstream>
#include <system_error>

#include "pancaim/common/files.h"
#include "pancaim/scenarios/process_supervisor.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

StatusCode CodeFromName(const std::string& name) {
  static const std::pair<const char*, StatusCode> kCodes[] = {
      {"INVALID_ARGUMENT", StatusCode::kInvalidArgument},
      {"NOT_FOUND", StatusCode::kNotFound},
      {"ALREADY_EXISTS", StatusCode::kAlreadyExists},
      {"PERMISSION_DENIED", StatusCode::kPermissionDenied},
      {"UNAUTHENTICATED", StatusCode::kUnauthenticated},
      {"RESOURCE_EXHAUSTED", StatusCode::kResourceExhausted},
      {"FAILED_PRECONDITION", StatusCode::kFailedPrecondition},
      {"OUT_OF_RANGE", StatusCode::kOutOfRange},
      {"DATA_LOSS", StatusCode::kDataLoss},
      {"UNAVAILABLE", StatusCode::kUnavailable},
      {"DEADLINE_EXCEEDED", StatusCode::kDeadlineExceeded},
      {"CANCELLED", StatusCode::kCancelled},
      {"UNIMPLEMENTED", StatusCode::kUnimplemented},
      {"INTERNAL", StatusCode::kInternal}};
  for (const auto& [text, code] : kCodes) {
    if (name == text) return code;
  }
  return StatusCode::kUnavailable;
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& arg : args) out += (out.empty() ? "" : " ") + arg;
  return out;
}

}  // namespace

StatusOr<json> ParseOperatorReply(const std::string& text, const std::string& source) {
  json reply = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object() || !reply.contains("ok") ||
      !reply["ok"].is_boolean()) {
    std::string shown = text.substr(0, 200);
    return InvalidArgumentError(source + ": not a JSON operator reply: '" + shown + "'");
  }
  if (reply["ok"].get<bool>()) return reply;
  const std::string code = reply.value("code", std::string("UNAVAILABLE"));
  const std::string error = reply.value("error", std::string("no error message"));
  return Status(CodeFromName(code), source + ": " + error);
}

std::string LogTail(const fs::path& log, int max_lines) {
  std::ifstream in(log, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - 16384);
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::size_t cut = text.size();
  for (int lines = 0; lines < max_lines && cut != std::string::npos && cut > 0; ++lines) {
    cut = text.rfind('\n', cut - 1);
  }
  return cut == std::string::npos ? text : text.substr(cut + 1);
}

CliOperatorChannel::CliOperatorChannel(fs::path coordinator_binary, fs::path operator_config,
                                       fs::path work_dir, std::chrono::milliseconds timeout)
    : binary_(std::move(coordinator_binary)),
      config_(std::move(operator_config)),
      work_dir_(std::move(work_dir)),
      timeout_(timeout) {}

StatusOr<json> CliOperatorChannel::Call(const std::vector<std::string>& args) {
  std::error_code ec;
  fs::create_directories(work_dir_, ec);
  if (ec) return InternalError("cannot create " + work_dir_.string() + ": " + ec.message());
  ChildSpec spec;
  spec.name = "operator";
  spec.executable = binary_;
  spec.args = args;
  spec.args.insert(spec.args.end(), {"--config", config_.string(), "--json"});
  spec.log_file = work_dir_ / "operator.log";
  spec.stdout_file = work_dir_ / "operator-reply.json";
  const std::string command = "`pancaim-coordinator " + Join(args) + "`";
  ProcessSupervisor supervisor;
  PANCAIM_RETURN_IF_ERROR(supervisor.Start(spec));
  std::vector<ChildExit> exits = supervisor.WaitForExits(timeout_);
  if (exits.empty()) {
    supervisor.StopAll(std::chrono::milliseconds(500));
    return DeadlineExceededError(command + " did not answer within " +
                                 std::to_string(timeout_.count()) + " ms (log " +
                                 spec.log_file.string() + ")");
  }
  auto text = ReadFile(spec.stdout_file, 16 << 20);
  if (!text.ok() || text->empty()) {
    return UnavailableError(command + ": " + exits.front().Describe() + " without a reply; " +
                            LogTail(spec.log_file, 5));
  }
  return ParseOperatorReply(text.value(), command);
}

}  // namespace pancaim::scenarios
