// PANCAIM_CHECK: aborts with file, line and a streamed message when a programmer's invariant
// does not hold. Never use it for input from files or the network: those return a Status.
#pragma once

#include <sstream>
#include <string>

namespace pancaim::internal {

// Collects the streamed message and aborts in its destructor. Not for direct use.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Lets `PANCAIM_CHECK(x) << "msg";` compile to nothing extra when x holds.
struct CheckVoidify {
  void operator&(CheckFailure&) {}
  void operator&(CheckFailure&&) {}
};

}  // namespace pancaim::internal

#define PANCAIM_CHECK(condition)                        \
  (condition) ? (void)0                                 \
              : ::pancaim::internal::CheckVoidify() &   \
                    ::pancaim::internal::CheckFailure(__FILE__, __LINE__, #condition)
