/* pv/hvm.h: hvm_op (hypercall 34) parameters: where the guest finds its store and console. */
#ifndef PV_HVM_H
#define PV_HVM_H

#include "abi_types.h"

#define HVMOP_set_param 0
#define HVMOP_get_param 1

/* get_param/set_param argument. domid must be DOMID_SELF; index < HVM_NR_PARAMS. The guest
 * may read every parameter below and set none (-EPERM) except HVM_PARAM_CALLBACK_IRQ,
 * which pvisor accepts and ignores (upcalls always use the platform device, pv/pvisor.h). */
struct xen_hvm_param {
    pv_domid domid;
    pv_u16 pad;
    pv_u32 index;
    pv_u64 value;
};
PV_ASSERT_SIZE(struct xen_hvm_param, 16);
PV_ASSERT_OFFSET(struct xen_hvm_param, index, 4);
PV_ASSERT_OFFSET(struct xen_hvm_param, value, 8);

#define HVM_PARAM_CALLBACK_IRQ 0
#define HVM_PARAM_STORE_PFN 1     /* guest frame of the store ring (struct xenstore_domain_interface) */
#define HVM_PARAM_STORE_EVTCHN 2  /* guest port bound to the store server */
#define HVM_PARAM_CONSOLE_PFN 17  /* guest frame of the console ring (struct xencons_interface) */
#define HVM_PARAM_CONSOLE_EVTCHN 18
#define HVM_NR_PARAMS 64

#endif /* PV_HVM_H */
