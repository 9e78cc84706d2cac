// The coordinator's InitialModelFactory over the model zoo: builds the named model with the run's
// config, initialised from the run's seed, and encodes its state dict (parameters and buffers)
// as safetensors. Kept apart from the service so that only this file links LibTorch.
#pragma once

#include "pancaim/coordinator/server/coordinator_service.h"

namespace pancaim::coordinator::server {

// Errors: those of zoo::CreateModel (unknown model, bad config key) and of the encoder.
InitialModelFactory ZooModelFactory();

}  // namespace pancaim::coordinator::server
