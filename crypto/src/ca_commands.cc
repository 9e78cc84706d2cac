#include "ca_commands.h"

#include <cstdlib>
#include <iomanip>

#include "pancaim/common/files.h"
#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::crypto::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxInputBytes = 64 * 1024;

Status CheckPositive(int value, const char* what) {
  if (value <= 0) return InvalidArgumentError(std::string(what) + " must be positive");
  return Status::Ok();
}

void PrintEntry(const IssuedCertificate& entry, TimePoint now, std::ostream& out) {
  std::string identity = std::string(RoleName(entry.role)) + ":" + entry.id;
  IssuedCertificate::State state = entry.StateAt(now);
  out << std::left << std::setw(34) << entry.serial_hex << std::setw(28) << identity
      << std::setw(9) << IssuedStateName(state) << FormatUtc(entry.not_after);
  if (state == IssuedCertificate::State::kRevoked) {
    out << "  (revoked " << FormatUtc(*entry.revoked_at) << ")";
  } else {
    auto left = std::chrono::duration_cast<std::chrono::hours>(entry.not_after - now).count();
    out << (left >= 0 ? "  (expires in " : "  (expired ") << (left >= 0 ? left : -left) / 24
        << (left >= 0 ? " days)" : " days ago)");
    if (state == IssuedCertificate::State::kActive && left < 30 * 24) out << "  RENEW SOON";
  }
  if (!entry.dns_names.empty()) {
    out << "  dns:";
    for (const std::string& name : entry.dns_names) out << " " << name;
  }
  out << "\n";
}

}  // namespace

StatusOr<std::string> ResolvePassphrase(const std::string& passphrase_file) {
  if (!passphrase_file.empty()) {
    PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(passphrase_file, kMaxInputBytes));
    std::string line = text.substr(0, text.find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      return InvalidArgumentError("passphrase file '" + passphrase_file + "' is empty");
    }
    return line;
  }
  const char* from_environment = std::getenv("PANCAIM_CA_PASSPHRASE");
  return std::string(from_environment != nullptr ? from_environment : "");
}

Status RunInit(const InitCommand& command, std::ostream& out) {
  PANCAIM_RETURN_IF_ERROR(CheckPositive(command.days, "--days"));
  CaInitOptions options;
  options.common_name = command.common_name;
  options.validity = std::chrono::days(command.days);
  options.passphrase = command.passphrase;
  PANCAIM_ASSIGN_OR_RETURN(auto ca, CertificateAuthority::Init(command.ca_dir, options));
  out << "created CA in " << command.ca_dir.string() << "\n"
      << "  certificate: " << ca->ca_certificate_path().string() << " (give it to every party)\n"
      << "  key:         " << (command.ca_dir / "ca.key").string() << " (mode 0600, "
      << (command.passphrase.empty() ? "NOT encrypted: keep this machine offline"
                                     : "encrypted with the passphrase")
      << ")\n"
      << "next: `pancaim-ca crl` to publish an empty CRL, then sign requests\n";
  return Status::Ok();
}

Status RunRequest(const RequestCommand& command, std::ostream& out) {
  PANCAIM_ASSIGN_OR_RETURN(Role role, ParseRole(command.role));
  RequestOptions options;
  options.role = role;
  options.id = command.name;
  options.dns_names = command.dns_names;
  PANCAIM_ASSIGN_OR_RETURN(KeyAndRequest generated, CreateKeyAndRequest(options));
  fs::path key_path = command.out_dir / (command.name + ".key");
  fs::path request_path = command.out_dir / (command.name + ".csr");
  PANCAIM_RETURN_IF_ERROR(WritePrivateFile(key_path, generated.private_key_pem));
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(request_path, generated.request_pem));
  out << "created " << RoleName(role) << " key and request for '" << command.name << "'\n"
      << "  private key: " << key_path.string() << " (mode 0600; never copy it elsewhere)\n"
      << "  request:     " << request_path.string() << " (send this to the CA operator)\n";
  return Status::Ok();
}

Status RunSign(const SignCommand& command, std::ostream& out) {
  PANCAIM_RETURN_IF_ERROR(CheckPositive(command.days, "--days"));
  PANCAIM_ASSIGN_OR_RETURN(std::string request, ReadFile(command.request_file, kMaxInputBytes));
  PANCAIM_ASSIGN_OR_RETURN(auto ca, CertificateAuthority::Open(command.ca_dir, command.passphrase));
  SignOptions options;
  options.validity = std::chrono::days(command.days);
  options.allow_long_validity = command.allow_long_validity;
  options.allow_renewal = command.renew;
  options.dns_names_override = command.dns_names;
  StatusOr<IssuedCertificate> issued = ca->Sign(request, options);
  if (!issued.ok()) return issued.status().WithContext(command.request_file.string());
  fs::path out_file = command.out_file;
  if (out_file.empty()) out_file = fs::path(command.request_file).replace_extension(".crt");
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(out_file, issued->certificate_pem));
  out << "issued " << RoleName(issued->role) << ":" << issued->id << " serial "
      << issued->serial_hex << ", valid " << FormatUtc(issued->not_before) << " to "
      << FormatUtc(issued->not_after) << "\n"
      << "  certificate: " << out_file.string() << "\n"
      << "send it back together with " << ca->ca_certificate_path().string() << " and "
      << ca->crl_path().string() << "\n";
  return Status::Ok();
}

Status RunRevoke(const RevokeCommand& command, std::ostream& out) {
  PANCAIM_RETURN_IF_ERROR(CheckPositive(command.crl_hours, "--crl-hours"));
  PANCAIM_ASSIGN_OR_RETURN(auto ca, CertificateAuthority::Open(command.ca_dir, command.passphrase));
  PANCAIM_ASSIGN_OR_RETURN(std::vector<IssuedCertificate> revoked, ca->Revoke(command.target));
  for (const IssuedCertificate& entry : revoked) {
    out << "revoked " << RoleName(entry.role) << ":" << entry.id << " serial "
        << entry.serial_hex << "\n";
  }
  if (!command.write_crl) {
    out << "no CRL written (--no-crl): run `pancaim-ca crl` before distributing\n";
    return Status::Ok();
  }
  CrlOptions crl;
  crl.next_update_in = std::chrono::hours(command.crl_hours);
  PANCAIM_RETURN_IF_ERROR(ca->GenerateCrl(crl).status());
  out << "wrote " << ca->crl_path().string()
      << ": distribute it to the coordinator and every site now\n";
  return Status::Ok();
}

Status RunCrl(const CrlCommand& command, std::ostream& out) {
  PANCAIM_RETURN_IF_ERROR(CheckPositive(command.hours, "--hours"));
  PANCAIM_ASSIGN_OR_RETURN(auto ca, CertificateAuthority::Open(command.ca_dir, command.passphrase));
  CrlOptions options;
  options.next_update_in = std::chrono::hours(command.hours);
  PANCAIM_ASSIGN_OR_RETURN(std::string pem, ca->GenerateCrl(options));
  PANCAIM_ASSIGN_OR_RETURN(CrlInfo info, ParseCrl(pem));
  out << "wrote " << ca->crl_path().string() << " (number "
      << info.crl_number.value_or(0) << ", " << info.revoked_serials_hex.size()
      << " revoked, next update " << FormatUtc(info.next_update.value()) << ")\n"
      << "distribute it before the next update, or peers will refuse connections\n";
  return Status::Ok();
}

Status RunList(const ListCommand& command, std::ostream& out) {
  PANCAIM_ASSIGN_OR_RETURN(auto ca, CertificateAuthority::Open(command.ca_dir, command.passphrase));
  std::vector<IssuedCertificate> entries = ca->List();
  TimePoint now = std::chrono::system_clock::now();
  out << std::left << std::setw(34) << "SERIAL" << std::setw(28) << "IDENTITY" << std::setw(9)
      << "STATE" << "NOT AFTER\n";
  for (const IssuedCertificate& entry : entries) PrintEntry(entry, now, out);
  out << entries.size() << " certificate(s)\n";
  return Status::Ok();
}

Status RunShow(const fs::path& file, std::ostream& out) {
  PANCAIM_ASSIGN_OR_RETURN(std::string text, ReadFile(file, std::uint64_t{16} << 20));
  StatusOr<std::string> description = DescribePem(text, std::chrono::system_clock::now());
  if (!description.ok()) return description.status().WithContext(file.string());
  out << file.string() << ": " << *description;
  return Status::Ok();
}

}  // namespace pancaim::crypto::cli
