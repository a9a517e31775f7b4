/* ring_ops_c.h: C-compiled entry points into pv/ring_ops.h for the C++ tests. */
#ifndef PV_TESTS_RING_OPS_C_H
#define PV_TESTS_RING_OPS_C_H

#include <pv/abi_types.h>

#ifdef __cplusplus
extern "C" {
#endif

int pv_ring_c_need_notify(pv_u32 old_prod, pv_u32 new_prod, pv_u32 event);
/* Returns the final rsp_cons, or < 0 on a lost, reordered or refused message. */
long pv_ring_c_roundtrip(void* page, pv_u32 bytes, pv_u32 start, pv_u32 count);

#ifdef __cplusplus
}
#endif

#endif
