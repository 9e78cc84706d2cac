// Internal: the Connection implementation over boost::asio::ssl::stream<tcp::socket>.
//
// All state below "strand-only" is touched only on the connection's strand; the atomics and the
// mutex-guarded members are what Send/Close/WaitClosed use from other threads. Every pending
// asynchronous operation holds a shared_ptr to the connection, so it lives until the last
// handler has run, even after the application dropped its handle.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "pancaim/crypto/sha256.h"
#include "pancaim/transport/channel_options.h"
#include "pancaim/transport/connection.h"
#include "tls_socket.h"

namespace pancaim::transport::internal {

class TlsConnection;

// How the owner (Server or Connect) learns about the connection's life. Run on the strand.
struct ConnectionHooks {
  // Authentication finished: OK (identity known, ready) or the reason it failed. Called once.
  std::function<void(const std::shared_ptr<TlsConnection>&, const Status&)> on_ready;
  // The socket is closed and every callback has run. Called once, last.
  std::function<void(const std::shared_ptr<TlsConnection>&)> on_finalized;
};

class TlsConnection final : public Connection,
                            public std::enable_shared_from_this<TlsConnection> {
 public:
  enum class Side { kServer, kClient };
  using Clock = std::chrono::steady_clock;

  TlsConnection(boost::asio::io_context& io, boost::asio::ssl::context& tls, Side side,
                ChannelOptions options, ConnectionHandlers handlers, ConnectionHooks hooks);
  ~TlsConnection() override;

  boost::asio::ip::tcp::socket& socket() { return tls_.socket(); }

  // Server side: the socket was accepted; run the handshake. Starts the handshake deadline.
  void StartServer();
  // Client side: connect to `endpoints`, send `sni` (when not empty), run the handshake.
  void StartClient(boost::asio::ip::tcp::resolver::results_type endpoints, std::string sni);
  // Drops the connection at once (e.g. evicted at the unauthenticated cap). Any thread.
  void Abort(Status reason);

  // Connection:
  const crypto::PeerIdentity& peer() const override { return peer_; }
  const std::string& remote_address() const override { return remote_address_; }
  std::string Describe() const override;
  Status Send(nlohmann::json header, std::string payload, SendCallback done) override;
  Status SendShared(nlohmann::json header, std::shared_ptr<const std::string> payload,
                    SendCallback done) override;
  Status SendAndWait(nlohmann::json header, std::string payload,
                     std::chrono::milliseconds timeout) override;
  void Close(std::string reason) override;
  bool WaitClosed(std::chrono::milliseconds timeout) override;
  bool is_open() const override { return accepting_sends_.load(); }
  std::size_t queued_bytes() const override { return queued_bytes_.load(); }

 private:
  enum class State {
    kConnecting,       // client: TCP connect
    kHandshaking,      // TLS handshake
    kAwaitingWelcome,  // client: authenticated the server, waiting for its welcome (or bye)
    kOpen,
    kClosing,         // we queued a bye; waiting for it to be written and the peer's close_notify
    kRefusing,        // we refuse the peer: writing a final bye, then cutting the connection
    kShuttingDown,    // TLS close_notify exchange
    kClosed,
  };

  struct OutgoingFrame {
    std::string head;  // prefix + JSON header
    std::shared_ptr<const std::string> payload;
    SendCallback done;
    std::size_t reserved_bytes = 0;  // counted in queued_bytes_ (0 for control frames)
    bool is_bye = false;
  };

  // Frame building and queueing (any thread).
  StatusOr<OutgoingFrame> PrepareFrame(nlohmann::json header,
                                       std::shared_ptr<const std::string> payload,
                                       SendCallback done);
  bool TryReserve(std::size_t bytes);
  void Release(std::size_t bytes);
  // Moves `frame` into the queue when there is room; leaves it untouched when refusing.
  Status Enqueue(OutgoingFrame& frame);
  void EnqueueControl(const nlohmann::json& header);

  // Strand-only.
  void OnConnected(const boost::system::error_code& ec);
  void DoHandshake();
  void OnHandshake(const boost::system::error_code& ec);
  void BecomeReady();
  void DoReadPrefix();
  void OnPrefix(const boost::system::error_code& ec, std::size_t bytes);
  void OnHeader(const boost::system::error_code& ec, std::size_t bytes);
  void HandleControlFrame(const std::string& type, const nlohmann::json& header);
  void DoReadPayloadChunk();
  void OnPayloadChunk(const boost::system::error_code& ec, std::size_t bytes);
  void OnChunkHashed();
  void DeliverMessage();
  void OnReadError(const boost::system::error_code& ec, std::string_view during);
  void DoWrite();
  void OnWrite(const boost::system::error_code& ec, std::size_t bytes);
  void BeginClose(const std::string& reason);
  void OnPeerBye(const nlohmann::json& header);
  void Refuse(Status reason);
  void DoShutdown();
  void Tick();
  void CheckDeadlines();
  void Finalize(Status reason);
  void FailQueuedFrames(const Status& reason, bool keep_in_flight);
  std::string PeerLabel() const;  // remote address, plus identity once known

  const Side side_;
  const ChannelOptions options_;
  ConnectionHandlers handlers_;
  ConnectionHooks hooks_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  // Hashes received payload chunks in order while the connection strand reads the next ones, so
  // integrity checking overlaps decryption on another pool thread.
  boost::asio::strand<boost::asio::io_context::executor_type> hash_strand_;
  TlsSocket tls_;
  boost::asio::steady_timer watchdog_;
  const std::chrono::milliseconds tick_;

  // Set once on the strand before the connection is handed out, then read-only.
  crypto::PeerIdentity peer_;
  std::string remote_address_;
  std::atomic<bool> identified_{false};

  // Any thread.
  std::atomic<bool> accepting_sends_{false};
  std::atomic<std::size_t> queued_bytes_{0};
  mutable std::mutex wait_mutex_;
  std::condition_variable wait_cv_;  // signalled on Release() and on Finalize()
  bool closed_ = false;              // guarded by wait_mutex_

  // Strand-only.
  State state_ = State::kConnecting;
  bool ready_reported_ = false;
  bool finalized_ = false;
  Status close_status_;
  Clock::time_point handshake_deadline_ = Clock::time_point::max();
  Clock::time_point read_deadline_ = Clock::time_point::max();
  Clock::time_point write_deadline_ = Clock::time_point::max();
  Clock::time_point close_deadline_ = Clock::time_point::max();
  Clock::time_point last_send_;
  bool reading_frame_ = false;  // a frame has started arriving
  char prefix_[16] = {};
  std::uint64_t payload_bytes_ = 0;
  std::uint64_t payload_read_ = 0;
  std::string header_text_;
  nlohmann::json header_;
  std::string payload_;
  std::optional<crypto::Sha256> payload_hasher_;  // Update() only on hash_strand_
  int hash_pending_ = 0;            // chunks posted to hash_strand_, not yet hashed
  bool waiting_for_hash_ = false;   // reading paused until hash_pending_ reaches 0
  std::deque<OutgoingFrame> send_queue_;
  bool write_in_progress_ = false;
  std::uint64_t write_offset_ = 0;  // into head + payload of send_queue_.front()
  bool shutdown_after_write_ = false;
};

}  // namespace pancaim::transport::internal
