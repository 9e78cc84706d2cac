// bench-channel-throughput: bulk throughput of the secure channel over loopback next to raw
// OpenSSL AES-256-GCM and one plain TLS 1.3 connection (OpenSSL, and Asio), measured in the same
// run, interleaved so that background load hits every measurement alike.
#include <algorithm>
#include <cstdio>
#include <functional>
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
  Measurement(std::string measurement_name, std::function<StatusOr<RunResult>()> measurement_run)
      : name(std::move(measurement_name)), run(std::move(measurement_run)) {}
  std::string name;
  std::function<StatusOr<RunResult>()> run;
  double best_seconds = 0;  // fastest of the repeats: the least disturbed by other load
  std::string note;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Bulk throughput of the PANCAIM-FL secure channel (mutual TLS 1.3 + frames) over 127.0.0.1, "
      "next to raw OpenSSL AES-256-GCM encryption and one plain TLS 1.3 connection (OpenSSL, "
      "and Asio) measured in the same run. Prints GB/s and the ratio channel / plain TLS "
      "(target >= 0.70)."};
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
  app.add_option("--repeats", repeats, "rounds of all measurements; the fastest run is reported")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  app.add_option("--io-threads", io_threads, "threads of the channel's io_context")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  std::vector<std::string> only;
  app.add_option("--only", only,
                 "run only the measurements whose name contains one of these words (for "
                 "profiling; the ratios then print only when their inputs ran)");
  CLI11_PARSE(app, argc, argv);
  pancaim::log::SetMinLevel(pancaim::log::Level::kWarning);  // no per-connection lines

  const std::uint64_t total = total_mib << 20;
  const std::uint64_t chunk = frame_mib << 20;
  auto created = pancaim::bench::BenchPki::Create();
  if (!created.ok()) {
    std::fprintf(stderr, "error: cannot create the benchmark PKI: %s\n",
                 created.status().ToString().c_str());
    return 1;
  }
  const pancaim::bench::BenchPki& pki = **created;
  using namespace pancaim::bench;
  std::vector<Measurement> measurements = {
      {"openssl evp aes-256-gcm (encrypt only, 1 thread)", [&] { return MeasureEvpAesGcm(total); }},
      {"plain openssl tls1.3 connection", [&] { return MeasurePlainTls(pki, total, chunk); }},
      {"plain asio ssl::stream tls1.3 connection",
       [&] { return MeasurePlainAsioTls(pki, total, chunk); }},
      {"secure channel (sha256 by channel)",
       [&] { return MeasureChannel(pki, total, chunk, ChannelIntegrity::kAttached, io_threads); }},
      {"secure channel (sha256 supplied)",
       [&] { return MeasureChannel(pki, total, chunk, ChannelIntegrity::kSupplied, io_threads); }},
      {"secure channel (integrity off)",
       [&] { return MeasureChannel(pki, total, chunk, ChannelIntegrity::kOff, io_threads); }},
  };
  auto selected = [&](const Measurement& m) {
    return only.empty() || std::any_of(only.begin(), only.end(), [&](const std::string& word) {
             return m.name.find(word) != std::string::npos;
           });
  };
  const auto selected_count = std::count_if(measurements.begin(), measurements.end(), selected);
  pancaim::ProgressDisplay progress("measuring",
                                    static_cast<std::int64_t>(selected_count) * repeats);
  for (int round = 0; round < repeats; ++round) {
    for (Measurement& m : measurements) {
      if (!selected(m)) continue;
      StatusOr<RunResult> result = m.run();
      if (!result.ok()) {
        std::fprintf(stderr, "error: %s: %s\n", m.name.c_str(),
                     result.status().ToString().c_str());
        return 1;
      }
      if (round == 0 || result->seconds < m.best_seconds) m.best_seconds = result->seconds;
      m.note = result->note;
      progress.Advance(1, m.name);
    }
  }
  progress.Finish();
  auto gbps = [&](const Measurement& m) { return static_cast<double>(total) / m.best_seconds / 1e9; };
  std::printf("bytes per measurement: %llu MiB in %llu MiB frames/writes, best of %d, "
              "%zu channel io threads\n",
              static_cast<unsigned long long>(total_mib),
              static_cast<unsigned long long>(frame_mib), repeats, io_threads);
  for (const Measurement& m : measurements) {
    if (!selected(m)) continue;
    std::printf("  %-50s %7.3f GB/s  (%s)\n", m.name.c_str(), gbps(m), m.note.c_str());
  }
  if (selected_count != static_cast<std::ptrdiff_t>(measurements.size())) return 0;
  // The stronger of the two plain TLS baselines is the reference.
  const double plain = std::max(gbps(measurements[1]), gbps(measurements[2]));
  std::printf("ratio channel / best plain TLS: %.2f with sha256 by the channel, %.2f with sha256 "
              "supplied by the sender (production), %.2f without (target >= 0.70)\n",
              gbps(measurements[3]) / plain, gbps(measurements[4]) / plain,
              gbps(measurements[5]) / plain);
  std::printf("ratio best plain TLS / raw AES-256-GCM encrypt: %.2f\n",
              plain / gbps(measurements[0]));
  return 0;
}
