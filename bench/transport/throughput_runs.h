// The measurements behind bench-channel-throughput: each moves (or encrypts) `total_bytes` in
// `chunk_bytes` pieces and returns the elapsed seconds. Everything runs over 127.0.0.1 with
// certificates from a throw-away consortium CA (BenchPki), so the channel and the plain OpenSSL
// baseline negotiate the same TLS 1.3 suite from the same contexts. Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "pancaim/common/status.h"
#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::bench {

// A temporary CA with a coordinator (server) and a site (client) certificate; removed on
// destruction.
class BenchPki {
 public:
  static StatusOr<std::unique_ptr<BenchPki>> Create();
  ~BenchPki();

  // TLS 1.3 only, mutual certificates, consortium CA only (as crypto::TlsContext configures it).
  StatusOr<std::unique_ptr<boost::asio::ssl::context>> ServerContext() const;
  StatusOr<std::unique_ptr<boost::asio::ssl::context>> ClientContext() const;

 private:
  BenchPki() = default;
  StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeContext(bool server) const;
  std::filesystem::path folder_;
  std::string ca_path_;
  std::string server_cert_, server_key_, client_cert_, client_key_;
};

struct RunResult {
  double seconds = 0;
  std::string note;  // e.g. the negotiated cipher suite
};

// (a) Raw OpenSSL EVP AES-256-GCM encryption, one thread, in TLS-record-sized (16 KiB) pieces.
StatusOr<RunResult> MeasureEvpAesGcm(std::uint64_t total_bytes);

// (b) One TLS 1.3 connection of plain OpenSSL (SSL_write/SSL_read on blocking sockets, one
// thread per side) carrying the bytes in `chunk_bytes` writes.
StatusOr<RunResult> MeasurePlainTls(const BenchPki& pki, std::uint64_t total_bytes,
                                    std::uint64_t chunk_bytes);

// (c) The secure channel: Server + Connect on an IoThreadPool of `io_threads`, `chunk_bytes`
// payload frames (payload_sha256 attached and verified when `integrity`).
StatusOr<RunResult> MeasureChannel(const BenchPki& pki, std::uint64_t total_bytes,
                                   std::uint64_t chunk_bytes, bool integrity,
                                   std::size_t io_threads);

}  // namespace pancaim::bench
