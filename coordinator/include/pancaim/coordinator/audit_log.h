// AuditLog: an append-only, hash-chained JSON-lines record of who did what to which model version.
//
// Each line is one JSON object in canonical form (nlohmann's dump(): sorted keys, no spaces):
//   {"data":{...},"hash":"<sha256>","prev":"<hash of the previous record>","seq":7,
//    "time":"2026-11-28T08:01:02.345Z","type":"update_accepted"}
// where "hash" is the SHA-256 of the same object without the "hash" key, and the first record's
// "prev" is 64 zeros. Editing any byte, deleting, inserting or reordering lines breaks the chain
// and VerifyAuditLog reports the first broken line. Cutting lines off the end is not detectable
// from the file alone: compare head_hash() with a copy kept elsewhere (the run state records it).
// Every Append is written with one write() and fsync'd before it returns.
//
// Not thread-safe: one owner (the coordinator's strand) appends.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::coordinator {

// Record types the coordinator writes (others may be added; verification does not depend on them).
namespace audit {
inline constexpr std::string_view kRunSubmitted = "run_submitted";    // run_id, operator, spec sha
inline constexpr std::string_view kRoundOpened = "round_opened";      // run_id, round, base, sites
inline constexpr std::string_view kUpdateAccepted = "update_accepted";  // site, bytes, sha256
inline constexpr std::string_view kUpdateRejected = "update_rejected";  // site, bytes, sha256, reason
inline constexpr std::string_view kRoundClosed = "round_closed";      // run_id, round, accepted
inline constexpr std::string_view kModelProduced = "model_produced";  // run_id, round, sha256
inline constexpr std::string_view kLogRepaired = "log_repaired";      // dropped torn tail bytes
}  // namespace audit

class AuditLog {
 public:
  using Clock = std::function<std::string()>;  // returns an RFC 3339 UTC timestamp

  // Opens (creating if needed) the log at `path` and verifies its chain. A torn last line (no
  // trailing newline: a crash during an append that was never acknowledged) is cut off and a
  // "log_repaired" record notes its size and SHA-256. A broken chain is DataLoss naming the line:
  // the log is not appended to until an operator looks at it.
  static StatusOr<std::unique_ptr<AuditLog>> Open(const std::filesystem::path& path,
                                                  Clock clock = nullptr);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one record of `type` with `data` (an object) and fsyncs. Errors name the file.
  Status Append(std::string_view type, nlohmann::json data);

  const std::string& head_hash() const { return head_hash_; }
  std::int64_t records() const { return next_seq_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  AuditLog(std::filesystem::path path, int fd, Clock clock)
      : path_(std::move(path)), fd_(fd), clock_(std::move(clock)) {}

  std::filesystem::path path_;
  int fd_;
  Clock clock_;
  std::string head_hash_;
  std::int64_t next_seq_ = 0;
};

// Result of a successful verification.
struct AuditVerification {
  std::int64_t records = 0;
  std::string head_hash;  // hash of the last record (64 zeros for an empty log)
};

// Verifies the whole chain of the log at `path`. DataLoss "<path>:<line>: <reason>" for the first
// broken line (bad JSON, non-canonical text, wrong hash, wrong prev, wrong seq, torn last line).
StatusOr<AuditVerification> VerifyAuditLog(const std::filesystem::path& path);

// The hash a chain starts from.
const std::string& AuditGenesisHash();

}  // namespace pancaim::coordinator
