#include "pancaim/coordinator/server/zoo_model_factory.h"

#include "pancaim/model_zoo/registry.h"
#include "pancaim/tensorio/tensor_map.h"

namespace pancaim::coordinator::server {

InitialModelFactory ZooModelFactory() {
  return [](const std::string& name, const nlohmann::json& config,
            std::int64_t seed) -> StatusOr<std::string> {
    PANCAIM_ASSIGN_OR_RETURN(zoo::ZooModel model,
                             zoo::CreateModel(name, config, static_cast<std::uint64_t>(seed)));
    return tensorio::EncodeSafetensors(tensorio::StateDict(*model.module));
  };
}

}  // namespace pancaim::coordinator::server
