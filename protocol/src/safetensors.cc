#include "pancaim/protocol/safetensors.h"
