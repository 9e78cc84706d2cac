// `pancaim-site models`: the model zoo's models this agent can train, with parameter counts, so a
// site's data manager can decide which ones its policy allows (site.json policy.allowed_models).
#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/model_zoo/zoo_module.h"

namespace pancaim::site_cli {

void RegisterModelsCommand(CLI::App& app, int* exit_code) {
  CLI::App* command = app.add_subcommand(
      "models", "List the model zoo's models with their task and default parameter count");
  auto as_json = std::make_shared<bool>(false);
  command->add_flag("--json", *as_json, "Print the list as JSON");
  command->callback([exit_code, as_json] {
    std::vector<zoo::ModelSummary> models = zoo::ListModels();
    if (*as_json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& model : models) {
        list.push_back({{"name", model.name},
                        {"task", std::string(zoo::TaskName(model.task))},
                        {"parameters", model.default_parameters},
                        {"description", model.description}});
      }
      std::cout << list.dump(2) << "\n";
    } else {
      std::printf("%-16s %-15s %12s  %s\n", "model", "task", "parameters", "description");
      for (const auto& model : models) {
        std::printf("%-16s %-15s %12lld  %s\n", model.name.c_str(),
                    std::string(zoo::TaskName(model.task)).c_str(),
                    static_cast<long long>(model.default_parameters), model.description.c_str());
      }
    }
    *exit_code = 0;
  });
}

}  // namespace pancaim::site_cli
