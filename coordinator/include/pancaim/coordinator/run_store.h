// RunStore: the durable state of one run, written after every round so that a coordinator killed
// at any point resumes from the last completed round and, fed the same updates, produces the same
// bits as a run that never stopped.
//
// Layout under the run's folder:
//   round-00000003/model.safetensors     global model after round 3 (round 0 = initial model)
//   round-00000003/strategy.safetensors  server optimiser moments (absent when stateless)
//   round-00000003/run_state.json        run spec, round, strategy scalars, RNG state, metrics
//                                        history, SHA-256 of both files, and its own checksum
//   LATEST                               {"round": 3, "run_state_sha256": "..."}
//   evaluations.json                     federated evaluation results by round, with checksum
// Each file is written atomically (temporary file, fsync, rename, folder fsync), the round's files
// first and LATEST last: a round counts as done once LATEST names it. A failed write (a full disk)
// returns the error and leaves LATEST, and so the previous checkpoint, as it was. Older round
// folders are pruned only after LATEST moved on.
//
// Not thread-safe: one owner (the run's strand).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/coordinator/aggregator.h"
#include "pancaim/coordinator/file_system.h"
#include "pancaim/coordinator/safetensors_buffer.h"

namespace pancaim::coordinator {

// Everything a run needs to continue after a restart.
struct RunCheckpoint {
  std::string run_id;
  nlohmann::json run_spec;         // as submitted, validated
  std::int64_t round = 0;          // rounds completed; 0 = the initial model
  std::shared_ptr<const SafetensorsBuffer> model;  // global model after `round`
  StrategyState strategy;
  nlohmann::json rng;              // the round state machine's RNG state (opaque here)
  nlohmann::json history = nlohmann::json::array();  // one entry of metrics per completed round
  // The audit log's head when the round was saved ({"records": n, "head_hash": h}; null when not
  // kept): an anchor outside the log that reveals lines cut off its end.
  nlohmann::json audit;
};

struct RunStoreOptions {
  int keep_rounds = 2;                               // round folders kept (>= 1)
  std::uint64_t max_file_bytes = std::uint64_t{64} << 30;  // refuse larger files on load
};

class RunStore {
 public:
  // `file_system` must outlive the store (DefaultFileSystem() when null).
  explicit RunStore(std::filesystem::path folder, FileSystem* file_system = nullptr,
                    RunStoreOptions options = {});

  // Writes `checkpoint` as round checkpoint.round and then moves LATEST to it. Errors name the
  // file; on error the previous checkpoint stays the one LoadLatest returns.
  Status Save(const RunCheckpoint& checkpoint);

  // The last completed round, every checksum verified; std::nullopt when nothing was saved yet.
  // A latest round whose run_state.json verifies by its own checksum but differs from the digest
  // in LATEST was being saved again (same round) when the process stopped: it is used.
  // If the round LATEST names fails verification, older kept rounds are tried (with a warning);
  // DataLoss when none verifies.
  StatusOr<std::optional<RunCheckpoint>> LoadLatest();

  // Loads and verifies one round's checkpoint.
  StatusOr<RunCheckpoint> LoadRound(std::int64_t round);

  // Federated evaluation results ({"<round>": {...}}, an object) arrive after their round's
  // checkpoint was written, so they live beside the checkpoints in evaluations.json (written
  // atomically, with its own checksum) rather than rewriting a round's files; the checkpoints
  // stay exactly as the rounds produced them. Errors name the file.
  Status SaveEvaluations(const nlohmann::json& evaluations);
  // The saved results; an empty object when none were saved. DataLoss when the file fails its
  // checksum or is not such an object.
  StatusOr<nlohmann::json> LoadEvaluations();

  std::filesystem::path RoundFolder(std::int64_t round) const;
  const std::filesystem::path& folder() const { return folder_; }

 private:
  StatusOr<std::vector<std::int64_t>> ListRounds();
  void Prune(std::int64_t latest);

  std::filesystem::path folder_;
  FileSystem* fs_;
  RunStoreOptions options_;
};

}  // namespace pancaim::coordinator
