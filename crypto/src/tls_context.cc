// TlsContext: an asio ssl::context configured for PANCAIM's mutual TLS 1.3, whose certificate,
// key, trust anchor and CRL come from a reloadable TlsMaterial snapshot at each handshake.
#include "pancaim/crypto/tls_context.h"

#include <openssl/ssl.h>

#include <mutex>

#include "pancaim/common/log.h"
#include "tls_material.h"

namespace pancaim::crypto {
namespace {

using internal::TlsMaterial;

constexpr char kCipherSuites[] =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

// Per-SSL failure reason recorded by our verification callback (heap string in SSL ex_data).
void FreeReason(void*, void* pointer, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(pointer);
}

int ReasonIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeReason);
  PANCAIM_CHECK(index >= 0) << "SSL_get_ex_new_index failed";
  return index;
}

void RecordReason(SSL* ssl, const std::string& reason) {
  if (ssl == nullptr) return;
  delete static_cast<std::string*>(SSL_get_ex_data(ssl, ReasonIndex()));
  SSL_set_ex_data(ssl, ReasonIndex(), new std::string(reason));
}

std::string SubjectOf(X509* certificate) {
  return certificate != nullptr ? internal::NameToString(X509_get_subject_name(certificate))
                                : "(no certificate)";
}

}  // namespace

struct TlsContext::State {
  State(Side side_in, const TlsFiles& files_in)
      : side(side_in),
        files(files_in),
        ssl(side_in == Side::kServer ? boost::asio::ssl::context::tls_server
                                     : boost::asio::ssl::context::tls_client) {}

  TimePoint Now() const { return files.clock ? files.clock() : std::chrono::system_clock::now(); }

  std::shared_ptr<const TlsMaterial> Current() const {
    std::lock_guard<std::mutex> lock(mutex);
    return material;
  }

  const Side side;
  const TlsFiles files;
  boost::asio::ssl::context ssl;
  mutable std::mutex mutex;
  std::shared_ptr<const TlsMaterial> material;  // guarded by mutex
};

namespace {

// SSL_CTX cert callback: presents the current own certificate and key on each handshake.
int PresentOwnCertificate(SSL* ssl, void* arg) {
  std::shared_ptr<const TlsMaterial> material = static_cast<TlsContext::State*>(arg)->Current();
  if (SSL_use_cert_and_key(ssl, material->own_certificate.get(), material->own_key.get(),
                           nullptr, /*override=*/1) != 1) {
    RecordReason(ssl, "cannot present own certificate: " + internal::DrainOpenSslErrors());
    return 0;
  }
  return 1;
}

Status CheckPeerRole(TlsContext::Side side, const PeerIdentity& peer) {
  if (side == TlsContext::Side::kServer && peer.role == Role::kCoordinator) {
    return PermissionDeniedError("peer " + peer.ToString() +
                                 " is a coordinator certificate used as a client");
  }
  if (side == TlsContext::Side::kClient && peer.role != Role::kCoordinator) {
    return PermissionDeniedError("server " + peer.ToString() + " is not a coordinator");
  }
  return Status::Ok();
}

// Replaces X509_verify_cert for every peer chain: trust anchor and CRL from the current
// material, CRL freshness (with grace) first, full-chain CRL checks, then the pancaim identity.
int VerifyPeerChain(X509_STORE_CTX* context, void* arg) {
  auto* state = static_cast<TlsContext::State*>(arg);
  SSL* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(context, SSL_get_ex_data_X509_STORE_CTX_idx()));
  std::shared_ptr<const TlsMaterial> material = state->Current();
  X509* leaf = X509_STORE_CTX_get0_cert(context);
  std::string peer = SubjectOf(leaf);
  auto refuse = [&](const std::string& reason, int error) {
    PANCAIM_LOG(WARNING) << "TLS: refusing peer '" << peer << "': " << reason;
    RecordReason(ssl, reason);
    X509_STORE_CTX_set_error(context, error);
    return 0;
  };

  Status fresh = CheckCrlFresh(material->crl, state->Now(), state->files.crl_grace);
  if (!fresh.ok()) {
    return refuse("CRL check failed closed: " + fresh.message(), X509_V_ERR_CRL_HAS_EXPIRED);
  }
  X509_STORE_CTX_set0_trusted_stack(context, material->trusted);
  X509_STORE_CTX_set0_crls(context, material->crls);
  X509_STORE_CTX_set_flags(context, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                                        X509_V_FLAG_X509_STRICT);
  X509_STORE_CTX_set_purpose(context, state->side == TlsContext::Side::kServer
                                          ? X509_PURPOSE_SSL_CLIENT
                                          : X509_PURPOSE_SSL_SERVER);
  X509_STORE_CTX_set_verify_cb(context, internal::AcceptCrlJudgedFresh);
  if (X509_verify_cert(context) != 1) {
    int error = X509_STORE_CTX_get_error(context);
    internal::DrainOpenSslErrors();
    X509* failing = X509_STORE_CTX_get_current_cert(context);
    std::string reason = X509_verify_cert_error_string(error);
    if (failing != nullptr && failing != leaf) reason += " (at '" + SubjectOf(failing) + "')";
    return refuse(reason, error);
  }
  StatusOr<PeerIdentity> identity = internal::IdentityFromX509(leaf);
  if (!identity.ok()) {
    return refuse(identity.status().message(), X509_V_ERR_APPLICATION_VERIFICATION);
  }
  Status role = CheckPeerRole(state->side, *identity);
  if (!role.ok()) return refuse(role.message(), X509_V_ERR_APPLICATION_VERIFICATION);
  return 1;
}

Status Configure(TlsContext::State& state) {
  SSL_CTX* ctx = state.ssl.native_handle();
  bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
            SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1 &&
            SSL_CTX_set_ciphersuites(ctx, kCipherSuites) == 1 &&
            SSL_CTX_set1_groups_list(ctx, "X25519:P-256") == 1 &&
            SSL_CTX_set_num_tickets(ctx, 0) == 1;
  if (!ok) return InternalError("cannot configure TLS 1.3: " + internal::DrainOpenSslErrors());
  // Every connection runs the full checks: no resumption that would skip revocation.
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  int mode = SSL_VERIFY_PEER;
  if (state.side == TlsContext::Side::kServer) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, VerifyPeerChain, &state);
  SSL_CTX_set_cert_cb(ctx, PresentOwnCertificate, &state);
  if (state.side == TlsContext::Side::kClient) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_host(param, state.files.expected_server_name.c_str(), 0) != 1) {
      return InvalidArgumentError("bad expected server name '" +
                                  state.files.expected_server_name + "'");
    }
  }
  return Status::Ok();
}

}  // namespace

TlsContext::TlsContext() = default;
TlsContext::~TlsContext() = default;

StatusOr<std::unique_ptr<TlsContext>> TlsContext::Create(Side side, const TlsFiles& files) {
  if (side == Side::kClient) {
    if (files.expected_server_name.empty()) {
      return InvalidArgumentError("client TLS context needs the coordinator's DNS name");
    }
    PANCAIM_RETURN_IF_ERROR(internal::ValidateDnsName(files.expected_server_name)
                                .WithContext("expected server name"));
  }
  std::unique_ptr<TlsContext> context(new TlsContext());
  context->state_ = std::make_unique<State>(side, files);
  State& state = *context->state_;
  PANCAIM_ASSIGN_OR_RETURN(state.material,
                           internal::LoadTlsMaterial(side, files, state.Now()));
  PANCAIM_RETURN_IF_ERROR(Configure(state));
  PANCAIM_LOG(INFO) << "TLS " << (side == Side::kServer ? "server" : "client") << " context for "
                    << state.material->own_identity.ToString() << " (CRL next update "
                    << FormatUtc(state.material->crl.next_update.value()) << ")";
  context->CheckExpiry();  // logs a warning when a certificate in use expires soon
  return context;
}

boost::asio::ssl::context& TlsContext::native() { return state_->ssl; }

Status TlsContext::Reload() {
  StatusOr<std::shared_ptr<const TlsMaterial>> loaded =
      internal::LoadTlsMaterial(state_->side, state_->files, state_->Now());
  if (!loaded.ok()) {
    PANCAIM_LOG(ERROR) << "TLS reload failed, keeping the previous certificates and CRL: "
                       << loaded.status();
    return loaded.status().WithContext("TLS reload");
  }
  std::shared_ptr<const TlsMaterial> previous;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    previous = std::move(state_->material);  // released outside the lock
    state_->material = *loaded;
  }
  PANCAIM_LOG(INFO) << "TLS reloaded: " << (*loaded)->own_identity.ToString() << ", CRL #"
                    << (*loaded)->crl.crl_number.value_or(0) << " with "
                    << (*loaded)->crl.revoked_serials_hex.size() << " revoked, next update "
                    << FormatUtc((*loaded)->crl.next_update.value());
  CheckExpiry();
  return Status::Ok();
}

TlsContext::Side TlsContext::side() const { return state_->side; }

PeerIdentity TlsContext::own_identity() const { return state_->Current()->own_identity; }

std::chrono::seconds TlsContext::own_certificate_remaining() const {
  return std::chrono::duration_cast<std::chrono::seconds>(state_->Current()->own_identity.not_after -
                                                          state_->Now());
}

CertificateExpiry TlsContext::CheckExpiry(std::chrono::seconds window) const {
  std::shared_ptr<const TlsMaterial> material = state_->Current();
  TimePoint now = state_->Now();
  CertificateExpiry expiry;
  TimePoint first = material->own_identity.not_after;
  expiry.which = "own certificate " + material->own_identity.ToString();
  if (material->ca_not_after < first) {
    first = material->ca_not_after;
    expiry.which = "CA certificate";
  }
  expiry.remaining = std::chrono::duration_cast<std::chrono::seconds>(first - now);
  expiry.warning = expiry.remaining < window;
  expiry.message = expiry.which + (first <= now ? " EXPIRED " : " expires ") +
                   internal::DescribeRelative(first, now) + " (" + FormatUtc(first) + ")";
  if (expiry.warning) {
    PANCAIM_LOG(WARNING) << expiry.message << ": renew it (pancaim-ca request + sign --renew)";
  }
  return expiry;
}

CrlInfo TlsContext::crl_info() const { return state_->Current()->crl; }

StatusOr<PeerIdentity> VerifiedPeerIdentity(void* ssl_native_handle) {
  auto* ssl = static_cast<SSL*>(ssl_native_handle);
  PANCAIM_CHECK(ssl != nullptr) << "VerifiedPeerIdentity needs an SSL*";
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return UnauthenticatedError("peer presented no certificate");
  long result = SSL_get_verify_result(ssl);
  if (result != X509_V_OK) {
    return UnauthenticatedError("peer certificate '" + SubjectOf(peer) + "' did not verify: " +
                                X509_verify_cert_error_string(result));
  }
  return internal::IdentityFromX509(peer);
}

std::string DescribeHandshakeFailure(void* ssl_native_handle,
                                     const boost::system::error_code& error) {
  auto* ssl = static_cast<SSL*>(ssl_native_handle);
  if (ssl != nullptr) {
    if (auto* reason = static_cast<std::string*>(SSL_get_ex_data(ssl, ReasonIndex()))) {
      return *reason;
    }
    long result = SSL_get_verify_result(ssl);
    if (result != X509_V_OK) return X509_verify_cert_error_string(result);
  }
  return error ? error.message() : "no error";
}

}  // namespace pancaim::crypto
