// Internal state of an opened CertificateAuthority, shared by its implementation files.
#pragma once

#include <filesystem>
#include <string>

#include "ca_index.h"
#include "openssl_util.h"
#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::crypto {

struct CertificateAuthority::State {
  std::filesystem::path folder;
  internal::X509Ptr certificate;
  internal::PkeyPtr key;
  std::string certificate_pem;
  TimePoint not_after;
  internal::CaIndex index;
  int lock_fd = -1;  // holds an exclusive flock on <folder>/.lock
};

namespace internal {

inline constexpr char kCaCertFile[] = "ca.crt";
inline constexpr char kCaKeyFile[] = "ca.key";
inline constexpr char kIndexFile[] = "index.json";
inline constexpr char kCrlFile[] = "crl.pem";
inline constexpr char kIssuedFolder[] = "issued";
inline constexpr char kLockFile[] = ".lock";
inline constexpr std::uint64_t kMaxIndexBytes = 64 * 1024 * 1024;

// Writes index.json atomically.
Status SaveCaIndex(const std::filesystem::path& folder, const CaIndex& index);

}  // namespace internal
}  // namespace pancaim::crypto
