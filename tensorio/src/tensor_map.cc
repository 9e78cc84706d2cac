#include "pancaim/tensorio/tensor_map.h"
