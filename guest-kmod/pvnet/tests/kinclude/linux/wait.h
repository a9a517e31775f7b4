/* wait.h: stands in for the kernel header (pvnet rx test); see kshim_net.h. */
#include "kshim_net.h"
