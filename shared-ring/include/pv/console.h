/* pv/console.h: the PV console ring (Xen's io/console.h layout). */
#ifndef PV_CONSOLE_H
#define PV_CONSOLE_H

#include "abi_types.h"

/*
 * One page at HVM_PARAM_CONSOLE_PFN, notified through HVM_PARAM_CONSOLE_EVTCHN.
 * out: guest -> host byte stream; in: host -> guest. Indices are free-running u32; the byte
 * at stream position x is at buf[x % size]. A producer writes the bytes, wmb, then the
 * producer index, then notifies; a consumer reads the producer index, rmb, the bytes, then
 * mb and publishes its consumer index. Each side treats (prod - cons) > size as a broken
 * peer: pvisor then stops serving the ring and counts it.
 */
#define PV_CONSOLE_IN_SIZE 1024U
#define PV_CONSOLE_OUT_SIZE 2048U

struct xencons_interface {
    char in[PV_CONSOLE_IN_SIZE];
    char out[PV_CONSOLE_OUT_SIZE];
    pv_u32 in_cons;
    pv_u32 in_prod;
    pv_u32 out_cons;
    pv_u32 out_prod;
};
PV_ASSERT_SIZE(struct xencons_interface, 3088);
PV_ASSERT_OFFSET(struct xencons_interface, out, 1024);
PV_ASSERT_OFFSET(struct xencons_interface, in_cons, 3072);
PV_ASSERT_OFFSET(struct xencons_interface, out_prod, 3084);

#endif /* PV_CONSOLE_H */
