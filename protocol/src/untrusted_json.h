// Internal: parsing JSON that arrives from the network or from a file we did not write.
// Not part of the public API.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"

namespace pancaim::protocol::internal {

// Parses `text` as one JSON document, refusing (InvalidArgument, message starting with `what`):
// syntax errors (with the byte offset), nesting deeper than `max_depth`, and duplicate keys in
// any object (nlohmann would otherwise keep the last one silently, so two readers could disagree
// about what a header says). Numbers beyond a double's range are syntax errors. Never throws.
StatusOr<nlohmann::json> ParseUntrustedJson(std::string_view text, std::string_view what,
                                            std::size_t max_depth);

}  // namespace pancaim::protocol::internal
