// Status and StatusOr<T>: the value-or-error vocabulary for everything that can fail because of
// input, files, the network, TLS or the environment. Programmer errors use PANCAIM_CHECK instead.
//
// A Status is a code plus a message that names what failed and where ("manifest.csv:12: column
// 'age': not a number"). Both types are values: cheap to move, safe to copy, not synchronized
// (like any value, share them across threads only under external synchronization).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "pancaim/common/check.h"

namespace pancaim {

// Broad categories, modelled on absl/gRPC codes, so callers can branch without parsing messages.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed input: bad file, bad field, bad frame
  kNotFound,            // file, key, site or run that does not exist
  kAlreadyExists,       // refusing to overwrite (CA, duplicate identity, duplicate update)
  kPermissionDenied,    // authenticated but not allowed (role, policy)
  kUnauthenticated,     // no or bad credentials
  kResourceExhausted,   // size caps, connection caps, full disk
  kFailedPrecondition,  // system not in the state the call needs (stale CRL, wrong round)
  kOutOfRange,          // value outside its documented range
  kDataLoss,            // truncated or corrupted data, checksum mismatch
  kUnavailable,         // peer or service unreachable; retrying may help
  kDeadlineExceeded,    // a deadline passed
  kCancelled,           // shutdown or explicit cancellation
  kUnimplemented,       // a capability that does not exist yet
  kInternal,            // a library failed in a way we did not classify
};

// Human-readable name of a code, e.g. "INVALID_ARGUMENT".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context` ("context: message"), keeping the code.
  // Used as errors travel up: a codec error gains the file name, then the peer.
  Status WithContext(std::string_view context) const;

  // Explicitly discards a status the caller decided not to act on.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

// Constructors for each code, so call sites read as sentences.
Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status FailedPreconditionError(std::string message);
Status OutOfRangeError(std::string message);
Status DataLossError(std::string message);
Status UnavailableError(std::string message);
Status DeadlineExceededError(std::string message);
Status CancelledError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);

// Either a T or a non-OK Status. Accessing the value of an error is a programmer error (checked).
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : data_(status) {  // NOLINT: implicit by design
    PANCAIM_CHECK(!status.ok()) << "StatusOr constructed from an OK status without a value";
  }
  StatusOr(Status&& status) : data_(std::move(status)) {  // NOLINT
    PANCAIM_CHECK(!std::get<Status>(data_).ok())
        << "StatusOr constructed from an OK status without a value";
  }
  StatusOr(const T& value) : data_(value) {}       // NOLINT
  StatusOr(T&& value) : data_(std::move(value)) {}  // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, StatusOr<T>> &&
                                        !std::is_same_v<std::decay_t<U>, T>>>
  StatusOr(U&& value) : data_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(data_); }

  // OK when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  const T& value() const& {
    CheckHasValue();
    return std::get<T>(data_);
  }
  T& value() & {
    CheckHasValue();
    return std::get<T>(data_);
  }
  T&& value() && {
    CheckHasValue();
    return std::get<T>(std::move(data_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<T>(data_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void CheckHasValue() const {
    PANCAIM_CHECK(ok()) << "value() on an error StatusOr: " << std::get<Status>(data_);
  }
  std::variant<Status, T> data_;
};

}  // namespace pancaim

#define PANCAIM_STATUS_CONCAT_INNER(a, b) a##b
#define PANCAIM_STATUS_CONCAT(a, b) PANCAIM_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` (a Status) is not OK.
#define PANCAIM_RETURN_IF_ERROR(expr)                        \
  do {                                                       \
    ::pancaim::Status pancaim_status_tmp_ = (expr);          \
    if (!pancaim_status_tmp_.ok()) return pancaim_status_tmp_; \
  } while (false)

// `lhs = value of expr` (a StatusOr), or returns its error from the enclosing function.
// `lhs` may declare a variable: PANCAIM_ASSIGN_OR_RETURN(auto file, ReadFile(path));
#define PANCAIM_ASSIGN_OR_RETURN(lhs, expr) \
  PANCAIM_ASSIGN_OR_RETURN_IMPL(PANCAIM_STATUS_CONCAT(pancaim_statusor_, __LINE__), lhs, expr)
#define PANCAIM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
