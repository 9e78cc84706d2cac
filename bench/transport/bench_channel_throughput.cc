// bench-channel-throughput: bulk throughput of the secure channel over loopback next to raw
// OpenSSL AES-256-GCM and one plain OpenSSL TLS 1.3 connection, measured in the same run.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "pancaim/common/log.h"
#include "pancaim/common/progress.h"
#include "throughput_runs.h"

namespace {

using pancaim::StatusOr;
using pancaim::bench::RunResult;

struct Measurement {
  std::string name;
  double best_seconds = 0;
  std::string note;
};

// Runs `run` `repeats` times and keeps the fastest (least disturbed by other load).
template <typename Run>
StatusOr<Measurement> Best(const std::string& name, int repeats, pancaim::ProgressDisplay& progress,
                           Run run) {
  Measurement measurement{name, 0, ""};
  for (int i = 0; i < repeats; ++i) {
    StatusOr<RunResult> result = run();
    if (!result.ok()) return result.status().WithContext(name);
    if (i == 0 || result->seconds < measurement.best_seconds) {
      measurement.best_seconds = result->seconds;
    }
    measurement.note = result->note;
    progress.Advance(1, name);
  }
  return measurement;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Bulk throughput of the PANCAIM-FL secure channel (mutual TLS 1.3 + frames) over 127.0.0.1, "
      "next to raw OpenSSL AES-256-GCM encryption and one plain OpenSSL TLS 1.3 connection "
      "measured in the same run. Prints GB/s and the ratio channel / plain TLS (target >= 0.70)."};
  std::uint64_t total_mib = 1024;
  std::uint64_t frame_mib = 16;
  int repeats = 3;
  std::size_t io_threads = 2;
  app.add_option("--total-mib", total_mib, "MiB moved per measurement")
      ->check(CLI::Range(1, 1 << 16))
      ->capture_default_str();
  app.add_option("--frame-mib", frame_mib, "payload MiB per frame (and per plain TLS write)")
      ->check(CLI::Range(1, 512))
      ->capture_default_str();
  app.add_option("--repeats", repeats, "runs per measurement; the fastest is reported")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  app.add_option("--io-threads", io_threads, "threads of the channel's io_context")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  pancaim::log::SetMinLevel(pancaim::log::Level::kWarning);  // no per-connection lines

  const std::uint64_t total = total_mib << 20;
  const std::uint64_t chunk = frame_mib << 20;
  auto pki = pancaim::bench::BenchPki::Create();
  if (!pki.ok()) {
    std::fprintf(stderr, "error: cannot create the benchmark PKI: %s\n",
                 pki.status().ToString().c_str());
    return 1;
  }
  pancaim::ProgressDisplay progress("measuring", 4 * repeats);
  std::vector<StatusOr<Measurement>> results;
  results.push_back(Best("openssl evp aes-256-gcm (encrypt only, 1 thread)", repeats, progress,
                         [&] { return pancaim::bench::MeasureEvpAesGcm(total); }));
  results.push_back(Best("plain openssl tls1.3 connection", repeats, progress, [&] {
    return pancaim::bench::MeasurePlainTls(**pki, total, chunk);
  }));
  results.push_back(Best("secure channel (payload_sha256 on)", repeats, progress, [&] {
    return pancaim::bench::MeasureChannel(**pki, total, chunk, true, io_threads);
  }));
  results.push_back(Best("secure channel (payload_sha256 off)", repeats, progress, [&] {
    return pancaim::bench::MeasureChannel(**pki, total, chunk, false, io_threads);
  }));
  progress.Finish();
  for (const auto& result : results) {
    if (!result.ok()) {
      std::fprintf(stderr, "error: %s\n", result.status().ToString().c_str());
      return 1;
    }
  }
  auto gbps = [&](const Measurement& m) { return static_cast<double>(total) / m.best_seconds / 1e9; };
  std::printf("bytes per measurement: %llu MiB in %llu MiB frames/writes, best of %d, "
              "%zu channel io threads\n",
              static_cast<unsigned long long>(total_mib),
              static_cast<unsigned long long>(frame_mib), repeats, io_threads);
  for (const auto& result : results) {
    std::printf("  %-52s %7.3f GB/s  (%s)\n", result->name.c_str(), gbps(*result),
                result->note.c_str());
  }
  const double plain = gbps(*results[1]);
  const double with_integrity = gbps(*results[2]) / plain;
  const double without_integrity = gbps(*results[3]) / plain;
  std::printf("ratio channel / plain TLS: %.2f with payload_sha256, %.2f without (target >= 0.70)\n",
              with_integrity, without_integrity);
  std::printf("ratio plain TLS / raw AES-256-GCM encrypt: %.2f\n", plain / gbps(*results[0]));
  return 0;
}
