/* ring_ops_c.c: the ring logic compiled as C (as kbuild does), driven by the C++ tests. */
#include "ring_ops_c.h"

#include <pv/ring_ops.h>

int pv_ring_c_need_notify(pv_u32 old_prod, pv_u32 new_prod, pv_u32 event) {
    return pv_ring_need_notify(old_prod, new_prod, event);
}

/* Sends `count` sequence numbers front -> back -> front in bursts filling the ring. */
long pv_ring_c_roundtrip(void* page, pv_u32 bytes, pv_u32 start, pv_u32 count) {
    struct pv_front_ring f;
    struct pv_back_ring b;
    pv_u32 sent = 0U, served = 0U, done = 0U, v;

    pv_sring_init_at(page, bytes, start);
    if (pv_front_ring_attach(&f, page, bytes, 8U) < 0 ||
        pv_back_ring_attach(&b, page, bytes, 8U) < 0)
        return -1;
    while (done < count) {
        while (sent < count && pv_front_produce(&f, &sent, sizeof(sent)) == 0)
            sent++;
        (void)pv_front_push_requests(&f);
        while (pv_back_consume_request(&b, &v, sizeof(v)) == 1) {
            if (v != served++)
                return -2;
            v = ~v;
            if (pv_back_produce_response(&b, &v, sizeof(v)) < 0)
                return -3;
        }
        (void)pv_back_push_responses(&b);
        while (pv_front_consume_response(&f, &v, sizeof(v)) == 1) {
            if (v != ~done++)
                return -4;
        }
    }
    return (long)f.rsp_cons;
}
