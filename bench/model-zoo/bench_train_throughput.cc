// bench-train-throughput: training samples/s of the zoo's ct-cnn3d and mnist-cnn through the C++
// trainer, next to the same architectures in Python PyTorch (bench/model-zoo/train_throughput.py
// run by Debian's /usr/bin/python3, which wraps the same LibTorch), with the same batch size,
// threads, optimizer and data layout, in the same run. Prints the ratio C++ / Python (target
// >= 1.0) and the BLAS library actually loaded.
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "pancaim/model_zoo/synthetic.h"
#include "pancaim/model_zoo/trainer.h"

namespace {

struct Config {
  std::string python = "/usr/bin/python3";
  std::string script = PANCAIM_BENCH_SCRIPT;
  std::vector<std::string> models = {"ct-cnn3d", "mnist-cnn"};
  std::int64_t batch_size = 8;
  std::int64_t threads = 2;
  std::int64_t steps = 20;
  std::int64_t warmup = 3;
  std::int64_t repeats = 3;
  std::int64_t samples = 64;
  std::int64_t volume_side = 32;
};

// The shared objects mapped into this process whose path mentions BLAS.
std::string LoadedBlas() {
  std::ifstream maps("/proc/self/maps");
  std::string line, found;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("blas") != std::string::npos && found.find(path) == std::string::npos) {
      found += (found.empty() ? "" : ", ") + path;
    }
  }
  return found.empty() ? "none found" : found;
}

pancaim::StatusOr<double> CppSamplesPerSecond(const Config& c, const std::string& name) {
  using namespace pancaim::zoo;
  PANCAIM_ASSIGN_OR_RETURN(ZooModel model, CreateModel(name, nlohmann::json::object(), 1));
  SyntheticShape shape;
  shape.volume_side = c.volume_side;
  PANCAIM_ASSIGN_OR_RETURN(std::vector<Sample> samples, SyntheticSamples(model, c.samples, 1, shape));
  InMemoryDataset data(std::move(samples));
  TrainOptions o;
  o.batch_size = c.batch_size;
  o.threads = c.threads;
  o.device = "cpu";
  o.optimizer = "sgd";
  o.learning_rate = 0.01;
  o.momentum = 0.9;
  o.max_steps = c.warmup;
  PANCAIM_RETURN_IF_ERROR(Train(model, data, o).status());
  o.max_steps = c.steps;
  PANCAIM_ASSIGN_OR_RETURN(TrainResult result, Train(model, data, o));
  return result.samples_per_second;
}

pancaim::StatusOr<double> PythonSamplesPerSecond(const Config& c, const std::string& name) {
  const std::string command = c.python + " " + c.script + " --model " + name + " --batch-size " +
                              std::to_string(c.batch_size) + " --threads " + std::to_string(c.threads) +
                              " --steps " + std::to_string(c.steps) + " --warmup " +
                              std::to_string(c.warmup) + " --samples " + std::to_string(c.samples) +
                              " --volume-side " + std::to_string(c.volume_side);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return pancaim::UnavailableError("cannot run: " + command);
  std::string output;
  std::array<char, 4096> buffer;
  while (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) output += buffer.data();
  const int status = pclose(pipe.release());
  if (status != 0) return pancaim::UnavailableError("'" + command + "' failed: " + output);
  try {
    return nlohmann::json::parse(output).at("samples_per_second").get<double>();
  } catch (const nlohmann::json::exception& e) {
    return pancaim::InvalidArgumentError("unreadable output of '" + command + "': " + output);
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"Training throughput of ct-cnn3d and mnist-cnn: C++ trainer vs Python PyTorch, same run."};
  app.add_option("--python", c.python, "Python with torch (Debian's python3-torch)");
  app.add_option("--script", c.script, "the Python baseline script");
  app.add_option("--models", c.models, "models to measure")->delimiter(',');
  app.add_option("--batch-size", c.batch_size, "samples per step")->check(CLI::Range(1, 4096));
  app.add_option("--threads", c.threads, "CPU threads for both")->check(CLI::Range(1, 256));
  app.add_option("--steps", c.steps, "measured steps per repeat")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", c.warmup, "unmeasured steps first")->check(CLI::Range(1, 100000));
  app.add_option("--repeats", c.repeats, "alternating repeats; medians are reported")->check(CLI::Range(1, 100));
  app.add_option("--volume-side", c.volume_side, "CT crop side for ct-cnn3d")->check(CLI::Range(4, 256));
  CLI11_PARSE(app, argc, argv);

  std::printf("BLAS loaded: %s\n", LoadedBlas().c_str());
  std::printf("batch %lld, threads %lld, %lld measured steps x %lld repeats (medians)\n",
              static_cast<long long>(c.batch_size), static_cast<long long>(c.threads),
              static_cast<long long>(c.steps), static_cast<long long>(c.repeats));
  std::printf("%-12s %14s %14s %8s\n", "model", "C++ samples/s", "Py samples/s", "C++/Py");
  for (const std::string& name : c.models) {
    std::vector<double> cpp, py;
    for (std::int64_t r = 0; r < c.repeats; ++r) {
      auto a = CppSamplesPerSecond(c, name);
      auto b = PythonSamplesPerSecond(c, name);
      if (!a.ok() || !b.ok()) {
        std::fprintf(stderr, "bench-train-throughput: %s\n",
                     (!a.ok() ? a.status() : b.status()).ToString().c_str());
        return 1;
      }
      cpp.push_back(*a);
      py.push_back(*b);
    }
    const double ratio = Median(cpp) / Median(py);
    std::printf("%-12s %14.2f %14.2f %8.3f\n", name.c_str(), Median(cpp), Median(py), ratio);
  }
  return 0;
}
