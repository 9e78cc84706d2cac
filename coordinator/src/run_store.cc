#include "pancaim/coordinator/run_store.h"

#include <algorithm>
#include <cstdio>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/log.h"
#include "pancaim/crypto/sha256.h"

namespace pancaim::coordinator {
namespace {

constexpr int kFormat = 1;
constexpr char kModelFile[] = "model.safetensors";
constexpr char kStrategyFile[] = "strategy.safetensors";
constexpr char kStateFile[] = "run_state.json";
constexpr char kLatestFile[] = "LATEST";
constexpr char kEvaluationsFile[] = "evaluations.json";

// The document's checksum covers its canonical text without the "checksum" key.
std::string DocumentChecksum(nlohmann::json document) {
  document.erase("checksum");
  return crypto::Sha256Hex(document.dump());
}

StatusOr<std::int64_t> ParseRoundFolder(const std::string& name) {
  if (name.size() != 14 || name.rfind("round-", 0) != 0) return NotFoundError(name);
  std::int64_t round = 0;
  for (char c : name.substr(6)) {
    if (c < '0' || c > '9') return NotFoundError(name);
    round = round * 10 + (c - '0');
  }
  return round;
}

}  // namespace

RunStore::RunStore(std::filesystem::path folder, FileSystem* file_system, RunStoreOptions options)
    : folder_(std::move(folder)),
      fs_(file_system != nullptr ? file_system : &DefaultFileSystem()),
      options_(options) {
  PANCAIM_CHECK(options_.keep_rounds >= 1) << "RunStoreOptions.keep_rounds must be >= 1";
}

std::filesystem::path RunStore::RoundFolder(std::int64_t round) const {
  char name[32];
  std::snprintf(name, sizeof(name), "round-%08lld", static_cast<long long>(round));
  return folder_ / name;
}

Status RunStore::Save(const RunCheckpoint& checkpoint) {
  PANCAIM_CHECK(checkpoint.model != nullptr) << "RunCheckpoint without a model";
  PANCAIM_CHECK(checkpoint.round >= 0 && checkpoint.round <= 99999999);
  const std::filesystem::path dir = RoundFolder(checkpoint.round);
  PANCAIM_RETURN_IF_ERROR(fs_->CreateDirectories(dir));
  PANCAIM_RETURN_IF_ERROR(fs_->WriteFileAtomic(dir / kModelFile, checkpoint.model->bytes()));

  nlohmann::json strategy = {{"scalars", checkpoint.strategy.scalars}};
  if (!checkpoint.strategy.tensors.empty()) {
    PANCAIM_RETURN_IF_ERROR(
        fs_->WriteFileAtomic(dir / kStrategyFile, checkpoint.strategy.tensors));
    strategy["file"] = kStrategyFile;
    strategy["sha256"] = crypto::Sha256Hex(checkpoint.strategy.tensors);
    strategy["bytes"] = checkpoint.strategy.tensors.size();
  }
  nlohmann::json state = {
      {"format", kFormat},
      {"run_id", checkpoint.run_id},
      {"run_spec", checkpoint.run_spec},
      {"round", checkpoint.round},
      {"model",
       {{"file", kModelFile},
        {"sha256", checkpoint.model->Sha256()},
        {"bytes", checkpoint.model->bytes().size()}}},
      {"strategy", strategy},
      {"rng", checkpoint.rng},
      {"history", checkpoint.history},
      {"audit", checkpoint.audit},
  };
  state["checksum"] = DocumentChecksum(state);
  const std::string state_text = state.dump(1);
  PANCAIM_RETURN_IF_ERROR(fs_->WriteFileAtomic(dir / kStateFile, state_text));

  const nlohmann::json latest = {{"round", checkpoint.round},
                                 {"run_state_sha256", crypto::Sha256Hex(state_text)}};
  PANCAIM_RETURN_IF_ERROR(fs_->WriteFileAtomic(folder_ / kLatestFile, latest.dump() + "\n"));
  Prune(checkpoint.round);
  return Status::Ok();
}

StatusOr<RunCheckpoint> RunStore::LoadRound(std::int64_t round) {
  const std::filesystem::path dir = RoundFolder(round);
  PANCAIM_ASSIGN_OR_RETURN(std::string state_text, fs_->ReadFile(dir / kStateFile, 1u << 30));
  const std::string state_path = (dir / kStateFile).string();
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json state, config::ParseJson(state_text, state_path));
  if (!state.is_object() || !state.contains("checksum") || !state["checksum"].is_string() ||
      state["checksum"].get<std::string>() != DocumentChecksum(state)) {
    return DataLossError(state_path + ": checksum mismatch (file corrupted or edited)");
  }
  RunCheckpoint checkpoint;
  try {
    if (state.at("format").get<int>() != kFormat) {
      return DataLossError(state_path + ": unknown format " + state.at("format").dump());
    }
    checkpoint.run_id = state.at("run_id").get<std::string>();
    checkpoint.run_spec = state.at("run_spec");
    checkpoint.round = state.at("round").get<std::int64_t>();
    checkpoint.rng = state.at("rng");
    checkpoint.history = state.at("history");
    checkpoint.audit = state.at("audit");
    const nlohmann::json& strategy = state.at("strategy");
    checkpoint.strategy.scalars = strategy.at("scalars");
    if (checkpoint.round != round) {
      return DataLossError(state_path + ": holds round " + std::to_string(checkpoint.round));
    }

    const std::filesystem::path model_path = dir / kModelFile;
    PANCAIM_ASSIGN_OR_RETURN(std::string model_bytes,
                             fs_->ReadFile(model_path, options_.max_file_bytes));
    if (crypto::Sha256Hex(model_bytes) != state.at("model").at("sha256").get<std::string>()) {
      return DataLossError(model_path.string() + ": SHA-256 differs from " + state_path);
    }
    PANCAIM_ASSIGN_OR_RETURN(SafetensorsBuffer model,
                             SafetensorsBuffer::FromBytes(std::move(model_bytes),
                                                          model_path.string()));
    checkpoint.model = std::make_shared<const SafetensorsBuffer>(std::move(model));

    if (strategy.contains("file")) {
      const std::filesystem::path strategy_path = dir / kStrategyFile;
      PANCAIM_ASSIGN_OR_RETURN(checkpoint.strategy.tensors,
                               fs_->ReadFile(strategy_path, options_.max_file_bytes));
      if (crypto::Sha256Hex(checkpoint.strategy.tensors) !=
          strategy.at("sha256").get<std::string>()) {
        return DataLossError(strategy_path.string() + ": SHA-256 differs from " + state_path);
      }
    }
  } catch (const nlohmann::json::exception& error) {
    return DataLossError(state_path + ": " + error.what());
  }
  return checkpoint;
}

StatusOr<std::vector<std::int64_t>> RunStore::ListRounds() {
  auto names = fs_->ListDirectory(folder_);
  if (!names.ok()) {
    if (names.status().code() == StatusCode::kNotFound) return std::vector<std::int64_t>{};
    return names.status();
  }
  std::vector<std::int64_t> rounds;
  for (const std::string& name : *names) {
    auto round = ParseRoundFolder(name);
    if (round.ok()) rounds.push_back(*round);
  }
  std::sort(rounds.rbegin(), rounds.rend());
  return rounds;
}

StatusOr<std::optional<RunCheckpoint>> RunStore::LoadLatest() {
  const std::filesystem::path latest_path = folder_ / kLatestFile;
  auto latest_text = fs_->ReadFile(latest_path, 1 << 16);
  if (!latest_text.ok()) {
    if (latest_text.status().code() != StatusCode::kNotFound) return latest_text.status();
    PANCAIM_ASSIGN_OR_RETURN(std::vector<std::int64_t> rounds, ListRounds());
    if (rounds.empty()) return std::optional<RunCheckpoint>();
    return DataLossError(latest_path.string() + " is missing but round folders exist");
  }
  std::int64_t latest = -1;
  std::string expected_sha;
  auto parsed = config::ParseJson(*latest_text, latest_path.string());
  if (parsed.ok() && parsed->is_object() && (*parsed)["round"].is_number_integer() &&
      (*parsed)["run_state_sha256"].is_string()) {
    latest = (*parsed)["round"].get<std::int64_t>();
    expected_sha = (*parsed)["run_state_sha256"].get<std::string>();
  } else {
    return DataLossError(latest_path.string() + ": not a valid LATEST record");
  }

  Status first_error;
  PANCAIM_ASSIGN_OR_RETURN(std::vector<std::int64_t> rounds, ListRounds());
  for (std::int64_t round : rounds) {
    if (round > latest) continue;  // an unfinished later round: LATEST never named it
    auto checkpoint = LoadRound(round);
    if (checkpoint.ok() && round == latest) {
      auto text = fs_->ReadFile(RoundFolder(round) / kStateFile, 1u << 30);
      if (!text.ok()) {
        checkpoint = text.status();
      } else if (crypto::Sha256Hex(*text) != expected_sha) {
        // Saving the latest round again (pause, resume, abort, a failure) rewrites its files
        // in place and LATEST last; a crash in between leaves a state file that verifies by its
        // own checksum, and a model that verifies against it, but not LATEST's digest. It is
        // the newer state of the same round, so it is used (with a warning).
        PANCAIM_LOG(WARNING) << "run store " << folder_.string() << ": "
                             << (RoundFolder(round) / kStateFile).string()
                             << " was rewritten after LATEST (interrupted re-save of round "
                             << round << "); using it";
      }
    }
    if (checkpoint.ok()) {
      if (round != latest) {
        PANCAIM_LOG(WARNING) << "run store " << folder_.string() << ": round " << latest
                             << " failed verification (" << first_error.message()
                             << "); resuming from round " << round;
      }
      return std::optional<RunCheckpoint>(std::move(checkpoint).value());
    }
    if (first_error.ok()) first_error = checkpoint.status();
  }
  if (first_error.ok()) {
    return DataLossError(latest_path.string() + " names round " + std::to_string(latest) +
                         ", whose folder is missing");
  }
  return DataLossError("no checkpoint in " + folder_.string() +
                       " verifies; latest error: " + first_error.message());
}

Status RunStore::SaveEvaluations(const nlohmann::json& evaluations) {
  PANCAIM_CHECK(evaluations.is_object()) << "evaluations must be a JSON object";
  PANCAIM_RETURN_IF_ERROR(fs_->CreateDirectories(folder_));
  nlohmann::json document = {{"format", kFormat}, {"evaluations", evaluations}};
  document["checksum"] = DocumentChecksum(document);
  return fs_->WriteFileAtomic(folder_ / kEvaluationsFile, document.dump(1));
}

StatusOr<nlohmann::json> RunStore::LoadEvaluations() {
  const std::filesystem::path path = folder_ / kEvaluationsFile;
  auto text = fs_->ReadFile(path, 1u << 28);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return nlohmann::json::object();
    return text.status();
  }
  PANCAIM_ASSIGN_OR_RETURN(nlohmann::json document, config::ParseJson(*text, path.string()));
  if (!document.is_object() || !document.contains("checksum") ||
      !document["checksum"].is_string() ||
      document["checksum"].get<std::string>() != DocumentChecksum(document)) {
    return DataLossError(path.string() + ": checksum mismatch (file corrupted or edited)");
  }
  if (document.value("format", 0) != kFormat || !document.contains("evaluations") ||
      !document["evaluations"].is_object()) {
    return DataLossError(path.string() + ": not an evaluations record of format " +
                         std::to_string(kFormat));
  }
  return document["evaluations"];
}

void RunStore::Prune(std::int64_t latest) {
  auto rounds = ListRounds();
  if (!rounds.ok()) return;
  for (std::int64_t round : *rounds) {
    if (round > latest || round > latest - options_.keep_rounds) continue;
    Status removed = fs_->RemoveAll(RoundFolder(round));
    if (!removed.ok()) {
      PANCAIM_LOG(WARNING) << "run store: " << removed.message();
    }
  }
}

}  // namespace pancaim::coordinator
