// The CA's record of issued certificates (index.json): serialization and lookups.
// Internal to crypto/. A value; not synchronized.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::crypto::internal {

struct CaIndex {
  std::uint64_t crl_number = 0;  // number of the last CRL generated (0: none yet)
  std::vector<IssuedCertificate> certificates;  // oldest first; certificate_pem left empty

  // Entry with this serial (hex, case-insensitive, leading zeros ignored), or nullptr.
  IssuedCertificate* FindSerial(std::string_view serial_hex);
};

// JSON text of the index (stable field order, one certificate per array element).
std::string SerializeCaIndex(const CaIndex& index);

// Parses index.json; errors name `file` and the offending field.
StatusOr<CaIndex> ParseCaIndex(std::string_view json_text, const std::string& file);

// Canonical form used for comparing serials: upper case, no leading zeros ("0" for zero).
std::string CanonicalSerial(std::string_view serial_hex);

}  // namespace pancaim::crypto::internal
