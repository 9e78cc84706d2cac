#include "pancaim/fedavg_bench/fedavg_checkpoint.h"

#include <cstdio>
#include <system_error>
#include <utility>

#include "pancaim/common/files.h"
#include "pancaim/coordinator/safetensors_buffer.h"

namespace pancaim::fedavg_bench {
namespace {

constexpr int kFormat = 1;
constexpr std::uint64_t kMaxStateBytes = std::uint64_t{64} << 20;   // rounds x small rows
constexpr std::uint64_t kMaxModelBytes = std::uint64_t{1} << 30;

std::string ModelFileName(std::int64_t round) {
  char name[64];
  std::snprintf(name, sizeof(name), "global-round-%06lld.safetensors",
                static_cast<long long>(round));
  return name;
}

// A short rendering of a JSON value for error messages.
std::string Show(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

bool SameValue(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
  }
  return a == b;
}

}  // namespace

bool HasFedAvgCheckpoint(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir / kCheckpointStateFile, ec);
}

Status WriteFedAvgCheckpoint(const std::filesystem::path& dir,
                             const FedAvgCheckpoint& checkpoint) {
  if (checkpoint.rounds_done < 1) {
    return InvalidArgumentError("fedavg checkpoint: rounds_done must be >= 1, got " +
                                std::to_string(checkpoint.rounds_done));
  }
  if (checkpoint.global_model.empty()) {
    return InvalidArgumentError("fedavg checkpoint: empty global model");
  }
  if (!checkpoint.settings.is_object() || !checkpoint.rounds.is_array()) {
    return InvalidArgumentError("fedavg checkpoint: settings must be an object, rounds an array");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return InternalError("fedavg checkpoint: cannot create " + dir.string() + ": " +
                         ec.message());
  }
  PANCAIM_ASSIGN_OR_RETURN(
      coordinator::SafetensorsBuffer model,
      coordinator::SafetensorsBuffer::FromBytes(checkpoint.global_model, "fedavg global model"));
  const std::string model_file = ModelFileName(checkpoint.rounds_done);
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(dir / model_file, checkpoint.global_model));
  const nlohmann::json state = {{"format", kFormat},
                                {"settings", checkpoint.settings},
                                {"rounds_done", checkpoint.rounds_done},
                                {"global_model", model_file},
                                {"global_model_sha256", model.Sha256()},
                                {"rounds", checkpoint.rounds}};
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(dir / kCheckpointStateFile, state.dump(1) + "\n"));
  // The new state is committed: older model files are no longer referenced.
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name != model_file && name.starts_with("global-round-") &&
        name.ends_with(".safetensors")) {
      std::error_code ignored;
      std::filesystem::remove(entry.path(), ignored);
    }
  }
  return Status::Ok();
}

StatusOr<FedAvgCheckpoint> ReadFedAvgCheckpoint(const std::filesystem::path& dir) {
  const std::filesystem::path state_path = dir / kCheckpointStateFile;
  const std::string where = "fedavg checkpoint " + state_path.string();
  std::error_code ec;
  if (!std::filesystem::exists(state_path, ec)) {
    return NotFoundError(where + ": missing (no checkpoint in this folder)");
  }
  PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(state_path, kMaxStateBytes));
  nlohmann::json state = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded() || !state.is_object()) {
    return DataLossError(where + ": not a JSON object (torn or damaged file?)");
  }
  auto field = [&](const char* key, nlohmann::json::value_t type) -> StatusOr<nlohmann::json> {
    const auto it = state.find(key);
    if (it == state.end()) return DataLossError(where + ": field '" + key + "' missing");
    const bool ok = type == nlohmann::json::value_t::number_integer
                        ? it->is_number_integer()
                        : it->type() == type;
    if (!ok) return DataLossError(where + ": field '" + key + "' has the wrong type");
    return *it;
  };
  using T = nlohmann::json::value_t;
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json format, field("format", T::number_integer));
  if (format.get<std::int64_t>() != kFormat) {
    return DataLossError(where + ": field 'format' is " + format.dump() + ", this build reads " +
                         std::to_string(kFormat));
  }
  FedAvgCheckpoint checkpoint;
  PANCAIM_ASSIGN_OR_RETURN(checkpoint.settings, field("settings", T::object));
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json rounds_done, field("rounds_done", T::number_integer));
  checkpoint.rounds_done = rounds_done.get<std::int64_t>();
  if (checkpoint.rounds_done < 1) {
    return DataLossError(where + ": field 'rounds_done' must be >= 1");
  }
  PANCAIM_ASSIGN_OR_RETURN(checkpoint.rounds, field("rounds", T::array));
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json model_file, field("global_model", T::string));
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json sha256, field("global_model_sha256", T::string));
  const std::string name = model_file.get<std::string>();
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return DataLossError(where + ": field 'global_model' must be a file name in the folder");
  }
  const std::filesystem::path model_path = dir / name;
  if (!std::filesystem::exists(model_path, ec)) {
    return NotFoundError(where + ": model file " + model_path.string() + " missing");
  }
  PANCAIM_ASSIGN_OR_RETURN(checkpoint.global_model, ReadFile(model_path, kMaxModelBytes));
  PANCAIM_ASSIGN_OR_RETURN(
      coordinator::SafetensorsBuffer model,
      coordinator::SafetensorsBuffer::FromBytes(checkpoint.global_model, model_path.string()));
  if (model.Sha256() != sha256.get<std::string>()) {
    return DataLossError(where + ": " + model_path.string() + " has SHA-256 " + model.Sha256() +
                         ", the state records " + sha256.get<std::string>());
  }
  return checkpoint;
}

Status CheckSameSettings(const nlohmann::json& saved, const nlohmann::json& current,
                         const std::string& source) {
  for (const auto& [key, value] : current.items()) {
    const auto it = saved.find(key);
    if (it == saved.end()) {
      return FailedPreconditionError(source + ": setting '" + key +
                                     "' is not in the checkpoint (now " + Show(value) + ")");
    }
    if (!SameValue(*it, value)) {
      return FailedPreconditionError(source + ": setting '" + key + "' is " + Show(*it) +
                                     " in the checkpoint but " + Show(value) +
                                     " now; continue with the checkpoint's settings or use "
                                     "another checkpoint folder");
    }
  }
  for (const auto& [key, value] : saved.items()) {
    if (!current.contains(key)) {
      return FailedPreconditionError(source + ": the checkpoint has setting '" + key + "' (" +
                                     Show(value) + ") that this run does not know");
    }
  }
  return Status::Ok();
}

}  // namespace pancaim::fedavg_bench
