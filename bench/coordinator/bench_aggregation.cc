// bench-aggregation: how fast the coordinator folds model updates, and how much memory it needs.
//
// A 25M-parameter float32 model (default; --params) is split into 20 tensors plus BatchNorm-style
// buffers. Each configuration runs in a fresh child process (so peak RSS is its own) that builds
// the global model, opens a round (AggregationRound over an Aggregator, as the coordinator does)
// and for every simulated site writes an update into one reused buffer (global + noise, as the
// bytes would arrive from the network) and submits it: AggregationRound::Submit, i.e. the envelope
// checks (run, round, base model, duplicates), parsing, every content check of ValidateUpdate
// (names, shapes, dtypes, sample count, finite values) and the fold, all timed together.
// Two ways to hand over the payload, each its own configuration:
//   - owned: Submit(envelope, buffer): the round may write over the buffer, so the update is
//     checked and folded in one pass (Aggregator::ValidateAndFold); held updates take this path;
//   - borrowed: Submit(envelope): a read-only check pass, then the fold (what a caller that keeps
//     its buffer gets).
// Reported per configuration: GB/s of update data through Submit, and the fold part alone; the
// SHA-256 of the payload (computed once per update for the audit log, by the transport)
// separately; peak RSS above the process's baseline, in model sizes.
// The baseline, interleaved update by update in the same process: a plain loop acc[i] += w * x[i]
// over the same bytes with the same accumulator type, the memory-bandwidth ceiling for a fold.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "pancaim/common/progress.h"
#include "pancaim/coordinator/aggregation_round.h"
#include "pancaim/coordinator/aggregator.h"
#include "pancaim/coordinator/safetensors_buffer.h"
#include "pancaim/crypto/sha256.h"

namespace pc = pancaim::coordinator;
namespace {

// Timings use this thread's CPU time, not wall time: the machines we share run many processes on
// few cores, and wall time would mostly measure the scheduler. Both the baseline and the real fold
// are measured the same way, in the same thread.
struct Clock {
  using time_point = double;
  static double now() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  }
};

double Seconds(double a, double b) { return b - a; }

// Peak resident set size of this process so far, in bytes (VmHWM).
std::uint64_t PeakRssBytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

// The benchmark model: 20 equal float32 weight tensors, a BatchNorm's running stats and counter.
std::string MakeGlobalBytes(std::int64_t params) {
  const std::int64_t per_tensor = params / 20;
  std::vector<std::string> data;
  std::vector<pancaim::protocol::TensorView> views;
  std::uint32_t state = 12345;
  auto next = [&] {  // xorshift32: cheap, deterministic
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return static_cast<float>(state) * 2.3283064e-10f - 0.5f;
  };
  for (int t = 0; t < 20; ++t) {
    std::string bytes(per_tensor * 4, '\0');
    float* f = reinterpret_cast<float*>(bytes.data());
    for (std::int64_t i = 0; i < per_tensor; ++i) f[i] = next();
    data.push_back(std::move(bytes));
  }
  data.push_back(std::string(64 * 4, '\0'));  // running_mean
  data.push_back(std::string(64 * 4, '\0'));  // running_var
  data.push_back(std::string(8, '\0'));       // num_batches_tracked
  for (int t = 0; t < 20; ++t) {
    views.push_back({"layer" + std::to_string(t) + ".weight", pancaim::protocol::DType::kF32,
                     {per_tensor}, data[t]});
  }
  views.push_back({"bn.running_mean", pancaim::protocol::DType::kF32, {64}, data[20]});
  views.push_back({"bn.running_var", pancaim::protocol::DType::kF32, {64}, data[21]});
  views.push_back({"bn.num_batches_tracked", pancaim::protocol::DType::kI64, {}, data[22]});
  auto bytes = pancaim::protocol::SerializeSafetensors(views);
  PANCAIM_CHECK(bytes.ok()) << bytes.status();
  return std::move(bytes).value();
}

// Writes update `site` into `buffer` (same layout as the global model): global + small noise.
void FillUpdate(const pancaim::protocol::SafetensorsView& global, std::string& buffer,
                const pancaim::protocol::SafetensorsView& update_layout, int site) {
  std::uint32_t state = 777u + static_cast<std::uint32_t>(site) * 2654435761u;
  for (std::size_t t = 0; t < global.tensors().size(); ++t) {
    const auto& g = global.tensors()[t];
    char* dst = buffer.data() + (update_layout.tensors()[t].data.data() - buffer.data());
    if (g.dtype != pancaim::protocol::DType::kF32) {
      std::memcpy(dst, g.data.data(), g.data.size());
      continue;
    }
    const float* gf = reinterpret_cast<const float*>(g.data.data());
    float* out = reinterpret_cast<float*>(dst);
    for (std::int64_t i = 0; i < g.NumElements(); ++i) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      out[i] = gf[i] + (static_cast<float>(state) * 2.3283064e-10f - 0.5f) * 1e-3f;
    }
  }
}

struct ChildArgs {
  std::string strategy = "fedavg";
  std::string accumulator = "float32";
  std::string payload = "owned";  // or "borrowed" (see the top of the file)
  bool with_baseline = false;  // speed run: baseline loop interleaved; else memory run
  int updates = 10;
  std::int64_t params = 25'000'000;
};

// The baseline: acc[i] += w * x[i] over every float32 tensor of the update, nothing else.
template <typename Acc>
void BaselinePass(const pancaim::protocol::SafetensorsView& update, std::vector<Acc>& acc,
                  float w) {
  std::size_t offset = 0;
  for (const auto& t : update.tensors()) {
    if (t.dtype != pancaim::protocol::DType::kF32) continue;
    const float* x = reinterpret_cast<const float*>(t.data.data());
    Acc* a = acc.data() + offset;
    const std::int64_t n = t.NumElements();
    for (std::int64_t i = 0; i < n; ++i) a[i] += static_cast<Acc>(w) * x[i];
    offset += static_cast<std::size_t>(n);
  }
}

int RunChild(const ChildArgs& args) {
  // OpenSSL allocates its tables on first use (~2 MB, whatever the model size): done before the
  // starting point so that the growth measured is what the model's size drives.
  (void)pancaim::crypto::Sha256Hex("warm-up");
  const std::uint64_t rss_start = PeakRssBytes();
  auto global = std::make_shared<const pc::SafetensorsBuffer>(
      std::move(pc::SafetensorsBuffer::FromBytes(MakeGlobalBytes(args.params))).value());
  const std::uint64_t model_bytes = global->bytes().size();
  std::uint64_t data_bytes = 0;
  for (const auto& t : global->view().tensors()) data_bytes += t.data.size();

  // One reused network buffer, as the transport would hand us.
  std::string buffer = global->bytes();
  auto layout_view = pancaim::protocol::SafetensorsView::Parse(buffer);
  nlohmann::json out = {{"strategy", args.strategy}, {"accumulator", args.accumulator},
                        {"updates", args.updates}, {"model_bytes", model_bytes}};

  nlohmann::json options = nlohmann::json::object();
  if (args.strategy != "median") options["accumulator"] = args.accumulator;
  auto spec = pc::ParseStrategySpec(args.strategy, options);
  if (!spec.ok()) {
    std::cerr << spec.status() << "\n";
    return 2;
  }
  auto aggregator =
      std::move(pc::Aggregator::Create(*spec, std::filesystem::temp_directory_path() /
                                                  ("bench-spill-" + std::to_string(getpid()))))
          .value();
  const pc::RoundKey key{"bench-run", 1, global->Sha256()};
  auto round = pc::AggregationRound::Open(key, global, aggregator.get());
  PANCAIM_CHECK(round.ok()) << round.status();
  const bool owned = args.payload == "owned";

  std::vector<float> base32;
  std::vector<double> base64;
  const bool f64 = args.accumulator == "float64";
  if (args.with_baseline) {
    if (f64) base64.assign(data_bytes / 4, 0.0);
    else base32.assign(data_bytes / 4, 0.0f);
  }
  pancaim::ProgressDisplay progress(
      args.strategy + " " + args.payload + (args.with_baseline ? " speed" : " memory") + " x" +
          std::to_string(args.updates),
      args.updates);
  double t_baseline = 0, t_submit = 0, t_sha = 0;
  for (int site = 0; site < args.updates; ++site) {
    // After an owned Submit the buffer is whatever the round handed back (the previous
    // accumulator storage): give it the model's layout again, as a receive would.
    if (buffer.size() != global->bytes().size()) {
      std::string().swap(buffer);  // free first: never two spare buffers at once
      buffer = global->bytes();
    }
    layout_view = pancaim::protocol::SafetensorsView::Parse(buffer);  // this buffer's tensors
    FillUpdate(global->view(), buffer, *layout_view, site);
    const float w = static_cast<float>(10 + site);
    if (args.with_baseline) {
      // Baseline first, then the real fold over the same bytes: both see the same cache state
      // (the update was just written and has been evicted by the time either pass reaches it).
      auto b0 = Clock::now();
      if (f64) BaselinePass(*layout_view, base64, w);
      else BaselinePass(*layout_view, base32, w);
      t_baseline += Seconds(b0, Clock::now());
    }
    // The transport hashes each payload as it arrives (frame integrity, audit log).
    auto h0 = Clock::now();
    pc::UpdateEnvelope envelope{"site-" + std::to_string(site), key.run_id, key.round,
                                key.base_model_sha256, w, buffer,
                                pancaim::crypto::Sha256Hex(buffer)};
    t_sha += Seconds(h0, Clock::now());
    if (args.with_baseline) FillUpdate(global->view(), buffer, *layout_view, site);  // evict
    auto t0 = Clock::now();
    auto receipt = owned ? (*round)->Submit(envelope, buffer) : (*round)->Submit(envelope);
    t_submit += Seconds(t0, Clock::now());
    PANCAIM_CHECK(receipt.ok()) << receipt.status();
    progress.Advance();
  }
  // The transport releases the last update's buffer once it has been folded.
  layout_view = pancaim::protocol::SafetensorsView::Parse(std::string_view());
  buffer.clear();
  buffer.shrink_to_fit();
  auto t0 = Clock::now();
  auto next = (*round)->Close();
  auto t1 = Clock::now();
  PANCAIM_CHECK(next.ok()) << next.status();
  progress.Finish();
  const double total = double(data_bytes) * args.updates;
  if (args.with_baseline) {
    // Keep the baseline sums observable so the loops are not optimised away.
    out["checksum"] = f64 ? base64[base64.size() / 2] : double(base32[base32.size() / 2]);
    out["baseline_gbps"] = total / t_baseline / 1e9;
    out["validate_fold_gbps"] = total / t_submit / 1e9;
    out["sha256_gbps"] = total / t_sha / 1e9;
    out["finish_seconds"] = Seconds(t0, t1);
  } else {
    out["peak_rss_model_sizes"] = double(PeakRssBytes() - rss_start) / double(model_bytes);
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

// Runs this binary as a child with `args` and returns the JSON line it prints.
nlohmann::json RunInChild(const std::string& self, const std::string& args) {
  const std::string command = self + " --child " + args;
  FILE* pipe = popen(command.c_str(), "r");
  PANCAIM_CHECK(pipe != nullptr) << "cannot run " << command;
  std::string text;
  char chunk[4096];
  while (std::fgets(chunk, sizeof(chunk), pipe) != nullptr) text += chunk;
  const int rc = pclose(pipe);
  if (rc != 0) {
    std::cerr << "child failed (" << rc << "): " << command << "\n";
    std::exit(1);
  }
  return nlohmann::json::parse(text);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fold model updates the way the coordinator does and compare with a plain "
               "acc += w*x memory-bandwidth loop over the same bytes; report GB/s and peak memory"};
  ChildArgs child;
  bool is_child = false;
  std::vector<int> counts = {10, 50};
  bool robust = false;
  bool quick = false;
  app.add_option("--params", child.params, "Parameters of the float32 model")->capture_default_str();
  app.add_option("--updates", counts, "Numbers of site updates to fold")->capture_default_str();
  app.add_flag("--robust", robust, "Also run median (holds every update in memory; slow)");
  app.add_flag("--fedavg-float32-only", quick,
               "Only FedAvg with a float32 accumulator (owned and borrowed payloads)");
  app.add_flag("--child", is_child, "Internal: run one configuration")->group("");
  app.add_option("--strategy", child.strategy, "Internal")->group("");
  app.add_option("--accumulator", child.accumulator, "Internal")->group("");
  app.add_option("--payload", child.payload, "Internal")
      ->check(CLI::IsMember({"owned", "borrowed"}))
      ->group("");
  app.add_flag("--with-baseline", child.with_baseline, "Internal")->group("");
  app.add_option("--count", child.updates, "Internal")->group("");
  CLI11_PARSE(app, argc, argv);
  if (is_child) return RunChild(child);

  const std::string self = "/proc/" + std::to_string(getpid()) + "/exe";
  const std::string common = " --params " + std::to_string(child.params);
  std::printf("model: %lld float32 parameters (%.1f MB); each configuration runs twice in fresh "
              "processes: speed (baseline loop interleaved update by update) and memory\n",
              static_cast<long long>(child.params), child.params * 4 / 1e6);
  std::printf("%-7s %-15s %-8s %10s %10s %7s %9s %9s %10s\n", "updates", "strategy", "payload",
              "baseline", "submit", "ratio", "sha256", "finish", "peak RSS");
  struct Config {
    std::string strategy, accumulator, payload;
  };
  std::vector<Config> configs = {{"fedavg", "float32", "owned"}, {"fedavg", "float32", "borrowed"}};
  if (!quick) {
    configs.push_back({"fedavg", "float64", "owned"});
    configs.push_back({"fedadam", "float32", "owned"});
    if (robust) configs.push_back({"median", "float32", "owned"});
  }
  for (int count : counts) {
    for (const Config& config : configs) {
      const std::string args = "--strategy " + config.strategy + " --accumulator " +
                               config.accumulator + " --payload " + config.payload + " --count " +
                               std::to_string(count) + common;
      auto speed = RunInChild(self, args + " --with-baseline");
      auto memory = RunInChild(self, args);
      const double ratio =
          speed["validate_fold_gbps"].get<double>() / speed["baseline_gbps"].get<double>();
      std::printf("%-7d %-15s %-8s %5.2f GB/s %5.2f GB/s %6.0f%% %4.2f GB/s %7.3f s %5.2f x model\n",
                  count, (config.strategy + " (" + config.accumulator.substr(5) + "-bit)").c_str(),
                  config.payload.c_str(), speed["baseline_gbps"].get<double>(),
                  speed["validate_fold_gbps"].get<double>(), 100.0 * ratio,
                  speed["sha256_gbps"].get<double>(), speed["finish_seconds"].get<double>(),
                  memory["peak_rss_model_sizes"].get<double>());
      std::fflush(stdout);
    }
  }
  std::printf(
      "\ntimes are thread CPU time; baseline = acc += w*x over the same update bytes with the same "
      "accumulator type, interleaved update by update in the same process;\nsubmit = "
      "AggregationRound::Submit (envelope checks, parse, names/shapes/dtypes/sample count, finite "
      "values, fold); ratio = submit / baseline;\npayload owned = Submit(envelope, buffer): "
      "checked and folded in one pass over the buffer; borrowed = Submit(envelope): check pass, "
      "then fold;\nsha256 = hashing the payload (by the transport, for the audit log; not in the "
      "ratio); finish = Close (the new global model);\npeak RSS = VmHWM growth of a separate fresh "
      "process, in model-file sizes (global model + update buffer + accumulator; the output model "
      "replaces the buffer).\n");
  return 0;
}
