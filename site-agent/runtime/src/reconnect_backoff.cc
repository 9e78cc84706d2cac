#include "pancaim/site_runtime/reconnect_backoff.h"

#include <algorithm>
#include <cmath>

namespace pancaim::site_runtime {

ReconnectBackoff::ReconnectBackoff(BackoffOptions options, std::uint64_t seed)
    : options_(options), rng_(seed) {}

std::chrono::milliseconds ReconnectBackoff::Next() {
  const double base = static_cast<double>(options_.initial.count()) *
                      std::pow(options_.factor, std::min(attempts_, 60));
  const double capped = std::min(base, static_cast<double>(options_.max.count()));
  ++attempts_;
  std::uniform_real_distribution<double> jitter(capped / 2, capped);
  return std::chrono::milliseconds(static_cast<std::int64_t>(jitter(rng_)));
}

}  // namespace pancaim::site_runtime
