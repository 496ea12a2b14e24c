#include "autoconfig.h"
