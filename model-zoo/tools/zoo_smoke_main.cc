// pancaim-zoo-smoke: trains every zoo model briefly on synthetic data and reports device,
// throughput and whether the loss falls. Exit status 0 when every loss fell, 1 otherwise, 2 on
// errors. Parses its few flags by hand: it must build on a bare GPU machine with only LibTorch
// and the JSON headers (scripts/gpu-check), where CLI11 may be missing.
#include <cstdio>
#include <cstring>
#include <string>

#include "pancaim/model_zoo/smoke.h"

namespace {

constexpr char kUsage[] =
    "Usage: pancaim-zoo-smoke [options]\n"
    "Trains each model of the zoo for a few steps on synthetic data and prints device,\n"
    "throughput (samples/s) and whether the loss falls.\n\n"
    "Options:\n"
    "  --device SPEC        auto (default), cpu, cuda, cuda:N\n"
    "  --models A,B         models to run (default: all)\n"
    "  --steps N            optimizer steps per model (default 30)\n"
    "  --batch-size N       samples per step (default 8)\n"
    "  --samples N          synthetic samples per model (default 32)\n"
    "  --volume-side N      CT crop side in voxels (default 32)\n"
    "  --tile-side N        slide tile side in pixels (default 32)\n"
    "  --threads N          CPU threads (default: LibTorch's)\n"
    "  --mixed-precision    bfloat16 autocast on CUDA\n"
    "  --help               this text\n";

bool ParseInt(const char* text, std::int64_t& value) {
  char* end = nullptr;
  const long long parsed = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || parsed <= 0 || parsed > 1000000) return false;
  value = parsed;
  return true;
}

// Returns false (after printing why) on a bad command line.
bool ParseArgs(int argc, char** argv, pancaim::zoo::SmokeOptions& o, bool& help) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      return true;
    }
    if (arg == "--mixed-precision") {
      o.mixed_precision = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "pancaim-zoo-smoke: %s needs a value (see --help)\n", arg.c_str());
      return false;
    }
    const char* value = argv[++i];
    std::int64_t number = 0;
    bool ok = true;
    if (arg == "--device") {
      o.device = value;
    } else if (arg == "--models") {
      std::string list = value;
      for (size_t start = 0; start <= list.size();) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (comma > start) o.models.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (arg == "--steps") {
      ok = ParseInt(value, o.steps);
    } else if (arg == "--batch-size") {
      ok = ParseInt(value, o.batch_size);
    } else if (arg == "--samples") {
      ok = ParseInt(value, o.samples);
    } else if (arg == "--volume-side") {
      ok = ParseInt(value, o.shape.volume_side);
    } else if (arg == "--tile-side") {
      ok = ParseInt(value, o.shape.tile_side);
    } else if (arg == "--threads") {
      ok = ParseInt(value, number);
      o.threads = number;
    } else {
      std::fprintf(stderr, "pancaim-zoo-smoke: unknown option %s (see --help)\n", arg.c_str());
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "pancaim-zoo-smoke: %s: '%s' is not a positive integer\n", arg.c_str(), value);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  pancaim::zoo::SmokeOptions options;
  bool help = false;
  if (!ParseArgs(argc, argv, options, help)) return 2;
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto results = pancaim::zoo::RunSmoke(options, stdout);
  if (!results.ok()) {
    std::fprintf(stderr, "pancaim-zoo-smoke: %s\n", results.status().ToString().c_str());
    return 2;
  }
  bool all_fell = true;
  for (const auto& r : *results) all_fell = all_fell && r.loss_fell;
  std::printf("%s\n", all_fell ? "OK: the loss fell for every model" : "FAIL: a loss did not fall");
  return all_fell ? 0 : 1;
}
