/* Userspace stand-in: everything is in kshim.h. */
#include "../../kshim.h"
