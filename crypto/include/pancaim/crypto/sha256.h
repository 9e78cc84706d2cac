// SHA-256 digests (OpenSSL EVP), used for payload integrity, model version ids and the audit chain.
// Sha256 is an incremental hasher owned by one thread; the free function is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace pancaim::crypto {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // Lowercase hex of the digest; the hasher must not be updated afterwards.
  std::string FinishHex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lowercase hex SHA-256 of `bytes` (64 characters).
std::string Sha256Hex(std::string_view bytes);

}  // namespace pancaim::crypto
