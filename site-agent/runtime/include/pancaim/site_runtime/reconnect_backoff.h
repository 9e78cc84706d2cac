// ReconnectBackoff: delays between the site agent's reconnection attempts: exponential growth
// from `initial` by `factor` up to `max`, with "full jitter" (a uniform draw in [d/2, d]) so that
// sites cut off together do not all redial at the same instant. Reset() after a connection that
// reached the welcome.
//
// A value with its own seeded RNG; not synchronized (one owner: the agent's reconnect loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace pancaim::site_runtime {

struct BackoffOptions {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
};

class ReconnectBackoff {
 public:
  explicit ReconnectBackoff(BackoffOptions options = {}, std::uint64_t seed = std::random_device{}());
  // The delay before the next attempt; grows with each call until Reset().
  std::chrono::milliseconds Next();
  void Reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
  int attempts_ = 0;
};

}  // namespace pancaim::site_runtime
