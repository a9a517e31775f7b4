/* device.h: stands in for the kernel header (pvnet backend tests); see kshim_net.h. */
#include "kshim_net.h"
