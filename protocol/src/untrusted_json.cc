#include "untrusted_json.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace pancaim::protocol::internal {
namespace {

using nlohmann::json;

// Thrown from the parser callback to stop parsing; caught in ParseUntrustedJson.
struct Refusal {
  std::string message;
};

}  // namespace

StatusOr<json> ParseUntrustedJson(std::string_view text, std::string_view what,
                                  std::size_t max_depth) {
  // One set of seen keys per open container; arrays get an unused empty set so that pushes and
  // pops pair up for both kinds of container.
  std::vector<std::set<std::string>> open;
  auto callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) -> bool {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (open.size() >= max_depth) {
          throw Refusal{"nesting deeper than " + std::to_string(max_depth) + " levels"};
        }
        open.emplace_back();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second) {
          throw Refusal{"duplicate key '" + parsed.get<std::string>() + "'"};
        }
        break;
      case json::parse_event_t::value:
        break;  // nlohmann itself refuses numbers beyond a double's range (1e400)
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true);
  } catch (const Refusal& refusal) {
    return InvalidArgumentError(std::string(what) + ": " + refusal.message);
  } catch (const json::exception& error) {
    return InvalidArgumentError(std::string(what) + ": invalid JSON: " + error.what());
  } catch (const std::exception& error) {
    // e.g. std::bad_alloc on absurd input: still a refusal, never a crash.
    return InvalidArgumentError(std::string(what) + ": cannot parse JSON: " + error.what());
  }
}

}  // namespace pancaim::protocol::internal
