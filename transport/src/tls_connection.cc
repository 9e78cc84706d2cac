#include "tls_connection.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <future>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>

#include "pancaim/common/log.h"
#include "pancaim/crypto/tls_context.h"
#include "pancaim/transport/payload_integrity.h"

namespace pancaim::transport::internal {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kIoChunkBytes = std::size_t{1} << 20;  // per write deadline step
// Payload bytes per read (and per hashing step): small enough to stay in cache between the
// decryption that writes them and the SHA-256 pass that reads them on the other thread.
constexpr std::uint64_t kPayloadChunkBytes = std::uint64_t{256} << 10;
// Received chunks that may wait for hashing before reading pauses.
constexpr int kMaxChunksAhead = 4;
constexpr std::size_t kInitialPayloadBytes = std::size_t{64} << 20;  // grown as bytes arrive
constexpr std::size_t kMaxHeaderDepth = 64;
constexpr std::string_view kReservedPrefix = "transport.";
constexpr const char* kHeartbeat = "transport.heartbeat";
constexpr const char* kBye = "transport.bye";
constexpr const char* kWelcome = "transport.welcome";

std::chrono::milliseconds TickFor(const ChannelOptions& options) {
  auto shortest = std::min({options.handshake_timeout, options.idle_timeout, options.io_timeout,
                            options.heartbeat_interval});
  return std::clamp(shortest / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
}

std::string Ms(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// Parses a header from the network: a JSON object, nesting bounded, never throws.
StatusOr<nlohmann::json> ParseHeader(const std::string& text) {
  bool too_deep = false;
  nlohmann::json::parser_callback_t depth_guard =
      [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > static_cast<int>(kMaxHeaderDepth)) too_deep = true;
        return !too_deep;
      };
  nlohmann::json header =
      nlohmann::json::parse(text, depth_guard, /*allow_exceptions=*/false);
  if (too_deep) {
    return InvalidArgumentError("frame header nests deeper than " +
                                std::to_string(kMaxHeaderDepth) + " levels");
  }
  if (header.is_discarded()) return InvalidArgumentError("frame header is not valid JSON");
  if (!header.is_object()) return InvalidArgumentError("frame header is not a JSON object");
  auto type = header.find("type");
  if (type == header.end() || !type->is_string()) {
    return InvalidArgumentError("frame header has no string field 'type'");
  }
  return header;
}

// The 16-byte prefix followed by the JSON header; a payload, if any, is written from its own buffer.
StatusOr<std::string> EncodeFrameHead(const std::string& header_json, std::uint64_t payload_bytes,
                                      const protocol::FrameLimits& limits) {
  PANCAIM_ASSIGN_OR_RETURN(
      std::string head,
      protocol::EncodeFramePrefix(
          {static_cast<std::uint32_t>(header_json.size()), payload_bytes}, limits));
  head += header_json;
  return head;
}

StatusCode CodeFromName(std::string_view name) {
  for (int code = 0; code <= static_cast<int>(StatusCode::kInternal); ++code) {
    if (StatusCodeName(static_cast<StatusCode>(code)) == name) {
      return static_cast<StatusCode>(code);
    }
  }
  return StatusCode::kUnavailable;
}

bool IsIpAddress(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

TlsConnection::TlsConnection(asio::io_context& io, asio::ssl::context& tls, Side side,
                             ChannelOptions options, ConnectionHandlers handlers,
                             ConnectionHooks hooks)
    : side_(side),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      hooks_(std::move(hooks)),
      strand_(asio::make_strand(io)),
      hash_strand_(asio::make_strand(io)),
      tls_(strand_, tls),
      watchdog_(strand_),
      tick_(TickFor(options_)) {}

TlsConnection::~TlsConnection() = default;

std::string TlsConnection::PeerLabel() const {
  std::string label = remote_address_.empty() ? std::string("(unconnected)") : remote_address_;
  if (identified_.load()) label += " (" + peer_.ToString() + ")";
  return label;
}

std::string TlsConnection::Describe() const { return PeerLabel(); }

// ---- Start -------------------------------------------------------------------------------------

void TlsConnection::StartServer() {
  error_code ec;
  auto endpoint = socket().remote_endpoint(ec);
  remote_address_ = ec ? "(unknown peer)"
                       : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  asio::post(strand_, [self = shared_from_this()] {
    self->handshake_deadline_ = Clock::now() + self->options_.handshake_timeout;
    self->Tick();
    self->DoHandshake();
  });
}

void TlsConnection::StartClient(asio::ip::tcp::resolver::results_type endpoints, std::string sni) {
  if (!endpoints.empty()) {
    auto first = endpoints.begin()->endpoint();
    remote_address_ = first.address().to_string() + ":" + std::to_string(first.port());
  }
  if (!sni.empty() && !IsIpAddress(sni)) {
    SSL_set_tlsext_host_name(tls_.native_handle(), sni.c_str());
  }
  asio::post(strand_, [self = shared_from_this(), endpoints = std::move(endpoints)] {
    self->handshake_deadline_ = Clock::now() + self->options_.handshake_timeout;
    self->Tick();
    asio::async_connect(self->socket(), endpoints,
                        [self](const error_code& ec, const asio::ip::tcp::endpoint& endpoint) {
                          if (!ec) {
                            self->remote_address_ = endpoint.address().to_string() + ":" +
                                                    std::to_string(endpoint.port());
                          }
                          self->OnConnected(ec);
                        });
  });
}

void TlsConnection::OnConnected(const error_code& ec) {
  if (finalized_) return;
  if (ec) {
    Finalize(UnavailableError("cannot connect to " + PeerLabel() + ": " + ec.message()));
    return;
  }
  error_code ignored;
  socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  DoHandshake();
}

void TlsConnection::DoHandshake() {
  state_ = State::kHandshaking;
  tls_.AsyncHandshake(side_ == Side::kServer, [self = shared_from_this()](const error_code& ec) {
    self->OnHandshake(ec);
  });
}

void TlsConnection::OnHandshake(const error_code& ec) {
  if (finalized_) return;
  if (ec) {
    Finalize(UnauthenticatedError("TLS handshake with " + PeerLabel() + " failed: " +
                                  crypto::DescribeHandshakeFailure(tls_.native_handle(), ec)));
    return;
  }
  StatusOr<crypto::PeerIdentity> identity =
      options_.identity_extractor ? options_.identity_extractor(tls_.native_handle())
                                  : crypto::VerifiedPeerIdentity(tls_.native_handle());
  if (!identity.ok()) {
    Refuse(identity.status().WithContext("peer " + PeerLabel() + " has no usable identity"));
    return;
  }
  peer_ = *std::move(identity);
  identified_ = true;
  const auto& roles = options_.allowed_peer_roles;
  if (!roles.empty() && std::find(roles.begin(), roles.end(), peer_.role) == roles.end()) {
    Refuse(PermissionDeniedError("peer " + PeerLabel() + " has role '" +
                                 std::string(crypto::RoleName(peer_.role)) +
                                 "', which may not connect here"));
    return;
  }
  DoReadPrefix();
  if (side_ == Side::kServer) {
    EnqueueControl({{"type", kWelcome}});
    BecomeReady();
  } else {
    state_ = State::kAwaitingWelcome;  // still under the handshake deadline
  }
}

void TlsConnection::BecomeReady() {
  state_ = State::kOpen;
  handshake_deadline_ = Clock::time_point::max();
  if (!reading_frame_) read_deadline_ = Clock::now() + options_.idle_timeout;
  last_send_ = Clock::now();
  accepting_sends_ = true;
  ready_reported_ = true;
  auto self = shared_from_this();
  if (hooks_.on_ready) hooks_.on_ready(self, Status::Ok());
  if (handlers_.on_connect) handlers_.on_connect(self);
}

// ---- Reading -----------------------------------------------------------------------------------

void TlsConnection::DoReadPrefix() {
  reading_frame_ = false;
  // Before the channel is ready, the handshake deadline governs instead.
  read_deadline_ = state_ == State::kOpen || state_ == State::kClosing
                       ? Clock::now() + options_.idle_timeout
                       : Clock::time_point::max();
  tls_.AsyncRead(asio::buffer(prefix_),
                 [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
                   self->OnPrefix(ec, bytes);
                 });
}

void TlsConnection::OnPrefix(const error_code& ec, std::size_t bytes) {
  if (finalized_) return;
  if (ec) {
    reading_frame_ = bytes > 0;
    OnReadError(ec, "frame prefix (" + std::to_string(bytes) + " of 16 bytes)");
    return;
  }
  StatusOr<protocol::FramePrefix> prefix =
      protocol::DecodeFramePrefix(std::string_view(prefix_, sizeof(prefix_)),
                                  options_.frame_limits);
  if (!prefix.ok()) {
    Refuse(prefix.status().WithContext("refused frame from " + PeerLabel()));
    return;
  }
  reading_frame_ = true;
  payload_bytes_ = prefix->payload_bytes;
  header_text_.assign(prefix->header_bytes, '\0');
  if (state_ == State::kOpen || state_ == State::kClosing) {
    read_deadline_ = Clock::now() + options_.io_timeout;
  }
  tls_.AsyncRead(asio::buffer(header_text_),
                 [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
                   self->OnHeader(ec, bytes);
                 });
}

void TlsConnection::OnHeader(const error_code& ec, std::size_t bytes) {
  if (finalized_) return;
  if (ec) {
    OnReadError(ec, "frame header (" + std::to_string(bytes) + " of " +
                        std::to_string(header_text_.size()) + " bytes)");
    return;
  }
  StatusOr<nlohmann::json> header = ParseHeader(header_text_);
  if (!header.ok()) {
    Refuse(header.status().WithContext("refused frame from " + PeerLabel()));
    return;
  }
  header_ = *std::move(header);
  const std::string type = header_["type"].get<std::string>();
  if (type.starts_with(kReservedPrefix)) {
    if (payload_bytes_ != 0) {
      Refuse(InvalidArgumentError("refused frame from " + PeerLabel() + ": control frame '" +
                                  type + "' carries a payload"));
      return;
    }
    HandleControlFrame(type, header_);
    return;
  }
  if (state_ != State::kOpen && state_ != State::kClosing) {
    Refuse(InvalidArgumentError("refused frame from " + PeerLabel() + ": '" + type +
                                "' before the channel was ready"));
    return;
  }
  payload_read_ = 0;
  payload_.clear();
  payload_hasher_.reset();
  if (payload_bytes_ > 0 && options_.payload_integrity) {
    // Refuse a payload without a digest before reading (and buffering) any of it.
    Status has_digest =
        CheckPayloadDigestPresent(header_, PeerLabel(), options_.payload_digest_fields);
    if (!has_digest.ok()) {
      Refuse(has_digest);
      return;
    }
    payload_hasher_.emplace();
  }
  // No hashing is pending between frames, so the buffer may be (re)allocated here.
  if (payload_bytes_ > 0) {
    payload_.reserve(static_cast<std::size_t>(
        std::min<std::uint64_t>(kInitialPayloadBytes, payload_bytes_)));
  }
  DoReadPayloadChunk();
}

void TlsConnection::HandleControlFrame(const std::string& type, const nlohmann::json& header) {
  if (type == kHeartbeat) {
    DoReadPrefix();
  } else if (type == kBye) {
    OnPeerBye(header);
  } else if (type == kWelcome && side_ == Side::kClient && state_ == State::kAwaitingWelcome) {
    DoReadPrefix();
    BecomeReady();
  } else {
    Refuse(InvalidArgumentError("refused frame from " + PeerLabel() + ": unexpected '" + type +
                                "'"));
  }
}

void TlsConnection::DoReadPayloadChunk() {
  const bool complete = payload_read_ == payload_bytes_;
  const bool must_grow = !complete && payload_read_ == payload_.capacity();
  // The digest must be complete before delivery, and the buffer must not move under the
  // hasher. Reading also stays at most kMaxChunksAhead chunks ahead of hashing: a bounded
  // handoff, so the hash keeps pace with decryption instead of piling up to the end of a large
  // frame (where reading would stall while the sender fills the socket and waits). A thread of
  // the pool that finds this strand waiting runs the pending hashing. OnChunkHashed resumes.
  if (hash_pending_ > 0 &&
      (complete || must_grow || hash_pending_ >= kMaxChunksAhead)) {
    waiting_for_hash_ = true;
    return;
  }
  if (complete) {
    DeliverMessage();
    return;
  }
  if (must_grow) {
    // Grow geometrically as bytes arrive, so a peer announcing a large payload and then
    // stalling does not make us hold the whole announced size.
    std::uint64_t next = std::max<std::uint64_t>(payload_.capacity() * 2, kInitialPayloadBytes);
    payload_.reserve(static_cast<std::size_t>(std::min(next, payload_bytes_)));
  }
  const std::size_t chunk = static_cast<std::size_t>(
      std::min<std::uint64_t>({kPayloadChunkBytes, payload_.capacity() - payload_read_,
                               payload_bytes_ - payload_read_}));
  // The string grows by one chunk at a time (within its capacity, so the bytes the hasher is
  // reading stay put): its zero fill and the decryption that overwrites it touch the same
  // cached bytes, instead of a separate pass over the whole payload.
  payload_.resize(static_cast<std::size_t>(payload_read_) + chunk);
  read_deadline_ = Clock::now() + options_.io_timeout;
  tls_.AsyncRead(asio::buffer(payload_.data() + payload_read_, chunk),
                 [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
                   self->OnPayloadChunk(ec, bytes);
                 });
}

void TlsConnection::OnPayloadChunk(const error_code& ec, std::size_t bytes) {
  if (finalized_) return;
  if (payload_hasher_ && bytes > 0) {
    // Hashed on hash_strand_ (another pool thread) while this strand decrypts the next chunk.
    // The pointer is taken here: payload_ itself is only touched on this strand.
    ++hash_pending_;
    const char* data = payload_.data() + payload_read_;
    asio::post(hash_strand_, [self = shared_from_this(), data, bytes] {
      self->payload_hasher_->Update(std::string_view(data, bytes));
      asio::post(self->strand_, [self] { self->OnChunkHashed(); });
    });
  }
  payload_read_ += bytes;
  if (ec) {
    OnReadError(ec, "payload (" + std::to_string(payload_read_) + " of " +
                        std::to_string(payload_bytes_) + " bytes)");
    return;
  }
  DoReadPayloadChunk();
}

void TlsConnection::OnChunkHashed() {
  --hash_pending_;
  if (finalized_ || !waiting_for_hash_) return;
  waiting_for_hash_ = false;
  DoReadPayloadChunk();  // waits again if still too far ahead
}

void TlsConnection::DeliverMessage() {
  if (payload_hasher_) {
    Status integrity = CheckPayloadSha256(header_, payload_hasher_->FinishHex(), true,
                                          PeerLabel(), options_.payload_digest_fields);
    payload_hasher_.reset();
    if (!integrity.ok()) {
      Refuse(integrity);
      return;
    }
  } else if (options_.payload_integrity && payload_bytes_ == 0) {
    Status integrity =
        CheckPayloadSha256(header_, "", false, PeerLabel(), options_.payload_digest_fields);
    if (!integrity.ok()) {
      Refuse(integrity);
      return;
    }
  }
  nlohmann::json header = std::move(header_);
  std::string payload = std::move(payload_);
  payload_ = std::string();
  if (state_ == State::kOpen && handlers_.on_message) {
    handlers_.on_message(shared_from_this(), peer_, std::move(header), std::move(payload));
  }
  if (finalized_ || state_ == State::kRefusing || state_ == State::kShuttingDown) return;
  DoReadPrefix();
}

void TlsConnection::OnReadError(const error_code& ec, std::string_view during) {
  if (ec == asio::error::operation_aborted) {
    Finalize(CancelledError("connection to " + PeerLabel() + " aborted"));
    return;
  }
  const bool clean_eof = ec == asio::error::eof;
  const bool truncated = ec == asio::ssl::error::stream_truncated;
  if (state_ == State::kHandshaking || state_ == State::kAwaitingWelcome) {
    Finalize(UnavailableError("server " + PeerLabel() + " refused the session: " + ec.message()));
    return;
  }
  if (reading_frame_ && (clean_eof || truncated)) {
    Refuse(DataLossError("truncated frame from " + PeerLabel() +
                         ": the connection ended while reading the " + std::string(during)));
    return;
  }
  if (state_ == State::kClosing && (clean_eof || truncated)) {
    if (write_in_progress_) {
      shutdown_after_write_ = true;
    } else {
      DoShutdown();
    }
    return;
  }
  if (clean_eof || truncated) {
    Finalize(UnavailableError("peer " + PeerLabel() + " closed the connection without bye" +
                              (truncated ? " (no TLS close_notify)" : "")));
    return;
  }
  Finalize(UnavailableError("reading from " + PeerLabel() + " failed: " + ec.message()));
}

// ---- Sending -----------------------------------------------------------------------------------

StatusOr<TlsConnection::OutgoingFrame> TlsConnection::PrepareFrame(
    nlohmann::json header, std::shared_ptr<const std::string> payload, SendCallback done) {
  if (!header.is_object()) {
    return InvalidArgumentError("frame to " + PeerLabel() + ": header is not a JSON object");
  }
  auto type = header.find("type");
  if (type == header.end() || !type->is_string()) {
    return InvalidArgumentError("frame to " + PeerLabel() + ": header has no string 'type'");
  }
  if (type->get_ref<const std::string&>().starts_with(kReservedPrefix)) {
    return InvalidArgumentError("frame to " + PeerLabel() + ": type '" +
                                type->get<std::string>() + "' is reserved for the channel");
  }
  const std::uint64_t payload_bytes = payload ? payload->size() : 0;
  if (payload_bytes > options_.frame_limits.max_payload_bytes) {
    return InvalidArgumentError("frame to " + PeerLabel() + ": payload of " +
                                std::to_string(payload_bytes) + " bytes exceeds the cap of " +
                                std::to_string(options_.frame_limits.max_payload_bytes));
  }
  if (options_.payload_integrity && payload_bytes > 0) {
    Status attached = AttachPayloadSha256(header, *payload, options_.payload_digest_fields,
                                          options_.recheck_supplied_digest);
    if (!attached.ok()) return attached.WithContext("frame to " + PeerLabel());
  }
  std::string text = header.dump();
  if (text.size() > options_.frame_limits.max_header_bytes) {
    return InvalidArgumentError("frame to " + PeerLabel() + ": header of " +
                                std::to_string(text.size()) + " bytes exceeds the cap of " +
                                std::to_string(options_.frame_limits.max_header_bytes));
  }
  OutgoingFrame frame;
  PANCAIM_ASSIGN_OR_RETURN(frame.head, EncodeFrameHead(text, payload_bytes, options_.frame_limits));
  frame.reserved_bytes = frame.head.size() + payload_bytes;
  frame.payload = payload_bytes > 0 ? std::move(payload) : nullptr;
  frame.done = std::move(done);
  return frame;
}

bool TlsConnection::TryReserve(std::size_t bytes) {
  std::size_t current = queued_bytes_.load();
  while (true) {
    if (current != 0 && current + bytes > options_.max_send_queue_bytes) return false;
    if (queued_bytes_.compare_exchange_weak(current, current + bytes)) return true;
  }
}

void TlsConnection::Release(std::size_t bytes) {
  if (bytes == 0) return;
  queued_bytes_ -= bytes;
  std::lock_guard<std::mutex> lock(wait_mutex_);
  wait_cv_.notify_all();
}

Status TlsConnection::Enqueue(OutgoingFrame& frame) {
  if (!accepting_sends_) {
    return FailedPreconditionError("connection to " + PeerLabel() + " is closing or closed");
  }
  if (!TryReserve(frame.reserved_bytes)) {
    return ResourceExhaustedError("send queue to " + PeerLabel() + " is full (" +
                                  std::to_string(queued_bytes_.load()) + " bytes queued, cap " +
                                  std::to_string(options_.max_send_queue_bytes) + ")");
  }
  asio::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
    if (self->state_ != State::kOpen) {
      self->Release(frame.reserved_bytes);
      if (frame.done) {
        frame.done(CancelledError("connection to " + self->PeerLabel() + " closed before send"));
      }
      return;
    }
    self->send_queue_.push_back(std::move(frame));
    self->DoWrite();
  });
  return Status::Ok();
}

Status TlsConnection::Send(nlohmann::json header, std::string payload, SendCallback done) {
  auto shared = payload.empty() ? nullptr
                                : std::make_shared<const std::string>(std::move(payload));
  return SendShared(std::move(header), std::move(shared), std::move(done));
}

Status TlsConnection::SendShared(nlohmann::json header, std::shared_ptr<const std::string> payload,
                                 SendCallback done) {
  PANCAIM_ASSIGN_OR_RETURN(OutgoingFrame frame,
                           PrepareFrame(std::move(header), std::move(payload), std::move(done)));
  return Enqueue(frame);
}

Status TlsConnection::SendAndWait(nlohmann::json header, std::string payload,
                                  std::chrono::milliseconds timeout) {
  PANCAIM_CHECK(!strand_.running_in_this_thread()) << "SendAndWait called from a handler";
  const auto deadline = Clock::now() + timeout;
  auto written = std::make_shared<std::promise<Status>>();
  std::future<Status> result = written->get_future();
  auto shared = payload.empty() ? nullptr
                                : std::make_shared<const std::string>(std::move(payload));
  PANCAIM_ASSIGN_OR_RETURN(
      OutgoingFrame frame,
      PrepareFrame(std::move(header), std::move(shared),
                   [written](const Status& status) { written->set_value(status); }));
  while (true) {
    // Locked before trying, so a Release() between the attempt and the wait is not missed.
    std::unique_lock<std::mutex> lock(wait_mutex_);
    Status queued = Enqueue(frame);
    if (queued.ok()) break;
    if (queued.code() != StatusCode::kResourceExhausted) return queued;
    if (wait_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return DeadlineExceededError("no room in the send queue to " + PeerLabel() + " within " +
                                   Ms(timeout));
    }
  }
  if (result.wait_until(deadline) != std::future_status::ready) {
    return DeadlineExceededError("frame to " + PeerLabel() + " not written within " + Ms(timeout) +
                                 " (it stays queued)");
  }
  return result.get();
}

void TlsConnection::EnqueueControl(const nlohmann::json& header) {
  OutgoingFrame frame;
  StatusOr<std::string> head = EncodeFrameHead(header.dump(), 0, options_.frame_limits);
  PANCAIM_CHECK(head.ok()) << "control frame does not fit the frame limits: " << head.status();
  frame.head = *std::move(head);
  frame.is_bye = header["type"] == kBye;
  send_queue_.push_back(std::move(frame));
  DoWrite();
}

void TlsConnection::DoWrite() {
  if (write_in_progress_ || send_queue_.empty() || finalized_) return;
  if (state_ == State::kShuttingDown) return;
  const OutgoingFrame& frame = send_queue_.front();
  const std::uint64_t head_size = frame.head.size();
  const std::uint64_t total = head_size + (frame.payload ? frame.payload->size() : 0);
  std::uint64_t budget = std::min<std::uint64_t>(kIoChunkBytes, total - write_offset_);
  std::array<asio::const_buffer, 2> buffers;  // the second stays empty when unused
  std::size_t count = 0;
  if (write_offset_ < head_size) {
    std::size_t from_head = static_cast<std::size_t>(
        std::min<std::uint64_t>(head_size - write_offset_, budget));
    buffers[count++] = asio::buffer(frame.head.data() + write_offset_, from_head);
    budget -= from_head;
  }
  if (budget > 0) {
    std::uint64_t payload_offset = std::max(write_offset_, head_size) - head_size;
    buffers[count++] = asio::buffer(frame.payload->data() + payload_offset,
                                    static_cast<std::size_t>(budget));
  }
  write_in_progress_ = true;
  write_deadline_ = Clock::now() + options_.io_timeout;
  tls_.AsyncWrite(buffers, [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
    self->OnWrite(ec, bytes);
  });
}

void TlsConnection::OnWrite(const error_code& ec, std::size_t bytes) {
  write_in_progress_ = false;
  write_deadline_ = Clock::time_point::max();
  if (finalized_) {
    // Finalize kept the in-flight frame alive for this write; fail it now.
    FailQueuedFrames(close_status_.ok() ? CancelledError("connection to " + PeerLabel() + " closed")
                                        : close_status_,
                     /*keep_in_flight=*/false);
    return;
  }
  if (ec) {
    // While refusing, the refusal is what happened; the final bye may fail because the peer
    // already cut the connection (then OpenSSL refuses to write on the failed session).
    Finalize(state_ == State::kRefusing
                 ? close_status_
                 : UnavailableError("writing to " + PeerLabel() + " failed: " + ec.message()));
    return;
  }
  last_send_ = Clock::now();
  write_offset_ += bytes;
  OutgoingFrame& frame = send_queue_.front();
  const std::uint64_t total = frame.head.size() + (frame.payload ? frame.payload->size() : 0);
  if (write_offset_ == total) {
    OutgoingFrame done = std::move(frame);
    send_queue_.pop_front();
    write_offset_ = 0;
    Release(done.reserved_bytes);
    if (done.done) done.done(Status::Ok());
    if (done.is_bye) {
      if (state_ == State::kRefusing) {
        Finalize(close_status_);
        return;
      }
      close_deadline_ = Clock::now() + options_.io_timeout;  // for the peer's close_notify
    }
  }
  if (shutdown_after_write_) {
    shutdown_after_write_ = false;
    DoShutdown();
    return;
  }
  DoWrite();
}

// ---- Closing -----------------------------------------------------------------------------------

void TlsConnection::Close(std::string reason) {
  asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)] {
    self->BeginClose(reason);
  });
}

void TlsConnection::BeginClose(const std::string& reason) {
  if (finalized_) return;
  if (state_ != State::kOpen) {
    if (state_ == State::kConnecting || state_ == State::kHandshaking ||
        state_ == State::kAwaitingWelcome) {
      Finalize(CancelledError("connection to " + PeerLabel() + " closed before it was ready: " +
                              reason));
    }
    return;
  }
  accepting_sends_ = false;
  state_ = State::kClosing;
  close_status_ = Status::Ok();
  PANCAIM_LOG(INFO) << "closing connection to " << PeerLabel() << ": " << reason;
  EnqueueControl({{"type", kBye}, {"reason", reason}, {"code", "OK"}});
}

void TlsConnection::OnPeerBye(const nlohmann::json& header) {
  std::string reason = "(no reason given)";
  if (auto it = header.find("reason"); it != header.end() && it->is_string()) {
    reason = it->get<std::string>().substr(0, 512);
  }
  std::string code = "UNAVAILABLE";
  if (auto it = header.find("code"); it != header.end() && it->is_string()) {
    code = it->get<std::string>();
  }
  if (state_ == State::kAwaitingWelcome) {
    Finalize(Status(CodeFromName(code) == StatusCode::kOk ? StatusCode::kUnavailable
                                                          : CodeFromName(code),
                    "server " + PeerLabel() + " refused the session: " + reason));
    return;
  }
  PANCAIM_LOG(INFO) << "peer " << PeerLabel() << " said bye: " << reason;
  accepting_sends_ = false;
  close_status_ = code == "OK" ? Status::Ok()
                               : Status(CodeFromName(code), "peer " + PeerLabel() +
                                                                " closed the connection: " + reason);
  FailQueuedFrames(CancelledError("peer " + PeerLabel() + " closed the connection: " + reason),
                   /*keep_in_flight=*/true);
  if (write_in_progress_) {
    state_ = State::kClosing;
    shutdown_after_write_ = true;
  } else {
    DoShutdown();
  }
}

void TlsConnection::Refuse(Status reason) {
  if (finalized_) return;
  PANCAIM_LOG(WARNING) << "refusing connection: " << reason;  // names the peer
  accepting_sends_ = false;
  if (state_ == State::kRefusing || state_ == State::kShuttingDown || write_in_progress_) {
    Finalize(reason);
    return;
  }
  state_ = State::kRefusing;
  close_status_ = reason;
  FailQueuedFrames(reason, /*keep_in_flight=*/false);
  read_deadline_ = Clock::time_point::max();
  handshake_deadline_ = Clock::time_point::max();
  EnqueueControl({{"type", kBye},
                  {"reason", reason.message().substr(0, 512)},
                  {"code", std::string(StatusCodeName(reason.code()))}});
}

void TlsConnection::DoShutdown() {
  state_ = State::kShuttingDown;
  close_deadline_ = Clock::now() + options_.io_timeout;
  read_deadline_ = Clock::time_point::max();
  tls_.AsyncShutdown([self = shared_from_this()](const error_code&) {
    // Errors here (peer already gone, no close_notify back) change nothing: we are done.
    self->Finalize(self->close_status_);
  });
}

void TlsConnection::Abort(Status reason) {
  asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)] {
    self->Finalize(reason);  // logs the reason
  });
}

void TlsConnection::FailQueuedFrames(const Status& reason, bool keep_in_flight) {
  std::deque<OutgoingFrame> failed;
  if (keep_in_flight && write_in_progress_ && !send_queue_.empty()) {
    failed.assign(std::make_move_iterator(send_queue_.begin() + 1),
                  std::make_move_iterator(send_queue_.end()));
    send_queue_.erase(send_queue_.begin() + 1, send_queue_.end());
  } else {
    failed.swap(send_queue_);
    write_offset_ = 0;
  }
  for (OutgoingFrame& frame : failed) {
    Release(frame.reserved_bytes);
    if (frame.done) frame.done(reason);
  }
}

void TlsConnection::Finalize(Status reason) {
  if (finalized_) return;
  finalized_ = true;
  state_ = State::kClosed;
  accepting_sends_ = false;
  error_code ignored;
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
  watchdog_.cancel();
  close_status_ = reason;
  // An in-flight write may still read its frame's buffers until its handler runs (OnWrite).
  FailQueuedFrames(reason.ok() ? CancelledError("connection to " + PeerLabel() + " closed")
                               : reason,
                   /*keep_in_flight=*/true);
  auto self = shared_from_this();
  if (!ready_reported_) {
    ready_reported_ = true;
    if (reason.ok()) reason = CancelledError("connection to " + PeerLabel() + " closed");
    PANCAIM_LOG(WARNING) << "connection " << PeerLabel() << " not established: " << reason;
    if (hooks_.on_ready) hooks_.on_ready(self, reason);
  } else {
    if (reason.ok()) {
      PANCAIM_LOG(INFO) << "connection to " << PeerLabel() << " closed";
    } else {
      PANCAIM_LOG(WARNING) << "connection to " << PeerLabel() << " lost: " << reason;
    }
    if (handlers_.on_disconnect) handlers_.on_disconnect(self, reason);
  }
  if (hooks_.on_finalized) hooks_.on_finalized(self);
  // Handlers may hold references to the application; drop them now that nothing will call them.
  handlers_ = ConnectionHandlers();
  hooks_ = ConnectionHooks();
  {
    std::lock_guard<std::mutex> lock(wait_mutex_);
    closed_ = true;
  }
  wait_cv_.notify_all();
}

bool TlsConnection::WaitClosed(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(wait_mutex_);
  return wait_cv_.wait_for(lock, timeout, [this] { return closed_; });
}

// ---- Deadlines and heartbeats ------------------------------------------------------------------

void TlsConnection::Tick() {
  watchdog_.expires_after(tick_);
  watchdog_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->finalized_) return;
    self->CheckDeadlines();
    if (!self->finalized_) self->Tick();
  });
}

void TlsConnection::CheckDeadlines() {
  const auto now = Clock::now();
  if (now >= handshake_deadline_) {
    Finalize(DeadlineExceededError("handshake with " + PeerLabel() + " not completed within " +
                                   Ms(options_.handshake_timeout)));
    return;
  }
  if (now >= read_deadline_) {
    if (reading_frame_) {
      Finalize(DeadlineExceededError("frame from " + PeerLabel() + " stalled: no progress for " +
                                     Ms(options_.io_timeout)));
    } else {
      Finalize(DeadlineExceededError("peer " + PeerLabel() + " idle for " +
                                     Ms(options_.idle_timeout) + " (no frame or heartbeat)"));
    }
    return;
  }
  if (now >= write_deadline_) {
    Finalize(DeadlineExceededError("writing to " + PeerLabel() + " stalled: peer not reading for " +
                                   Ms(options_.io_timeout)));
    return;
  }
  if (now >= close_deadline_) {
    Finalize(close_status_.ok() ? close_status_
                                : close_status_.WithContext("close did not complete in time"));
    return;
  }
  if (state_ == State::kOpen && !write_in_progress_ && send_queue_.empty() &&
      now - last_send_ >= options_.heartbeat_interval) {
    EnqueueControl({{"type", kHeartbeat}});
  }
}

}  // namespace pancaim::transport::internal
