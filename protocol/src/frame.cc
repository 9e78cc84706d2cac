#include "pancaim/protocol/frame.h"
