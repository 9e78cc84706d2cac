#include "pancaim/crypto/certificate_authority.h"

#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "test_pki.h"

namespace pancaim::crypto {
namespace {

using ::testing::HasSubstr;
using std::chrono::days;
using std::chrono::hours;
namespace fs = std::filesystem;

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

X509Ptr ParsePem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr x(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return x;
}

std::vector<std::string> SanEntries(X509* x, int type) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != type) continue;
    ASN1_IA5STRING* s = type == GEN_URI ? name->d.uniformResourceIdentifier : name->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     ASN1_STRING_length(s));
  }
  GENERAL_NAMES_free(names);
  return out;
}

int FileMode(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return static_cast<int>(info.st_mode & 0777);
}

std::string NewRequest(Role role, const std::string& id, std::vector<std::string> dns = {}) {
  StatusOr<KeyAndRequest> request = CreateKeyAndRequest({role, id, std::move(dns)});
  EXPECT_TRUE(request.ok()) << request.status();
  return request.ok() ? request->request_pem : "";
}

class CertificateAuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CertificateAuthority::Init(folder_.path() / "ca", {});
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
  }
  testing::TempFolder folder_;
  std::unique_ptr<CertificateAuthority> ca_;
};

TEST_F(CertificateAuthorityTest, InitWritesCaFilesWithPrivateKeyMode0600) {
  fs::path dir = folder_.path() / "ca";
  EXPECT_EQ(FileMode(dir / "ca.key"), 0600);
  EXPECT_TRUE(fs::exists(dir / "ca.crt"));
  EXPECT_TRUE(fs::exists(dir / "index.json"));
  X509Ptr ca = ParsePem(ca_->ca_certificate_pem());
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
}

TEST_F(CertificateAuthorityTest, InitRefusesToOverwriteAnExistingCa) {
  ca_.reset();  // release the folder lock
  std::string before = *ReadFile(folder_.path() / "ca" / "ca.key");
  auto again = CertificateAuthority::Init(folder_.path() / "ca", {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("refusing to overwrite"));
  EXPECT_EQ(*ReadFile(folder_.path() / "ca" / "ca.key"), before);
}

TEST_F(CertificateAuthorityTest, SecondOpenWhileInUseIsRefused) {
  auto second = CertificateAuthority::Open(folder_.path() / "ca");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("in use by another"));
}

TEST(CertificateAuthorityPassphraseTest, EncryptedKeyNeedsTheRightPassphrase) {
  testing::TempFolder folder;
  fs::path dir = folder.path() / "ca";
  ASSERT_TRUE(CertificateAuthority::Init(dir, {.passphrase = "correct horse"}).ok());
  EXPECT_THAT(*ReadFile(dir / "ca.key"), HasSubstr("ENCRYPTED PRIVATE KEY"));

  auto wrong = CertificateAuthority::Open(dir, "battery staple");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(wrong.status().message(), HasSubstr("wrong passphrase"));

  auto missing = CertificateAuthority::Open(dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(missing.status().message(), HasSubstr("passphrase is required"));

  EXPECT_TRUE(CertificateAuthority::Open(dir, "correct horse").ok());
}

TEST(CertificateAuthorityOpenTest, MissingCaIsNotFound) {
  testing::TempFolder folder;
  auto ca = CertificateAuthority::Open(folder.path() / "nothing");
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(ca.status().message(), HasSubstr("pancaim-ca init"));
}

TEST(CertificateAuthorityOpenTest, DamagedIndexIsReportedWithFileName) {
  testing::TempFolder folder;
  fs::path dir = folder.path() / "ca";
  ASSERT_TRUE(CertificateAuthority::Init(dir, {}).ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "index.json", "{\"format\": 3").ok());
  auto ca = CertificateAuthority::Open(dir);
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(ca.status().message(), HasSubstr("index.json"));
}

TEST_F(CertificateAuthorityTest, SiteCertificateHasUriSanClientAuthAndAskedValidity) {
  auto issued = ca_->Sign(NewRequest(Role::kSite, "hospital-a"), {.validity = days(90)});
  ASSERT_TRUE(issued.ok()) << issued.status();
  X509Ptr x = ParsePem(issued->certificate_pem);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(SanEntries(x.get(), GEN_URI), std::vector<std::string>{"pancaim:site:hospital-a"});
  EXPECT_TRUE(SanEntries(x.get(), GEN_DNS).empty());
  EXPECT_EQ(X509_get_extended_key_usage(x.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(X509_check_ca(x.get()), 0);
  auto span = issued->not_after - issued->not_before;
  EXPECT_EQ(std::chrono::duration_cast<hours>(span).count(), 90 * 24);
  X509Ptr ca = ParsePem(ca_->ca_certificate_pem());
  EXPECT_EQ(X509_verify(x.get(), X509_get0_pubkey(ca.get())), 1);
  auto identity = IdentityFromCertificatePem(issued->certificate_pem);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->role, Role::kSite);
  EXPECT_EQ(identity->id, "hospital-a");
  EXPECT_EQ(identity->serial_hex, issued->serial_hex);
}

TEST_F(CertificateAuthorityTest, DefaultValidityIsAtMost365Days) {
  auto issued = ca_->Sign(NewRequest(Role::kOperator, "alice"));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_LE(issued->not_after - issued->not_before, days(365));
  X509Ptr x = ParsePem(issued->certificate_pem);
  EXPECT_EQ(X509_get_extended_key_usage(x.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(SanEntries(x.get(), GEN_URI), std::vector<std::string>{"pancaim:operator:alice"});
}

TEST_F(CertificateAuthorityTest, CoordinatorCertificateHasServerAuthAndDnsNames) {
  auto issued =
      ca_->Sign(NewRequest(Role::kCoordinator, "coord", {"coord.example.org", "localhost"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  X509Ptr x = ParsePem(issued->certificate_pem);
  EXPECT_EQ(X509_get_extended_key_usage(x.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(SanEntries(x.get(), GEN_DNS),
            (std::vector<std::string>{"coord.example.org", "localhost"}));
  EXPECT_EQ(X509_check_host(x.get(), "coord.example.org", 0, 0, nullptr), 1);
}

TEST_F(CertificateAuthorityTest, SignerOverridesRequestedDnsNames) {
  auto issued = ca_->Sign(NewRequest(Role::kCoordinator, "coord", {"evil.example.com"}),
                          {.dns_names_override = {"coord.consortium.eu"}});
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(SanEntries(ParsePem(issued->certificate_pem).get(), GEN_DNS),
            std::vector<std::string>{"coord.consortium.eu"});
  auto site = ca_->Sign(NewRequest(Role::kSite, "s1"), {.dns_names_override = {"x.org"}});
  ASSERT_FALSE(site.ok());
  EXPECT_THAT(site.status().message(), HasSubstr("only allowed for coordinator"));
}

TEST_F(CertificateAuthorityTest, DuplicateActiveIdentityIsRefusedUnlessRenewing) {
  ASSERT_TRUE(ca_->Sign(NewRequest(Role::kSite, "hospital-b")).ok());
  auto duplicate = ca_->Sign(NewRequest(Role::kSite, "hospital-b"));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(duplicate.status().message(), HasSubstr("active certificate for site:hospital-b"));
  // Another role with the same id is a different identity.
  EXPECT_TRUE(ca_->Sign(NewRequest(Role::kOperator, "hospital-b")).ok());
  // Rotation.
  EXPECT_TRUE(ca_->Sign(NewRequest(Role::kSite, "hospital-b"), {.allow_renewal = true}).ok());
}

TEST_F(CertificateAuthorityTest, ExpiredCertificateDoesNotBlockANewOne) {
  auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(ca_->Sign(NewRequest(Role::kSite, "old"),
                        {.not_before = now - days(30), .not_after = now - days(1)})
                  .ok());
  EXPECT_TRUE(ca_->Sign(NewRequest(Role::kSite, "old")).ok());
}

TEST_F(CertificateAuthorityTest, KeyOfARevokedCertificateIsNotCertifiedAgain) {
  std::string request = NewRequest(Role::kSite, "leaky");
  ASSERT_TRUE(ca_->Sign(request).ok());
  ASSERT_TRUE(ca_->Revoke("site:leaky").ok());
  auto again = ca_->Sign(request);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(again.status().message(), HasSubstr("belongs to revoked certificate"));
}

TEST_F(CertificateAuthorityTest, ValidityLimitsAreEnforced) {
  auto too_long = ca_->Sign(NewRequest(Role::kSite, "s1"), {.validity = days(400)});
  ASSERT_FALSE(too_long.ok());
  EXPECT_THAT(too_long.status().message(), HasSubstr("exceeds the 365-day limit"));
  EXPECT_TRUE(
      ca_->Sign(NewRequest(Role::kSite, "s1"), {.validity = days(400), .allow_long_validity = true})
          .ok());
  auto beyond_ca = ca_->Sign(NewRequest(Role::kSite, "s2"),
                             {.validity = days(4000), .allow_long_validity = true});
  ASSERT_FALSE(beyond_ca.ok());
  EXPECT_THAT(beyond_ca.status().message(), HasSubstr("outlive the CA"));
}

TEST_F(CertificateAuthorityTest, MalformedRequestsAreRefused) {
  auto garbage = ca_->Sign("hello");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.status().message(), HasSubstr("malformed request"));

  // Flip one character of the base64 body: the self-signature (or the DER) breaks.
  std::string tampered = NewRequest(Role::kSite, "s3");
  std::size_t body = tampered.find('\n') + 40;
  tampered[body] = tampered[body] == 'A' ? 'B' : 'A';
  auto bad = ca_->Sign(tampered);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("malformed request"));
}

TEST(CertificateRequestTest, OptionsAreValidated) {
  EXPECT_THAT(CreateKeyAndRequest({Role::kSite, "bad id!", {}}).status().message(),
              HasSubstr("may contain only"));
  EXPECT_THAT(CreateKeyAndRequest({Role::kSite, "", {}}).status().message(),
              HasSubstr("1 to 64"));
  EXPECT_THAT(CreateKeyAndRequest({Role::kSite, "s", {"a.org"}}).status().message(),
              HasSubstr("only for coordinator"));
  EXPECT_THAT(CreateKeyAndRequest({Role::kCoordinator, "c", {}}).status().message(),
              HasSubstr("needs at least one DNS name"));
  EXPECT_THAT(CreateKeyAndRequest({Role::kCoordinator, "c", {"*.a.org"}}).status().message(),
              HasSubstr("no wildcards"));
}

TEST(CertificateRequestTest, PrivateFileIsMode0600AndNeverOverwritten) {
  testing::TempFolder folder;
  fs::path key = folder.path() / "k.key";
  ASSERT_TRUE(WritePrivateFile(key, "secret").ok());
  EXPECT_EQ(FileMode(key), 0600);
  Status again = WritePrivateFile(key, "other");
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*ReadFile(key), "secret");
}

TEST_F(CertificateAuthorityTest, SerialsAreUniqueAndListedAfterReopen) {
  std::set<std::string> serials;
  for (int i = 0; i < 8; ++i) {
    auto issued = ca_->Sign(NewRequest(Role::kSite, "site-" + std::to_string(i)));
    ASSERT_TRUE(issued.ok()) << issued.status();
    serials.insert(issued->serial_hex);
    EXPECT_TRUE(fs::exists(folder_.path() / "ca" / "issued" / (issued->serial_hex + ".crt")));
  }
  EXPECT_EQ(serials.size(), 8u);
  ca_.reset();
  auto reopened = CertificateAuthority::Open(folder_.path() / "ca");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  std::vector<IssuedCertificate> list = (*reopened)->List();
  ASSERT_EQ(list.size(), 8u);
  EXPECT_EQ(list[3].id, "site-3");
  EXPECT_TRUE(serials.count(list[3].serial_hex));
  EXPECT_EQ(list[3].StateAt(std::chrono::system_clock::now()),
            IssuedCertificate::State::kActive);
}

TEST_F(CertificateAuthorityTest, RevokeThenCrlListsTheSerial) {
  auto a = ca_->Sign(NewRequest(Role::kSite, "a"));
  auto b = ca_->Sign(NewRequest(Role::kSite, "b"));
  auto c = ca_->Sign(NewRequest(Role::kSite, "c"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto by_id = ca_->Revoke("a");
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  ASSERT_EQ(by_id->size(), 1u);
  EXPECT_EQ((*by_id)[0].serial_hex, a->serial_hex);
  std::string lower = b->serial_hex;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
  ASSERT_TRUE(ca_->Revoke(lower).ok());  // by serial, case-insensitive

  auto crl_pem = ca_->GenerateCrl({.next_update_in = hours(48)});
  ASSERT_TRUE(crl_pem.ok()) << crl_pem.status();
  EXPECT_EQ(*ReadFile(ca_->crl_path()), *crl_pem);
  auto crl = ParseCrl(*crl_pem);
  ASSERT_TRUE(crl.ok()) << crl.status();
  std::set<std::string> revoked(crl->revoked_serials_hex.begin(), crl->revoked_serials_hex.end());
  EXPECT_EQ(revoked, (std::set<std::string>{a->serial_hex, b->serial_hex}));
  ASSERT_TRUE(crl->next_update.has_value());
  EXPECT_EQ(std::chrono::duration_cast<hours>(*crl->next_update - crl->this_update).count(), 48);
  EXPECT_EQ(crl->crl_number, std::optional<std::uint64_t>(1));
  EXPECT_EQ(ParseCrl(*ca_->GenerateCrl())->crl_number, std::optional<std::uint64_t>(2));

  auto state = ca_->List();
  EXPECT_EQ(state[0].StateAt(std::chrono::system_clock::now()), IssuedCertificate::State::kRevoked);
  EXPECT_EQ(state[2].StateAt(std::chrono::system_clock::now()), IssuedCertificate::State::kActive);
}

TEST_F(CertificateAuthorityTest, RevokeErrorsNameTheProblem) {
  ASSERT_TRUE(ca_->Sign(NewRequest(Role::kSite, "dup")).ok());
  ASSERT_TRUE(ca_->Sign(NewRequest(Role::kOperator, "dup")).ok());
  auto unknown = ca_->Revoke("nobody");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("'nobody'"));
  auto ambiguous = ca_->Revoke("dup");
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(ambiguous.status().message(), HasSubstr("use ROLE:ID"));
  ASSERT_TRUE(ca_->Revoke("operator:dup").ok());
  auto twice = ca_->Revoke("operator:dup");
  EXPECT_EQ(twice.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(twice.status().message(), HasSubstr("already revoked"));
}

TEST(CrlFreshnessTest, StaleCrlIsDetectedWithGrace) {
  testing::TempFolder folder;
  auto ca = CertificateAuthority::Init(folder.path() / "ca", {});
  ASSERT_TRUE(ca.ok());
  auto now = std::chrono::system_clock::now();
  auto pem = (*ca)->GenerateCrl({.this_update = now - days(8), .next_update = now - hours(2)});
  ASSERT_TRUE(pem.ok()) << pem.status();
  auto crl = ParseCrl(*pem);
  ASSERT_TRUE(crl.ok());
  Status stale = CheckCrlFresh(*crl, now, std::chrono::seconds(0));
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(stale.message(), HasSubstr("CRL is stale"));
  EXPECT_THAT(stale.message(), HasSubstr("hours ago"));
  EXPECT_TRUE(CheckCrlFresh(*crl, now, std::chrono::hours(3)).ok());
  EXPECT_TRUE(CheckCrlFresh(*crl, now - hours(3), std::chrono::seconds(0)).ok());

  CrlInfo no_next = *crl;
  no_next.next_update.reset();
  EXPECT_THAT(CheckCrlFresh(no_next, now, hours(1000)).message(), HasSubstr("no nextUpdate"));
  EXPECT_FALSE(ParseCrl("not a crl").ok());
}

TEST_F(CertificateAuthorityTest, DescribeExplainsCertificatesRequestsAndCrls) {
  auto now = std::chrono::system_clock::now();
  std::string request = NewRequest(Role::kSite, "hospital-z");
  auto issued = ca_->Sign(request);
  ASSERT_TRUE(issued.ok());
  auto cert_text = DescribePem(issued->certificate_pem, now);
  ASSERT_TRUE(cert_text.ok()) << cert_text.status();
  EXPECT_THAT(*cert_text, HasSubstr("pancaim identity: site:hospital-z"));
  EXPECT_THAT(*cert_text, HasSubstr(issued->serial_hex));
  EXPECT_THAT(*cert_text, HasSubstr("TLS Web Client Authentication"));
  EXPECT_THAT(*DescribePem(issued->certificate_pem, now + days(400)), HasSubstr("EXPIRED"));
  EXPECT_THAT(*DescribePem(request, now), HasSubstr("self-signature: valid"));
  EXPECT_THAT(*DescribePem(*ca_->GenerateCrl(), now), HasSubstr("freshness: fresh"));
  EXPECT_FALSE(DescribePem("nothing here", now).ok());
}

}  // namespace
}  // namespace pancaim::crypto
