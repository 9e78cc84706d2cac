// Schemas of the coordinator's configuration file (coordinator.json) and of a run specification
// (RUN.json, submitted by an operator). docs/configuration.md is rendered from these schemas.
//
// The schemas are built once and immutable; safe to use from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include "pancaim/common/config_schema.h"
#include "pancaim/common/status.h"

namespace pancaim::coordinator {

// coordinator.json: sections server, storage, operators, run_defaults.
const config::Schema& CoordinatorConfigSchema();

// RUN.json: model, rounds, site selection, deadlines, strategy, evaluation, seed, local training.
const config::Schema& RunSpecSchema();

// Validates a run spec against RunSpecSchema() and its strategy options against the named
// strategy's schema (strategy_spec.h); returns the spec with every default filled in, including
// the strategy options. Errors name the key ("strategy.options.beta1: ...").
StatusOr<nlohmann::json> ValidateRunSpec(const nlohmann::json& spec);

}  // namespace pancaim::coordinator
