/* xs_wire_c.c: pv/xs_wire.h compiled alone as C11 (-Werror -pedantic via the project flags). */
#include "pv/xs_wire.h"

const char* pv_xs_wire_c_error_name(unsigned i);
unsigned pv_xs_wire_c_interface_size(void);

#define PV_XS_ERR_STR(name) #name,
static const char* const names[] = {PV_XS_ERRORS(PV_XS_ERR_STR)};

const char* pv_xs_wire_c_error_name(unsigned i) { return i < XS_ERROR_COUNT ? names[i] : NULL; }

unsigned pv_xs_wire_c_interface_size(void) {
    return (unsigned)sizeof(struct xenstore_domain_interface);
}
