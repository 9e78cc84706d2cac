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
#include "pancaim/crypto/tls_context.h"

namespace pancaim::bench {

// A temporary CA with a coordinator (server) and a site (client) certificate; removed on
// destruction.
class BenchPki {
 public:
  static StatusOr<std::unique_ptr<BenchPki>> Create();
  ~BenchPki();

  // Fresh production TLS contexts (crypto::TlsContext: TLS 1.3 only, mutual certificates,
  // consortium CA only, CRL checked) for the coordinator and the site.
  StatusOr<std::unique_ptr<crypto::TlsContext>> ServerContext() const;
  StatusOr<std::unique_ptr<crypto::TlsContext>> ClientContext() const;

 private:
  BenchPki() = default;
  std::filesystem::path folder_;
  crypto::TlsFiles server_files_;
  crypto::TlsFiles client_files_;
};

struct RunResult {
  double seconds = 0;
  std::string note;  // e.g. the negotiated cipher suite
};

// (a) Raw OpenSSL EVP AES-256-GCM encryption, one thread, in TLS-record-sized (16 KiB) pieces.
StatusOr<RunResult> MeasureEvpAesGcm(std::uint64_t total_bytes);

// (b) One TLS 1.3 connection of plain OpenSSL (SSL_write/SSL_read on blocking sockets, one
// thread per side, read-ahead on so a record costs one read) carrying the bytes in
// `chunk_bytes` writes.
StatusOr<RunResult> MeasurePlainTls(const BenchPki& pki, std::uint64_t total_bytes,
                                    std::uint64_t chunk_bytes);

// (b') The same over boost::asio::ssl::stream (synchronous reads and writes, no framing): the
// TLS engine the channel is built on, without the channel.
StatusOr<RunResult> MeasurePlainAsioTls(const BenchPki& pki, std::uint64_t total_bytes,
                                        std::uint64_t chunk_bytes);

// How the channel's payload SHA-256 is handled in a measurement.
enum class ChannelIntegrity {
  kOff,       // payload_integrity off
  kAttached,  // the channel hashes every payload on send and verifies it on receive
  kSupplied,  // the sender supplies the digest (hashed once, as the coordinator does for the
              // model it sends to every site); the channel only verifies on receive
};

// (c) The secure channel: Server + Connect on an IoThreadPool of `io_threads`, `chunk_bytes`
// payload frames, integrity as `integrity`.
StatusOr<RunResult> MeasureChannel(const BenchPki& pki, std::uint64_t total_bytes,
                                   std::uint64_t chunk_bytes, ChannelIntegrity integrity,
                                   std::size_t io_threads);

}  // namespace pancaim::bench
