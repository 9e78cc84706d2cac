#include "pancaim/coordinator/server/cli/server_commands.h"

#include <csignal>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/files.h"
#include "pancaim/common/log.h"
#include "pancaim/coordinator/coordinator_config.h"
#include "pancaim/coordinator/server/certificate_warnings.h"
#include "pancaim/coordinator/server/coordinator_service.h"
#include "pancaim/coordinator/server/operator_client.h"
#include "pancaim/coordinator/server/zoo_model_factory.h"
#include "pancaim/crypto/sha256.h"
#include "pancaim/crypto/tls_context.h"
#include "pancaim/protocol/safetensors.h"
#include "pancaim/transport/io_thread_pool.h"

namespace pancaim::coordinator::server::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

std::string Resolve(const std::filesystem::path& base, const std::string& file) {
  std::filesystem::path path(file);
  return path.is_absolute() ? path.string() : (base / path).string();
}

int Serve(const std::string& config_file, bool resume) {
  auto config = config::LoadConfigFile(config_file, CoordinatorConfigSchema());
  if (!config.ok()) {
    std::cerr << "serve: " << config.status().message() << "\n";
    return 1;
  }
  const std::filesystem::path base = std::filesystem::path(config_file).parent_path();
  nlohmann::json& server = (*config)["server"];
  nlohmann::json& storage = (*config)["storage"];
  storage["state_dir"] = Resolve(base, storage["state_dir"].get<std::string>());
  const nlohmann::json& tls_config = server.at("tls");
  crypto::TlsFiles files;
  files.ca_cert_path = Resolve(base, tls_config.at("ca_file").get<std::string>());
  files.cert_path = Resolve(base, tls_config.at("cert_file").get<std::string>());
  files.key_path = Resolve(base, tls_config.at("key_file").get<std::string>());
  files.crl_path = Resolve(base, tls_config.at("crl_file").get<std::string>());
  files.crl_grace = std::chrono::seconds(server.value("crl_grace_seconds", 3600));
  auto tls = crypto::TlsContext::Create(crypto::TlsContext::Side::kServer, files);
  if (!tls.ok()) {
    std::cerr << "serve: " << tls.status().message() << "\n";
    return 1;
  }
  transport::IoThreadPool pool(2);
  CoordinatorServiceOptions options;
  options.config = *config;
  options.resume = resume;
  options.model_factory = ZooModelFactory();
  crypto::TlsContext* context = tls->get();
  options.status_warnings = [context] { return CertificateExpiryWarnings(*context); };
  auto service = CoordinatorService::Start(
      pool.context(), [context]() -> boost::asio::ssl::context& { return context->native(); },
      std::move(options));
  if (!service.ok()) {
    std::cerr << "serve: " << service.status().message() << "\n";
    return 1;
  }
  // Scripts read the bound port from this line (port 0 in the config binds an ephemeral one).
  std::cout << "listening on port " << (*service)->port() << std::endl;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  PANCAIM_LOG(INFO) << "shutting down";
  (*service)->Stop();
  pool.Stop();
  return 0;
}

struct OperatorArgs {
  std::string config = "operator.json";
  bool json = false;
};

void AddOperatorOptions(CLI::App* command, OperatorArgs* args) {
  // An operator command prints its answer; the channel's per-connection INFO lines would only
  // bury it. Warnings and errors still reach stderr.
  command->preparse_callback([](std::size_t) { log::SetMinLevel(log::Level::kWarning); });
  command->add_option("--config", args->config, "operator.json (coordinator address, TLS files)")
      ->capture_default_str();
  command->add_flag("--json", args->json, "Print the reply as JSON for scripts");
}

protocol::Message Request(const std::string& run_id, std::int64_t round,
                          protocol::MessageBody body) {
  protocol::Message message;
  message.run_id = run_id;
  message.round = round;
  message.sender_role = protocol::Role::kOperator;
  message.body = std::move(body);
  return message;
}

int Fail(const std::string& command, const Status& status, bool json) {
  if (json) {
    std::cout << nlohmann::json{{"ok", false},
                                {"code", std::string(StatusCodeName(status.code()))},
                                {"error", status.message()}}
                     .dump(2)
              << "\n";
  } else {
    std::cerr << command << ": " << status.message() << "\n";
  }
  return 1;
}

void PrintHuman(const protocol::Message& reply) {
  if (const auto* ack = std::get_if<protocol::Ack>(&reply.body)) {
    std::cout << ack->message << "\n";
  } else if (const auto* status = std::get_if<protocol::StatusResponse>(&reply.body)) {
    for (const auto& warning : status->warnings) std::cout << "warning: " << warning << "\n";
    if (status->runs.empty()) std::cout << "no runs\n";
    for (const auto& run : status->runs) {
      std::cout << run.run_id << "  " << run.state << "  round " << run.round << "/"
                << run.num_rounds;
      if (run.sites_selected > 0) {
        std::cout << "  sites answered " << run.sites_reported << "/" << run.sites_selected;
      }
      for (const auto& [name, value] : run.metrics) std::cout << "  " << name << "=" << value;
      if (!run.message.empty()) std::cout << "  (" << run.message << ")";
      std::cout << "\n";
    }
  } else if (const auto* sites = std::get_if<protocol::SitesResponse>(&reply.body)) {
    if (sites->sites.empty()) std::cout << "no sites\n";
    for (const auto& site : sites->sites) {
      std::cout << std::left << std::setw(20) << site.site_id << " "
                << (site.connected ? "connected   " : "disconnected") << " " << site.state
                << "  " << site.device << "  " << site.software_version << "\n";
    }
  }
}

int RunOperator(const std::string& command, const OperatorArgs& args,
                const protocol::Message& request) {
  auto reply = OperatorRequest(args.config, request);
  if (!reply.ok()) return Fail(command, reply.status(), args.json);
  if (args.json) {
    nlohmann::json out = protocol::ToJson(reply->message);
    out["ok"] = true;
    std::cout << out.dump(2) << "\n";
  } else {
    PrintHuman(reply->message);
  }
  return 0;
}

}  // namespace

void AddServerCommands(CLI::App& app, int* exit_code) {
  {
    auto* serve = app.add_subcommand("serve", "Run the coordinator server (mutual TLS)");
    auto config = std::make_shared<std::string>();
    auto resume = std::make_shared<bool>(false);
    serve->add_option("--config", *config, "coordinator.json")->required();
    serve->add_flag("--resume", *resume, "Continue unfinished runs from their last checkpoint");
    serve->callback([=] { *exit_code = Serve(*config, *resume); });
  }
  {
    auto* submit = app.add_subcommand("submit", "Submit a training run (RUN.json)");
    auto args = std::make_shared<OperatorArgs>();
    auto file = std::make_shared<std::string>();
    submit->add_option("RUN", *file, "Run specification (RUN.json)")->required();
    AddOperatorOptions(submit, args.get());
    submit->callback([=] {
      auto text = ReadFile(*file);
      if (!text.ok()) {
        *exit_code = Fail("submit", text.status(), args->json);
        return;
      }
      auto spec = config::ParseJson(*text, *file);
      if (!spec.ok()) {
        *exit_code = Fail("submit", spec.status(), args->json);
        return;
      }
      *exit_code = RunOperator("submit", *args, Request("", 0, protocol::SubmitRun{*spec}));
    });
  }
  {
    auto* status = app.add_subcommand("status", "Show runs: state, round, sites answered, metrics");
    auto args = std::make_shared<OperatorArgs>();
    auto run = std::make_shared<std::string>();
    status->add_option("RUN", *run, "Only this run");
    AddOperatorOptions(status, args.get());
    status->callback(
        [=] { *exit_code = RunOperator("status", *args, Request(*run, 0, protocol::StatusRequest{})); });
  }
  {
    auto* sites = app.add_subcommand("sites", "Show the site registry");
    auto args = std::make_shared<OperatorArgs>();
    AddOperatorOptions(sites, args.get());
    sites->callback(
        [=] { *exit_code = RunOperator("sites", *args, Request("", 0, protocol::SitesRequest{})); });
  }
  const std::pair<const char*, const char*> actions[] = {
      {"pause", "Pause a run (an open round keeps collecting; no new round opens)"},
      {"resume", "Resume a paused run"},
      {"abort", "Abort a run for good (its checkpoints stay exportable)"}};
  for (const auto& [action, help] : actions) {
    auto* control = app.add_subcommand(action, help);
    auto args = std::make_shared<OperatorArgs>();
    auto run = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    control->add_option("RUN", *run, "Run id")->required();
    control->add_option("--reason", *reason, "Why (recorded in the audit log)");
    AddOperatorOptions(control, args.get());
    const std::string name = action;
    control->callback([=] {
      *exit_code = RunOperator(name, *args, Request(*run, 0, protocol::Control{name, *reason}));
    });
  }
  {
    auto* export_command = app.add_subcommand("export", "Download a run's global model (safetensors)");
    auto args = std::make_shared<OperatorArgs>();
    auto run = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto round = std::make_shared<std::int64_t>(-1);
    export_command->add_option("RUN", *run, "Run id")->required();
    export_command->add_option("--round", *round, "Round (default: the latest completed)");
    export_command->add_option("--out", *out, "Output .safetensors file")->required();
    AddOperatorOptions(export_command, args.get());
    export_command->callback([=] {
      protocol::ExportRequest request;
      request.latest = *round < 0;
      auto reply = OperatorRequest(args->config,
                                   Request(*run, std::max<std::int64_t>(*round, 0), request));
      if (!reply.ok()) {
        *exit_code = Fail("export", reply.status(), args->json);
        return;
      }
      const auto* response = std::get_if<protocol::ExportResponse>(&reply->message.body);
      if (response == nullptr) {
        *exit_code = Fail("export", InternalError("unexpected reply type"), args->json);
        return;
      }
      // The file carries what a researcher needs to rebuild the model (the zoo's checkpoint
      // metadata keys, model-zoo/checkpoint.h), so it opens like any zoo checkpoint.
      auto parsed = protocol::SafetensorsView::Parse(reply->payload);
      if (!parsed.ok()) {
        *exit_code = Fail("export", parsed.status().WithContext("exported model"), args->json);
        return;
      }
      std::map<std::string, std::string> metadata = parsed->metadata();
      metadata["pancaim.model"] = response->model_name;
      metadata["pancaim.model_config"] = response->model_config.dump();
      metadata["pancaim.format"] = "pancaim-zoo-1";
      metadata["pancaim.run_id"] = *run;
      metadata["pancaim.round"] = std::to_string(reply->message.round);
      metadata["pancaim.global_model_sha256"] = response->model_sha256;
      auto file = protocol::SerializeSafetensors(parsed->tensors(), metadata);
      if (!file.ok()) {
        *exit_code = Fail("export", file.status(), args->json);
        return;
      }
      const Status written = WriteFileAtomic(*out, *file);
      if (!written.ok()) {
        *exit_code = Fail("export", written, args->json);
        return;
      }
      if (args->json) {
        std::cout << nlohmann::json{{"ok", true}, {"run_id", *run},
                                    {"round", reply->message.round},
                                    {"model_name", response->model_name},
                                    {"model_sha256", response->model_sha256},
                                    {"bytes", file->size()},
                                    {"file_sha256", crypto::Sha256Hex(*file)}, {"out", *out}}
                         .dump(2)
                  << "\n";
      } else {
        std::cout << "exported " << *run << " round " << reply->message.round << " ("
                  << response->model_name << ", " << file->size() << " bytes, global model sha256 "
                  << response->model_sha256 << ") to " << *out << "\n";
      }
      *exit_code = 0;
    });
  }
}

}  // namespace pancaim::coordinator::server::cli
