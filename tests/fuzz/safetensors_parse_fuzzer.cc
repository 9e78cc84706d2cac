// libFuzzer target: SafetensorsView::Parse over arbitrary bytes. Any crash, sanitizer report or
// out-of-bounds read is a bug; a returned error is the expected outcome for most inputs.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pancaim/protocol/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A private copy, so ASan flags any read past the input's end.
  const std::string buffer(reinterpret_cast<const char*>(data), size);
  auto view = pancaim::protocol::SafetensorsView::Parse(buffer);
  if (view.ok()) {
    // Touch every byte the views claim, and check the re-serialized form parses the same.
    std::size_t total = 0;
    for (const auto& tensor : view->tensors()) {
      for (char c : tensor.data) total += static_cast<unsigned char>(c);
    }
    auto again = pancaim::protocol::SerializeSafetensors(view->tensors(), view->metadata());
    if (!again.ok()) __builtin_trap();
    auto reparsed = pancaim::protocol::SafetensorsView::Parse(*again);
    if (!reparsed.ok() || reparsed->tensors().size() != view->tensors().size()) __builtin_trap();
    (void)total;
  }
  return 0;
}
