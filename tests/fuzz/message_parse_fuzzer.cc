// libFuzzer target: ParseMessageHeader (untrusted JSON -> typed message) and, for accepted
// headers, the serialize/parse round trip and the site outbound check.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pancaim/protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto message = pancaim::protocol::ParseMessageHeader(text);
  if (message.ok()) {
    const std::string again = pancaim::protocol::SerializeMessageHeader(*message);
    auto reparsed = pancaim::protocol::ParseMessageHeader(again);
    if (!reparsed.ok() || pancaim::protocol::ToJson(*reparsed) != pancaim::protocol::ToJson(*message)) {
      __builtin_trap();
    }
    pancaim::protocol::CheckSiteOutboundHeader(pancaim::protocol::ToJson(*message)).IgnoreError();
  }
  return 0;
}
