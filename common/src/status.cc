#include "pancaim/common/status.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace pancaim {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

Status::Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
  PANCAIM_CHECK(code != StatusCode::kOk || message_.empty()) << "an OK status carries no message";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string message(context);
  message += ": ";
  message += message_;
  return Status(code_, std::move(message));
}

std::ostream& operator<<(std::ostream& os, const Status& status) { return os << status.ToString(); }

#define PANCAIM_DEFINE_ERROR(Name, code) \
  Status Name(std::string message) { return Status(StatusCode::code, std::move(message)); }
PANCAIM_DEFINE_ERROR(InvalidArgumentError, kInvalidArgument)
PANCAIM_DEFINE_ERROR(NotFoundError, kNotFound)
PANCAIM_DEFINE_ERROR(AlreadyExistsError, kAlreadyExists)
PANCAIM_DEFINE_ERROR(PermissionDeniedError, kPermissionDenied)
PANCAIM_DEFINE_ERROR(UnauthenticatedError, kUnauthenticated)
PANCAIM_DEFINE_ERROR(ResourceExhaustedError, kResourceExhausted)
PANCAIM_DEFINE_ERROR(FailedPreconditionError, kFailedPrecondition)
PANCAIM_DEFINE_ERROR(OutOfRangeError, kOutOfRange)
PANCAIM_DEFINE_ERROR(DataLossError, kDataLoss)
PANCAIM_DEFINE_ERROR(UnavailableError, kUnavailable)
PANCAIM_DEFINE_ERROR(DeadlineExceededError, kDeadlineExceeded)
PANCAIM_DEFINE_ERROR(CancelledError, kCancelled)
PANCAIM_DEFINE_ERROR(UnimplementedError, kUnimplemented)
PANCAIM_DEFINE_ERROR(InternalError, kInternal)
#undef PANCAIM_DEFINE_ERROR

namespace internal {

CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  stream_ << "CHECK failed at " << file << ":" << line << ": " << condition << " ";
}

CheckFailure::~CheckFailure() {
  std::cerr << stream_.str() << std::endl;
  std::abort();
}

}  // namespace internal
}  // namespace pancaim
