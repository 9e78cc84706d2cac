// pancaim-ca: the consortium certificate authority tool (see docs/security.md).
#include <iostream>

#include <CLI/CLI.hpp>

#include "ca_commands.h"

namespace {

namespace cli = pancaim::crypto::cli;

int Report(const pancaim::Status& status) {
  if (status.ok()) return 0;
  std::cerr << "pancaim-ca: error: " << status.ToString() << "\n";
  return 1;
}

void AddCaOptions(CLI::App* command, std::string* ca_dir, std::string* passphrase_file) {
  command->add_option("--ca-dir", *ca_dir, "CA folder")->capture_default_str();
  if (passphrase_file != nullptr) {
    command->add_option("--passphrase-file", *passphrase_file,
                        "file whose first line is the CA key passphrase (default: environment "
                        "variable PANCAIM_CA_PASSPHRASE, else none)");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "pancaim-ca: consortium certificate authority for PANCAIM-FL.\n"
      "Keys are generated where they live (`request`); only requests and certificates travel."};
  app.require_subcommand(1);
  std::string ca_dir = "ca";
  std::string passphrase_file;

  cli::InitCommand init;
  CLI::App* init_app = app.add_subcommand("init", "create the consortium root CA (ECDSA P-256)");
  AddCaOptions(init_app, &ca_dir, &passphrase_file);
  init_app->add_option("--common-name", init.common_name, "CA subject CN")->capture_default_str();
  init_app->add_option("--days", init.days, "CA validity in days")->capture_default_str();

  cli::RequestCommand request;
  CLI::App* request_app =
      app.add_subcommand("request", "create a private key + signing request on this machine");
  request_app->add_option("--role", request.role, "site, coordinator or operator")->required();
  request_app->add_option("--name", request.name, "identity: site id or host/operator name")
      ->required();
  request_app->add_option("--dns", request.dns_names, "coordinator DNS name (repeatable)");
  request_app->add_option("--out-dir", request.out_dir, "where NAME.key and NAME.csr go")
      ->capture_default_str();

  cli::SignCommand sign;
  std::string sign_request_file, sign_out_file;
  CLI::App* sign_app = app.add_subcommand("sign", "issue a certificate from a request");
  AddCaOptions(sign_app, &ca_dir, &passphrase_file);
  sign_app->add_option("request", sign_request_file, "the .csr file")->required();
  sign_app->add_option("--out", sign_out_file, "certificate file (default: REQUEST with .crt)");
  sign_app->add_option("--days", sign.days, "validity in days (max 365 by default)")
      ->capture_default_str();
  sign_app->add_flag("--allow-long-validity", sign.allow_long_validity,
                     "permit validity over 365 days");
  sign_app->add_flag("--renew", sign.renew,
                     "rotation: issue although the identity has an active certificate");
  sign_app->add_option("--dns", sign.dns_names,
                       "coordinator only: DNS names to certify instead of the requested ones");

  cli::RevokeCommand revoke;
  CLI::App* revoke_app =
      app.add_subcommand("revoke", "revoke by ID, ROLE:ID or SERIAL and write a new CRL");
  AddCaOptions(revoke_app, &ca_dir, &passphrase_file);
  revoke_app->add_option("target", revoke.target, "ID, ROLE:ID or SERIAL")->required();
  revoke_app->add_option("--crl-hours", revoke.crl_hours, "hours until the CRL's next update")
      ->capture_default_str();
  bool no_crl = false;
  revoke_app->add_flag("--no-crl", no_crl, "do not write a new CRL now");

  cli::CrlCommand crl;
  CLI::App* crl_app = app.add_subcommand("crl", "(re)generate crl.pem");
  AddCaOptions(crl_app, &ca_dir, &passphrase_file);
  crl_app->add_option("--hours", crl.hours, "hours until the CRL's next update")
      ->capture_default_str();

  CLI::App* list_app = app.add_subcommand("list", "list issued certificates, status and expiry");
  AddCaOptions(list_app, &ca_dir, &passphrase_file);

  std::string show_file;
  CLI::App* show_app = app.add_subcommand("show", "explain a certificate, request or CRL file");
  show_app->add_option("file", show_file, "PEM file")->required();

  CLI11_PARSE(app, argc, argv);

  pancaim::StatusOr<std::string> passphrase = cli::ResolvePassphrase(passphrase_file);
  if (!passphrase.ok()) return Report(passphrase.status());
  if (init_app->parsed()) {
    init.ca_dir = ca_dir;
    init.passphrase = *passphrase;
    return Report(cli::RunInit(init, std::cout));
  }
  if (request_app->parsed()) return Report(cli::RunRequest(request, std::cout));
  if (sign_app->parsed()) {
    sign.ca_dir = ca_dir;
    sign.passphrase = *passphrase;
    sign.request_file = sign_request_file;
    sign.out_file = sign_out_file;
    return Report(cli::RunSign(sign, std::cout));
  }
  if (revoke_app->parsed()) {
    revoke.ca_dir = ca_dir;
    revoke.passphrase = *passphrase;
    revoke.write_crl = !no_crl;
    return Report(cli::RunRevoke(revoke, std::cout));
  }
  if (crl_app->parsed()) {
    crl.ca_dir = ca_dir;
    crl.passphrase = *passphrase;
    return Report(cli::RunCrl(crl, std::cout));
  }
  if (list_app->parsed()) return Report(cli::RunList({ca_dir, *passphrase}, std::cout));
  return Report(cli::RunShow(show_file, std::cout));
}
