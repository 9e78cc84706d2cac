#include "pancaim/scenarios/run_results.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <system_error>

#include "pancaim/common/files.h"

namespace pancaim::scenarios {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json Optional(const std::optional<double>& value) {
  return value && std::isfinite(*value) ? json(*value) : json(nullptr);
}

json CurveToJson(const SurvivalCurve& curve) {
  return {{"time", curve.time}, {"survival", curve.survival}};
}

// Reads fields of one JSON object, remembering the first error with its full key path.
class Reader {
 public:
  Reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  template <typename T>
  T Get(const char* key, Status& status, T fallback = T()) const {
    if (!status.ok()) return fallback;
    auto it = object_.find(key);
    if (it == object_.end()) {
      status = InvalidArgumentError("key '" + Key(key) + "' is missing");
      return fallback;
    }
    try {
      return it->get<T>();
    } catch (const json::exception&) {
      status = InvalidArgumentError("key '" + Key(key) + "' has the wrong type (" +
                                    std::string(it->type_name()) + ")");
      return fallback;
    }
  }

  std::optional<double> GetOptional(const char* key, Status& status) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return std::nullopt;
    if (!it->is_number()) {
      if (status.ok()) status = InvalidArgumentError("key '" + Key(key) + "' is not a number");
      return std::nullopt;
    }
    return it->get<double>();
  }

  // The array at `key` (empty array when absent is an error).
  const json& Array(const char* key, Status& status) const {
    static const json kEmpty = json::array();
    auto it = object_.find(key);
    if (it == object_.end() || !it->is_array()) {
      if (status.ok()) status = InvalidArgumentError("key '" + Key(key) + "' must be an array");
      return kEmpty;
    }
    return *it;
  }

  std::string Key(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  const json& object_;
  std::string path_;
};

Status RequireObject(const json& value, const std::string& path) {
  if (value.is_object()) return Status::Ok();
  return InvalidArgumentError("key '" + path + "' must be an object");
}

SurvivalCurve CurveFromJson(const json& value, const std::string& path, Status& status) {
  SurvivalCurve curve;
  if (!status.ok()) return curve;
  if (Status s = RequireObject(value, path); !s.ok()) {
    status = s;
    return curve;
  }
  Reader r(value, path);
  curve.time = r.Get<std::vector<double>>("time", status);
  curve.survival = r.Get<std::vector<double>>("survival", status);
  if (status.ok() && curve.time.size() != curve.survival.size()) {
    status = InvalidArgumentError("key '" + path + "': time and survival differ in length");
  }
  return curve;
}

void ParseRounds(const json& array, RunResults& out, Status& status) {
  for (std::size_t i = 0; i < array.size() && status.ok(); ++i) {
    const std::string path = "rounds[" + std::to_string(i) + "]";
    if (status = RequireObject(array[i], path); !status.ok()) return;
    Reader r(array[i], path);
    RoundResult round;
    round.round = r.Get<int>("round", status);
    round.metric = r.GetOptional("metric", status);
    round.train_loss = r.GetOptional("train_loss", status);
    round.sites_done = r.Get<int>("sites_done", status);
    round.sites_selected = r.Get<int>("sites_selected", status);
    round.seconds = r.Get<double>("seconds", status);
    out.rounds.push_back(round);
  }
}

void ParseSites(const json& array, RunResults& out, Status& status) {
  for (std::size_t i = 0; i < array.size() && status.ok(); ++i) {
    const std::string path = "sites[" + std::to_string(i) + "]";
    if (status = RequireObject(array[i], path); !status.ok()) return;
    Reader r(array[i], path);
    SiteResult site;
    site.name = r.Get<std::string>("name", status);
    site.train = r.Get<int>("train", status);
    site.validation = r.Get<int>("validation", status);
    site.test = r.Get<int>("test", status);
    site.positives = r.Get<int>("positives", status);
    site.events = r.Get<int>("events", status);
    const json modalities = r.Get<json>("modalities", status);
    if (status.ok()) {
      if (status = RequireObject(modalities, path + ".modalities"); !status.ok()) return;
      Reader m(modalities, path + ".modalities");
      site.modalities = {m.Get<int>("ct", status), m.Get<int>("mask", status),
                         m.Get<int>("slide", status), m.Get<int>("vcf", status)};
    }
    site.local_metric = r.GetOptional("local_metric", status);
    site.federated_metric = r.GetOptional("federated_metric", status);
    out.sites.push_back(site);
  }
}

void ParseEvents(const json& array, RunResults& out, Status& status) {
  for (std::size_t i = 0; i < array.size() && status.ok(); ++i) {
    const std::string path = "events[" + std::to_string(i) + "]";
    if (status = RequireObject(array[i], path); !status.ok()) return;
    Reader r(array[i], path);
    out.events.push_back({r.Get<double>("seconds", status), r.Get<int>("round", status),
                          r.Get<std::string>("kind", status),
                          r.Get<std::string>("detail", status)});
  }
}

void ParseSurvival(const json& value, RunResults& out, Status& status) {
  if (value.is_null() || !status.ok()) return;
  if (status = RequireObject(value, "survival"); !status.ok()) return;
  Reader r(value, "survival");
  SurvivalResult survival;
  survival.threshold = r.Get<double>("threshold", status);
  survival.low_count = r.Get<int>("low_count", status);
  survival.high_count = r.Get<int>("high_count", status);
  survival.p_value = r.GetOptional("p_value", status);
  survival.chi_square = r.GetOptional("chi_square", status);
  survival.low = CurveFromJson(r.Get<json>("low", status), "survival.low", status);
  survival.high = CurveFromJson(r.Get<json>("high", status), "survival.high", status);
  out.survival = std::move(survival);
}

std::string Number(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return "";
  char text[64];
  std::snprintf(text, sizeof(text), "%.10g", *value);
  return text;
}

std::string Number(double value) { return Number(std::optional<double>(value)); }

// A CSV cell: quoted when it holds a comma, quote or line break.
std::string Cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string RoundsCsv(const RunResults& r) {
  std::string csv = "round,metric,train_loss,sites_done,sites_selected,seconds\n";
  for (const auto& x : r.rounds) {
    csv += std::to_string(x.round) + "," + Number(x.metric) + "," + Number(x.train_loss) + "," +
           std::to_string(x.sites_done) + "," + std::to_string(x.sites_selected) + "," +
           Number(x.seconds) + "\n";
  }
  return csv;
}

std::string SitesCsv(const RunResults& r) {
  std::string csv =
      "site,train,validation,test,positives,events,ct,mask,slide,vcf,local_metric,"
      "federated_metric\n";
  for (const auto& s : r.sites) {
    csv += Cell(s.name) + "," + std::to_string(s.train) + "," + std::to_string(s.validation) +
           "," + std::to_string(s.test) + "," + std::to_string(s.positives) + "," +
           std::to_string(s.events) + "," + std::to_string(s.modalities.ct) + "," +
           std::to_string(s.modalities.mask) + "," + std::to_string(s.modalities.slide) + "," +
           std::to_string(s.modalities.vcf) + "," + Number(s.local_metric) + "," +
           Number(s.federated_metric) + "\n";
  }
  return csv;
}

std::string SurvivalCsv(const SurvivalResult& s) {
  std::string csv = "group,time,survival\n";
  for (std::size_t i = 0; i < s.low.time.size(); ++i) {
    csv += "low," + Number(s.low.time[i]) + "," + Number(s.low.survival[i]) + "\n";
  }
  for (std::size_t i = 0; i < s.high.time.size(); ++i) {
    csv += "high," + Number(s.high.time[i]) + "," + Number(s.high.survival[i]) + "\n";
  }
  return csv;
}

}  // namespace

json ResultsToJson(const RunResults& r) {
  json rounds = json::array();
  for (const auto& x : r.rounds) {
    rounds.push_back({{"round", x.round}, {"metric", Optional(x.metric)},
                      {"train_loss", Optional(x.train_loss)}, {"sites_done", x.sites_done},
                      {"sites_selected", x.sites_selected}, {"seconds", x.seconds}});
  }
  json sites = json::array();
  for (const auto& s : r.sites) {
    sites.push_back({{"name", s.name}, {"train", s.train}, {"validation", s.validation},
                     {"test", s.test}, {"positives", s.positives}, {"events", s.events},
                     {"modalities",
                      {{"ct", s.modalities.ct}, {"mask", s.modalities.mask},
                       {"slide", s.modalities.slide}, {"vcf", s.modalities.vcf}}},
                     {"local_metric", Optional(s.local_metric)},
                     {"federated_metric", Optional(s.federated_metric)}});
  }
  json survival = nullptr;
  if (r.survival) {
    const auto& s = *r.survival;
    survival = {{"threshold", s.threshold}, {"low_count", s.low_count},
                {"high_count", s.high_count}, {"p_value", Optional(s.p_value)},
                {"chi_square", Optional(s.chi_square)}, {"low", CurveToJson(s.low)},
                {"high", CurveToJson(s.high)}};
  }
  json events = json::array();
  for (const auto& e : r.events) {
    events.push_back(
        {{"seconds", e.seconds}, {"round", e.round}, {"kind", e.kind}, {"detail", e.detail}});
  }
  json strategies = json::array();
  for (const auto& s : r.strategies) {
    strategies.push_back({{"strategy", s.strategy}, {"final_metric", Optional(s.final_metric)}});
  }
  return {{"format", kResultsFormat},
          {"scenario", r.scenario},
          {"task", r.task},
          {"metric", r.metric},
          {"strategy", r.strategy},
          {"started_utc", r.started_utc},
          {"rounds", rounds},
          {"sites", sites},
          {"baselines",
           {{"local_mean", Optional(r.baselines.local_mean)},
            {"centralized", Optional(r.baselines.centralized)}}},
          {"survival", survival},
          {"events", events},
          {"strategies", strategies}};
}

StatusOr<RunResults> ResultsFromJson(const json& document, std::string_view source) {
  const std::string where(source);
  if (!document.is_object()) return InvalidArgumentError(where + ": not a JSON object");
  Status status;
  Reader r(document, "");
  RunResults out;
  const std::string format = r.Get<std::string>("format", status);
  if (status.ok() && format != kResultsFormat) {
    status = InvalidArgumentError("key 'format': '" + format + "' is not " + kResultsFormat);
  }
  out.scenario = r.Get<std::string>("scenario", status);
  out.task = r.Get<std::string>("task", status);
  out.metric = r.Get<std::string>("metric", status);
  out.strategy = r.Get<std::string>("strategy", status);
  out.started_utc = r.Get<std::string>("started_utc", status);
  ParseRounds(r.Array("rounds", status), out, status);
  ParseSites(r.Array("sites", status), out, status);
  const json baselines = r.Get<json>("baselines", status);
  if (status.ok()) {
    if (status = RequireObject(baselines, "baselines"); status.ok()) {
      Reader b(baselines, "baselines");
      out.baselines.local_mean = b.GetOptional("local_mean", status);
      out.baselines.centralized = b.GetOptional("centralized", status);
    }
  }
  ParseSurvival(document.contains("survival") ? document["survival"] : json(nullptr), out,
                status);
  ParseEvents(r.Array("events", status), out, status);
  const json& strategies = r.Array("strategies", status);
  for (std::size_t i = 0; i < strategies.size() && status.ok(); ++i) {
    const std::string path = "strategies[" + std::to_string(i) + "]";
    if (status = RequireObject(strategies[i], path); !status.ok()) break;
    Reader s(strategies[i], path);
    out.strategies.push_back(
        {s.Get<std::string>("strategy", status), s.GetOptional("final_metric", status)});
  }
  if (!status.ok()) return status.WithContext(where);
  return out;
}

Status WriteResultFiles(const RunResults& r, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir.string() + ": " + ec.message());
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(dir / "results.json", ResultsToJson(r).dump(2) + "\n"));
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(dir / "rounds.csv", RoundsCsv(r)));
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(dir / "sites.csv", SitesCsv(r)));
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(
      dir / "baselines.csv", "baseline,metric\nlocal_mean," + Number(r.baselines.local_mean) +
                                 "\ncentralized," + Number(r.baselines.centralized) + "\n"));
  std::string events = "seconds,round,kind,detail\n";
  for (const auto& e : r.events) {
    events += Number(e.seconds) + "," + std::to_string(e.round) + "," + Cell(e.kind) + "," +
              Cell(e.detail) + "\n";
  }
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(dir / "events.csv", events));
  std::string strategies = "strategy,final_metric\n";
  for (const auto& s : r.strategies) strategies += Cell(s.strategy) + "," + Number(s.final_metric) + "\n";
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(dir / "strategies.csv", strategies));
  if (r.survival) {
    PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(dir / "km_curves.csv", SurvivalCsv(*r.survival)));
    PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(
        dir / "log_rank.csv",
        "threshold,low_count,high_count,chi_square,p_value\n" + Number(r.survival->threshold) +
            "," + std::to_string(r.survival->low_count) + "," +
            std::to_string(r.survival->high_count) + "," + Number(r.survival->chi_square) + "," +
            Number(r.survival->p_value) + "\n"));
  }
  return Status::Ok();
}

std::string UtcTimestampNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm = {};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace pancaim::scenarios
