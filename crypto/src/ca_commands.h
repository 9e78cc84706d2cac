// The `pancaim-ca` subcommands as functions, so the tool's main stays a thin CLI11 parser and
// tests can run the commands without a process. Each writes its human output to `out` and
// returns the error to print otherwise. Stateless; the CA folder lock serializes processes.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::crypto::cli {

// Reads the CA passphrase from `passphrase_file` (first line) when given, else from the
// environment variable PANCAIM_CA_PASSPHRASE, else returns "" (no passphrase).
StatusOr<std::string> ResolvePassphrase(const std::string& passphrase_file);

struct InitCommand {
  std::filesystem::path ca_dir{};
  std::string common_name = "PANCAIM-FL consortium root CA";
  int days = 3650;
  std::string passphrase{};
};
Status RunInit(const InitCommand& command, std::ostream& out);

struct RequestCommand {
  std::string role{};
  std::string name{};
  std::vector<std::string> dns_names{};
  std::filesystem::path out_dir = ".";
};
Status RunRequest(const RequestCommand& command, std::ostream& out);

struct SignCommand {
  std::filesystem::path ca_dir{};
  std::string passphrase{};
  std::filesystem::path request_file{};
  std::filesystem::path out_file{};  // empty: the request path with extension .crt
  int days = 365;
  bool allow_long_validity = false;
  bool renew = false;
  std::vector<std::string> dns_names{};
};
Status RunSign(const SignCommand& command, std::ostream& out);

struct RevokeCommand {
  std::filesystem::path ca_dir{};
  std::string passphrase{};
  std::string target{};  // ID, ROLE:ID or SERIAL
  bool write_crl = true;
  int crl_hours = 24 * 7;
};
Status RunRevoke(const RevokeCommand& command, std::ostream& out);

struct CrlCommand {
  std::filesystem::path ca_dir{};
  std::string passphrase{};
  int hours = 24 * 7;
};
Status RunCrl(const CrlCommand& command, std::ostream& out);

struct ListCommand {
  std::filesystem::path ca_dir{};
  std::string passphrase{};
};
Status RunList(const ListCommand& command, std::ostream& out);

Status RunShow(const std::filesystem::path& file, std::ostream& out);

}  // namespace pancaim::crypto::cli
