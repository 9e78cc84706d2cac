// Checkpoints of a FedAvgSimulation run, so that a run of hours (pathological non-IID MNIST to
// round 229) can be continued in a later process and give the same numbers as an uninterrupted
// run.
//
// Why the global model and the round number are enough: client selection is derived from
// (seed, round), each client's local training from (seed, round, client) (zoo::Train reseeds
// LibTorch's generator), the partition from the settings, and "fedavg" aggregation keeps no state
// between rounds. So a simulation created with the same settings and given the saved global model
// continues bit for bit (the test checks 3 rounds straight against 2 + resume + 1).
//
// Files in the checkpoint folder, each written with WriteFileAtomic (temporary file, fsync,
// rename):
//   global-round-NNNNNN.safetensors  the global model after round NNNNNN, exactly the bytes the
//                                    aggregation round produced;
//   state.json                       {"format": 1, "settings": {...}, "rounds_done": N,
//                                    "global_model": file name, "global_model_sha256": hex,
//                                    "rounds": [per-round results so far]}.
// The model file is written first, then state.json (the commit point), then older model files
// are removed: a process killed at any moment leaves a state.json that names a complete model
// file. Plain functions; not safe for two writers on one folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::fedavg_bench {

// What a checkpoint holds (see the file comment).
struct FedAvgCheckpoint {
  nlohmann::json settings = nlohmann::json::object();  // everything that must match to continue
  std::int64_t rounds_done = 0;                        // rounds completed (>= 1)
  nlohmann::json rounds = nlohmann::json::array();     // the caller's per-round results so far
  std::string global_model;                            // safetensors bytes after rounds_done
};

// The state file's name in a checkpoint folder.
inline constexpr char kCheckpointStateFile[] = "state.json";

// True when `dir` holds a state file (a checkpoint was written there).
bool HasFedAvgCheckpoint(const std::filesystem::path& dir);

// Writes `checkpoint` into `dir` (created if missing) as described above. Errors: InvalidArgument
// for rounds_done < 1, an empty model or settings that are not an object; the file errors of
// WriteFileAtomic naming the file.
Status WriteFedAvgCheckpoint(const std::filesystem::path& dir, const FedAvgCheckpoint& checkpoint);

// Reads the checkpoint in `dir`. Errors naming the file: NotFound when state.json or the model
// file it names is missing; DataLoss when state.json is not JSON (e.g. a torn copy), lacks a field
// or has one of the wrong type, names a model file outside `dir`, or when the model file's
// SHA-256 differs from the one recorded.
StatusOr<FedAvgCheckpoint> ReadFedAvgCheckpoint(const std::filesystem::path& dir);

// OK when `saved` (from a checkpoint) and `current` (this run's settings) have the same keys and
// values; otherwise FailedPrecondition naming the first differing field with both values, and
// `source` (the state file). Numbers compare by value (2 equals 2.0).
Status CheckSameSettings(const nlohmann::json& saved, const nlohmann::json& current,
                         const std::string& source);

}  // namespace pancaim::fedavg_bench
