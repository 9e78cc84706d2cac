#include "pancaim/coordinator/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>

#include "pancaim/common/files.h"
#include "pancaim/crypto/sha256.h"

namespace pancaim::coordinator {
namespace {

constexpr std::uint64_t kMaxLogBytes = std::uint64_t{16} << 30;

std::string NowUtc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

Status ErrnoStatus(const std::string& what, const std::filesystem::path& path) {
  const int err = errno;
  std::string message = what + " '" + path.string() + "': " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError(message);
  if (err == EACCES || err == EPERM) return PermissionDeniedError(message);
  return UnavailableError(message);
}

// Checks one line against the chain. Returns the reason it is broken, or std::nullopt and sets
// `hash` to the record's hash.
std::optional<std::string> CheckLine(std::string_view line, std::int64_t seq,
                                     const std::string& prev, std::string& hash) {
  nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded() || !record.is_object()) return std::string("not a JSON object");
  if (record.dump() != line) return std::string("not in canonical form (edited?)");
  for (const char* key : {"hash", "prev", "type", "time"}) {
    if (!record.contains(key) || !record[key].is_string()) {
      return std::string("missing or non-string '") + key + "'";
    }
  }
  if (!record.contains("seq") || !record["seq"].is_number_integer() ||
      record["seq"].get<std::int64_t>() != seq) {
    return std::string("sequence number is not ") + std::to_string(seq) +
           " (a line was deleted, inserted or moved)";
  }
  if (record["prev"].get<std::string>() != prev) {
    return std::string("'prev' does not match the previous record's hash");
  }
  hash = record["hash"].get<std::string>();
  record.erase("hash");
  if (crypto::Sha256Hex(record.dump()) != hash) {
    return std::string("'hash' does not match the record's content");
  }
  return std::nullopt;
}

struct ScanResult {
  std::int64_t records = 0;
  std::string head_hash;
  std::uint64_t valid_bytes = 0;  // bytes up to and including the last complete line
  bool torn_tail = false;
};

// Walks the log; a broken line is DataLoss naming it. `allow_torn_tail` accepts a last line
// without a newline (reported in the result) instead of failing.
StatusOr<ScanResult> Scan(const std::filesystem::path& path, std::string_view text,
                          bool allow_torn_tail) {
  ScanResult result;
  result.head_hash = AuditGenesisHash();
  std::size_t pos = 0;
  std::int64_t line_number = 0;
  while (pos < text.size()) {
    ++line_number;
    const std::size_t end = text.find('\n', pos);
    const std::string where = path.string() + ":" + std::to_string(line_number) + ": ";
    if (end == std::string_view::npos) {
      if (allow_torn_tail) {
        result.torn_tail = true;
        break;
      }
      return DataLossError(where + "last line has no newline (torn write or truncated)");
    }
    std::string hash;
    auto broken = CheckLine(text.substr(pos, end - pos), result.records, result.head_hash, hash);
    if (broken.has_value()) return DataLossError(where + *broken);
    result.head_hash = hash;
    ++result.records;
    pos = end + 1;
    result.valid_bytes = pos;
  }
  return result;
}

}  // namespace

const std::string& AuditGenesisHash() {
  static const auto* genesis = new std::string(64, '0');
  return *genesis;
}

StatusOr<AuditVerification> VerifyAuditLog(const std::filesystem::path& path) {
  PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxLogBytes));
  PANCAIM_ASSIGN_OR_RETURN(ScanResult scan, Scan(path, text, /*allow_torn_tail=*/false));
  return AuditVerification{scan.records, scan.head_hash};
}

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::filesystem::path& path,
                                                   Clock clock) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoStatus("cannot open audit log", path);
  std::unique_ptr<AuditLog> log(new AuditLog(path, fd, clock ? std::move(clock) : NowUtc));
  PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxLogBytes));
  PANCAIM_ASSIGN_OR_RETURN(ScanResult scan, Scan(path, text, /*allow_torn_tail=*/true));
  log->head_hash_ = scan.head_hash;
  log->next_seq_ = scan.records;
  if (scan.torn_tail) {
    const std::string_view tail = std::string_view(text).substr(scan.valid_bytes);
    if (::ftruncate(fd, static_cast<off_t>(scan.valid_bytes)) != 0 || ::fsync(fd) != 0) {
      return ErrnoStatus("cannot cut the torn last line of audit log", path);
    }
    PANCAIM_RETURN_IF_ERROR(log->Append(
        audit::kLogRepaired,
        {{"dropped_bytes", tail.size()}, {"dropped_sha256", crypto::Sha256Hex(tail)}}));
  }
  return log;
}

AuditLog::~AuditLog() { ::close(fd_); }

Status AuditLog::Append(std::string_view type, nlohmann::json data) {
  if (!data.is_object()) data = nlohmann::json::object();
  nlohmann::json record = {{"seq", next_seq_},        {"time", clock_()},
                           {"type", std::string(type)}, {"prev", head_hash_},
                           {"data", std::move(data)}};
  const std::string hash = crypto::Sha256Hex(record.dump());
  record["hash"] = hash;
  const std::string line = record.dump() + "\n";
  // One write() of the whole line (O_APPEND): a crash leaves the line whole or torn at the end,
  // and a torn end is repaired at the next Open.
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t written = ::write(fd_, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      Status error = ErrnoStatus("cannot append to audit log", path_);
      // Cut a partial line so the file stays a valid chain for the next append.
      if (rest.size() != line.size()) {
        const off_t size = ::lseek(fd_, 0, SEEK_END);
        if (size >= 0) {
          (void)!::ftruncate(fd_, size - static_cast<off_t>(line.size() - rest.size()));
        }
      }
      return error;
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::fsync(fd_) != 0) return ErrnoStatus("cannot fsync audit log", path_);
  head_hash_ = hash;
  ++next_seq_;
  return Status::Ok();
}

}  // namespace pancaim::coordinator
