#include "tls_socket.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>

#include "pancaim/common/check.h"

namespace pancaim::transport::internal {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// OpenSSL reads this much from the socket at once (several records per recv), as the plain
// OpenSSL baseline in bench/transport does.
constexpr std::size_t kReadAheadBytes = std::size_t{64} << 10;

int SocketOf(BIO* bio) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
}

bool WouldBlock(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

// A socket BIO like OpenSSL's BIO_s_socket, except that it sends with MSG_NOSIGNAL: a peer that
// vanished yields EPIPE (an error for this connection), never SIGPIPE (death of the process).
int BioWrite(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t sent = ::send(SocketOf(bio), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (sent >= 0) return static_cast<int>(sent);
  if (WouldBlock(errno)) BIO_set_retry_write(bio);
  return -1;
}

int BioRead(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t got = ::recv(SocketOf(bio), data, static_cast<std::size_t>(size), 0);
  if (got > 0) return static_cast<int>(got);
  if (got == 0) {
    BIO_set_flags(bio, BIO_FLAGS_IN_EOF);  // lets OpenSSL tell a cut connection from a clean one
    return 0;
  }
  if (WouldBlock(errno)) BIO_set_retry_read(bio);
  return -1;
}

long BioCtrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is buffered here
    case BIO_CTRL_EOF:
      return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    default:
      return 0;
  }
}

int BioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* SocketBioMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* created =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "pancaim socket (no SIGPIPE)");
    PANCAIM_CHECK(created != nullptr) << "BIO_meth_new failed";
    BIO_meth_set_write(created, BioWrite);
    BIO_meth_set_read(created, BioRead);
    BIO_meth_set_ctrl(created, BioCtrl);
    BIO_meth_set_create(created, BioCreate);
    return created;
  }();
  return method;
}

error_code EofOrTruncated(SSL* ssl) {
  // As Asio reports it: eof only after the peer's close_notify.
  if ((SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN) != 0) return asio::error::eof;
  return asio::ssl::error::stream_truncated;
}

}  // namespace

TlsSocket::TlsSocket(Strand strand, asio::ssl::context& context)
    : strand_(strand), socket_(strand), ssl_(SSL_new(context.native_handle())) {
  PANCAIM_CHECK(ssl_ != nullptr) << "SSL_new failed";
  // Partial writes: each successful SSL_write_ex returns what it wrote, so a retry after
  // EAGAIN never replays state; the buffer is the same one, but may be passed at another offset.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_read_ahead(ssl_, 1);
  SSL_set_default_read_buffer_len(ssl_, kReadAheadBytes);
}

TlsSocket::~TlsSocket() { SSL_free(ssl_); }

TlsSocket::Want TlsSocket::Classify(int result, error_code& error) {
  const int saved_errno = errno;
  const int ssl_error = SSL_get_error(ssl_, result);
  const unsigned long queued = ERR_get_error();
  ERR_clear_error();
  switch (ssl_error) {
    case SSL_ERROR_WANT_READ:
      return Want::kRead;
    case SSL_ERROR_WANT_WRITE:
      return Want::kWrite;
    case SSL_ERROR_ZERO_RETURN:
      error = asio::error::eof;  // the peer's close_notify
      return Want::kDone;
    case SSL_ERROR_SYSCALL:
      if (queued != 0) {
        error = error_code(static_cast<int>(queued), asio::error::get_ssl_category());
      } else if (saved_errno != 0) {
        error = error_code(saved_errno, boost::system::system_category());
      } else {
        error = EofOrTruncated(ssl_);
      }
      return Want::kDone;
    default:
      if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        error = EofOrTruncated(ssl_);
      } else if (queued != 0) {
        error = error_code(static_cast<int>(queued), asio::error::get_ssl_category());
      } else {
        error = asio::error::fault;  // SSL_ERROR_SSL without a queued reason: should not happen
      }
      return Want::kDone;
  }
}

template <typename Resume>
void TlsSocket::WaitFor(Want want, Resume resume) {
  socket_.async_wait(want == Want::kRead ? asio::ip::tcp::socket::wait_read
                                         : asio::ip::tcp::socket::wait_write,
                     asio::bind_executor(strand_, std::move(resume)));
}

// ---- Handshake ---------------------------------------------------------------------------------

void TlsSocket::AsyncHandshake(bool server, DoneHandler done) {
  error_code error;
  if (socket_.is_open()) socket_.native_non_blocking(true, error);
  if (!socket_.is_open() || error) {
    if (!error) error = asio::error::bad_descriptor;
    asio::post(strand_, [done = std::move(done), error] { done(error); });
    return;
  }
  BIO* bio = BIO_new(SocketBioMethod());
  PANCAIM_CHECK(bio != nullptr) << "BIO_new failed";
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(socket_.native_handle())));
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns it now
  if (server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
  PumpHandshake(std::move(done));
}

void TlsSocket::PumpHandshake(DoneHandler done) {
  error_code error;
  if (!socket_.is_open()) {
    error = asio::error::bad_descriptor;
  } else {
    ERR_clear_error();
    errno = 0;
    const int result = SSL_do_handshake(ssl_);
    if (result != 1) {
      const Want want = Classify(result, error);
      if (want != Want::kDone) {
        WaitFor(want, [this, done = std::move(done)](const error_code& ec) mutable {
          if (ec) {
            done(ec);
          } else {
            PumpHandshake(std::move(done));
          }
        });
        return;
      }
    }
  }
  asio::post(strand_, [done = std::move(done), error] { done(error); });
}

// ---- Reading -----------------------------------------------------------------------------------

void TlsSocket::AsyncRead(asio::mutable_buffer buffer, IoHandler done) {
  read_ = ReadOp{buffer, 0};
  PumpRead(std::move(done));
}

void TlsSocket::PumpRead(IoHandler done) {
  error_code error;
  auto* data = static_cast<char*>(read_.buffer.data());
  while (read_.done < read_.buffer.size()) {
    if (!socket_.is_open()) {
      error = asio::error::bad_descriptor;  // closed under us: never touch a reused descriptor
      break;
    }
    ERR_clear_error();
    errno = 0;
    std::size_t got = 0;
    const int result =
        SSL_read_ex(ssl_, data + read_.done, read_.buffer.size() - read_.done, &got);
    if (result == 1) {
      read_.done += got;
      continue;
    }
    const Want want = Classify(result, error);
    if (want == Want::kDone) break;
    WaitFor(want, [this, done = std::move(done)](const error_code& ec) mutable {
      if (ec) {
        done(ec, read_.done);
      } else {
        PumpRead(std::move(done));
      }
    });
    return;
  }
  // Posted, never called from here: a completion that starts the next read must not recurse.
  asio::post(strand_, [done = std::move(done), error, bytes = read_.done] { done(error, bytes); });
}

// ---- Writing -----------------------------------------------------------------------------------

void TlsSocket::AsyncWrite(WriteBuffers buffers, IoHandler done) {
  write_ = WriteOp{buffers, 0};
  PumpWrite(std::move(done));
}

void TlsSocket::PumpWrite(IoHandler done) {
  error_code error;
  while (true) {
    // The unwritten rest of the first buffer that still has some.
    std::size_t skip = write_.done;
    const char* data = nullptr;
    std::size_t size = 0;
    for (const asio::const_buffer& buffer : write_.buffers) {
      if (skip < buffer.size()) {
        data = static_cast<const char*>(buffer.data()) + skip;
        size = buffer.size() - skip;
        break;
      }
      skip -= buffer.size();
    }
    if (size == 0) break;
    if (!socket_.is_open()) {
      error = asio::error::bad_descriptor;
      break;
    }
    ERR_clear_error();
    errno = 0;
    std::size_t written = 0;
    const int result = SSL_write_ex(ssl_, data, size, &written);
    if (result == 1) {
      write_.done += written;
      continue;
    }
    const Want want = Classify(result, error);
    if (want == Want::kDone) break;
    WaitFor(want, [this, done = std::move(done)](const error_code& ec) mutable {
      if (ec) {
        done(ec, write_.done);
      } else {
        PumpWrite(std::move(done));
      }
    });
    return;
  }
  asio::post(strand_, [done = std::move(done), error, bytes = write_.done] { done(error, bytes); });
}

// ---- Shutdown ----------------------------------------------------------------------------------

void TlsSocket::AsyncShutdown(DoneHandler done) { PumpShutdown(std::move(done)); }

void TlsSocket::PumpShutdown(DoneHandler done) {
  error_code error;
  Want want = Want::kDone;
  if (!socket_.is_open()) {
    error = asio::error::bad_descriptor;
  } else {
    ERR_clear_error();
    errno = 0;
    int result = SSL_shutdown(ssl_);
    // 0: our close_notify is out; the second call looks for the peer's.
    if (result == 0) result = SSL_shutdown(ssl_);
    if (result == 0) {
      want = Want::kRead;
    } else if (result < 0) {
      want = Classify(result, error);
    }
  }
  if (want != Want::kDone) {
    WaitFor(want, [this, done = std::move(done)](const error_code& ec) mutable {
      if (ec) {
        done(ec);
      } else {
        PumpShutdown(std::move(done));
      }
    });
    return;
  }
  asio::post(strand_, [done = std::move(done), error] { done(error); });
}

}  // namespace pancaim::transport::internal
