/* pv/ring_ops.h: the shared ring logic, once, for the guest kernel modules and the host backends.
 */
#ifndef PV_RING_OPS_H
#define PV_RING_OPS_H

#include "ring.h"
#include "ring_barrier.h"

/*
 * Freestanding static inline C (no libc, no kernel headers beyond pv/ring_barrier.h), valid
 * C11 and C++20, usable from kbuild without extra objects. Layout, index meaning and the
 * trust rules are specified in pv/ring.h; this file implements them for any entry size.
 *
 * Handles live in each side's PRIVATE memory; only `sring` and the slots are shared.
 * Single producer and single consumer per direction: a handle is used by one thread at a
 * time (or under the caller's lock).
 *
 * Frontend (guest kernel), one request/response round:
 *     struct pv_front_ring fr;
 *     pv_sring_init(page, PV_RING_BYTES(1U));                     // before granting the page
 *     pv_front_ring_attach(&fr, page, PV_RING_BYTES(1U), sizeof(union blkif_sring_entry));
 *     if (pv_front_produce(&fr, &req, sizeof(req)) == 0 && pv_front_push_requests(&fr))
 *         notify_remote_via_evtchn(port);
 *     ... in the event handler:
 *     for (;;) {
 *         while ((n = pv_front_consume_response(&fr, &rsp, sizeof(rsp))) == 1)
 *             complete(&rsp);                                    // rsp is a private copy
 *         if (n < 0) { mark_broken(); break; }                   // hostile backend
 *         if (pv_front_final_check_for_responses(&fr) == 0) break; // sleep until the event
 *     }
 * Backend (host process), its event loop on the request event channel:
 *     pv_back_ring_attach(&br, mapping, bytes, sizeof(union blkif_sring_entry));
 *     for (;;) {
 *         while ((n = pv_back_consume_request(&br, &req, sizeof(req))) == 1) {
 *             handle(&req, &rsp);                                // req copied out once
 *             pv_back_produce_response(&br, &rsp, sizeof(rsp));
 *         }
 *         if (n < 0) { log_broken(); break; }                    // br.broken stays set
 *         if (pv_back_push_responses(&br)) notify(port);
 *         if (pv_back_final_check_for_requests(&br) == 0) wait_for_event(port);
 *     }
 * Return values: 1 = done/work pending/notify, 0 = nothing, -1 = refused (full ring, no
 * outstanding request, or a hostile peer: then `broken` is set and stays set).
 */

#if defined(__cplusplus)
#define PV_RING_CAST_(type, expr) static_cast<type>(expr)
#else
#define PV_RING_CAST_(type, expr) ((type)(expr))
#endif

/* Frontend view: produces requests, consumes responses. */
struct pv_front_ring {
    struct pv_sring_hdr* sring;
    unsigned char* entries; /* sring + PV_RING_HEADER_SIZE */
    pv_u32 entry_size;
    pv_u32 size;         /* S, a power of two */
    pv_u32 req_prod_pvt; /* next request slot to fill; published by pv_front_push_requests */
    pv_u32 rsp_cons;     /* next response to read */
    int broken;          /* the backend broke the protocol; sticky */
};

/* Backend view: consumes requests, produces responses. */
struct pv_back_ring {
    struct pv_sring_hdr* sring;
    unsigned char* entries;
    pv_u32 entry_size;
    pv_u32 size;
    pv_u32 rsp_prod_pvt; /* next response slot to fill; published by pv_back_push_responses */
    pv_u32 req_cons;     /* next request to read */
    int broken;          /* the frontend broke the protocol; sticky */
};

/* Entries in `bytes` bytes with `entry_size`-byte entries (the largest power of two that
 * fits), 0 if not even one fits. Run-time twin of PV_RING_SIZE. */
static inline pv_u32 pv_ring_entries(pv_u32 bytes, pv_u32 entry_size) {
    pv_u32 fit;
    pv_u32 size = 1U;

    if (entry_size == 0U || bytes < PV_RING_HEADER_SIZE + entry_size)
        return 0U;
    fit = (bytes - PV_RING_HEADER_SIZE) / entry_size;
    while (size <= fit / 2U)
        size *= 2U;
    return size;
}

/* Address of the slot of free-running index idx (masked: never outside the ring). */
static inline unsigned char* pv_ring_slot_(unsigned char* entries, pv_u32 size, pv_u32 entry_size,
                                           pv_u32 idx) {
    return entries + (idx & (size - 1U)) * entry_size;
}

static inline pv_u32 pv_ring_min_(pv_u32 a, pv_u32 b) {
    return a < b ? a : b;
}

/*
 * Frontend, before granting the ring: zeroes `bytes` bytes and starts all indices at
 * `start` (0 in production; tests start near 2^32 to exercise wrap-around). Plain stores:
 * the grant and the store write that publish the ring come later and order them.
 */
static inline void pv_sring_init_at(void* shared, pv_u32 bytes, pv_u32 start) {
    struct pv_sring_hdr* s = PV_RING_CAST_(struct pv_sring_hdr*, shared);
    unsigned char* b = PV_RING_CAST_(unsigned char*, shared);
    pv_u32 i;

    for (i = 0U; i < bytes; i++)
        b[i] = 0U;
    s->req_prod = start;
    s->rsp_prod = start;
    s->req_event = start + 1U;
    s->rsp_event = start + 1U;
}

static inline void pv_sring_init(void* shared, pv_u32 bytes) {
    pv_sring_init_at(shared, bytes, 0U);
}

/* Frontend: attaches its private view to an initialised ring. 0, or -1 if no entry fits. */
static inline int pv_front_ring_attach(struct pv_front_ring* r, void* shared, pv_u32 bytes,
                                       pv_u32 entry_size) {
    r->sring = PV_RING_CAST_(struct pv_sring_hdr*, shared);
    r->entries = PV_RING_CAST_(unsigned char*, shared) + PV_RING_HEADER_SIZE;
    r->entry_size = entry_size;
    r->size = pv_ring_entries(bytes, entry_size);
    r->broken = 0;
    if (r->size == 0U)
        return -1; /* not even the header and one entry: touch nothing */
    r->req_prod_pvt = pv_idx_observe(&r->sring->req_prod); /* our own index: trusted */
    r->rsp_cons = pv_idx_observe(&r->sring->rsp_prod);
    return 0;
}

/* Frontend: request slots free to fill (S - requests not yet answered and consumed). */
static inline pv_u32 pv_front_free_slots(const struct pv_front_ring* r) {
    return r->size - (r->req_prod_pvt - r->rsp_cons);
}

/*
 * Frontend: copies `len` bytes (at most one entry) of a request into the next free slot,
 * privately: the backend sees it only after pv_front_push_requests. 0, or -1 if full.
 */
static inline int pv_front_produce(struct pv_front_ring* r, const void* req, pv_u32 len) {
    unsigned char* slot;

    if (pv_front_free_slots(r) == 0U)
        return -1;
    slot = pv_ring_slot_(r->entries, r->size, r->entry_size, r->req_prod_pvt);
    pv_copy_bytes(slot, req, pv_ring_min_(len, r->entry_size));
    r->req_prod_pvt++;
    return 0;
}

/*
 * Notify rule shared by both directions: the peer asked to be woken at index `event`;
 * this push moved the producer index from old to new. True iff event is in (old, new].
 */
static inline int pv_ring_need_notify(pv_u32 old_prod, pv_u32 new_prod, pv_u32 event) {
    return (new_prod - event) < (new_prod - old_prod);
}

/*
 * Frontend: publishes the produced requests and says whether to notify the backend.
 * Ordering: slot writes -> release store of req_prod (the backend's acquire of req_prod
 * then sees the slots) -> full barrier (pv_idx_publish_mb) -> read req_event. The full barrier
 * pairs with the one in pv_back_final_check_for_requests: either we see its new req_event, or it
 * sees our req_prod on its re-read.
 */
static inline int pv_front_push_requests(struct pv_front_ring* r) {
    pv_u32 old_prod = r->sring->req_prod; /* our own last publication */
    pv_u32 new_prod = r->req_prod_pvt;

    pv_idx_publish_mb(&r->sring->req_prod, new_prod);
    return pv_ring_need_notify(old_prod, new_prod, pv_idx_observe(&r->sring->req_event));
}

/*
 * Frontend: responses published and not yet consumed. -1 (and broken) if the backend
 * claims more responses than requests are outstanding. Acquire on rsp_prod: the response
 * slots below it are complete.
 */
static inline int pv_front_unconsumed_responses(struct pv_front_ring* r, pv_u32* count) {
    pv_u32 prod;

    *count = 0U;
    if (r->broken)
        return -1;
    prod = pv_idx_observe(&r->sring->rsp_prod);
    if ((prod - r->rsp_cons) > (r->req_prod_pvt - r->rsp_cons)) {
        r->broken = 1;
        return -1;
    }
    *count = prod - r->rsp_cons;
    return 0;
}

/*
 * Frontend: copies the next response (at most `len` bytes) out of its slot and consumes it.
 * 1 if one was copied, 0 if none is published, -1 if the backend is hostile. The slot is
 * read once, after the acquire of rsp_prod; the copy is what the caller validates.
 */
static inline int pv_front_consume_response(struct pv_front_ring* r, void* rsp, pv_u32 len) {
    pv_u32 n;
    const unsigned char* slot;

    if (pv_front_unconsumed_responses(r, &n) < 0)
        return -1;
    if (n == 0U)
        return 0;
    slot = pv_ring_slot_(r->entries, r->size, r->entry_size, r->rsp_cons);
    pv_copy_bytes(rsp, slot, pv_ring_min_(len, r->entry_size));
    r->rsp_cons++;
    return 1;
}

/*
 * Frontend, before sleeping: 1 if responses are pending (keep consuming), 0 if it may sleep
 * until the backend's notification, -1 if the backend is hostile. When none are pending it
 * sets rsp_event = rsp_cons + 1, full barrier, and looks again (pv/ring.h ordering rule 3).
 */
static inline int pv_front_final_check_for_responses(struct pv_front_ring* r) {
    pv_u32 n;

    if (pv_front_unconsumed_responses(r, &n) < 0)
        return -1;
    if (n != 0U)
        return 1;
    pv_idx_set_mb(&r->sring->rsp_event, r->rsp_cons + 1U);
    if (pv_front_unconsumed_responses(r, &n) < 0)
        return -1;
    return n != 0U;
}

/* Backend: attaches to a ring the frontend initialised, resuming at its rsp_prod. */
static inline int pv_back_ring_attach(struct pv_back_ring* r, void* shared, pv_u32 bytes,
                                      pv_u32 entry_size) {
    r->sring = PV_RING_CAST_(struct pv_sring_hdr*, shared);
    r->entries = PV_RING_CAST_(unsigned char*, shared) + PV_RING_HEADER_SIZE;
    r->entry_size = entry_size;
    r->size = pv_ring_entries(bytes, entry_size);
    r->broken = 0;
    if (r->size == 0U)
        return -1; /* not even the header and one entry: touch nothing */
    r->rsp_prod_pvt = pv_idx_observe(&r->sring->rsp_prod);
    r->req_cons = r->rsp_prod_pvt;
    return 0;
}

/*
 * Backend: requests published and not yet consumed, or -1 (and broken) if req_prod is
 * hostile: more than S ahead of rsp_prod_pvt (it overwrote unanswered requests) or behind
 * req_cons (it moved backwards). Acquire on req_prod: the request slots below it are
 * complete. Invariant kept by this file: rsp_prod_pvt <= req_cons <= rsp_prod_pvt + S.
 */
static inline int pv_back_unconsumed_requests(struct pv_back_ring* r, pv_u32* count) {
    pv_u32 prod;
    pv_u32 ahead;

    *count = 0U;
    if (r->broken)
        return -1;
    prod = pv_idx_observe(&r->sring->req_prod);
    ahead = prod - r->rsp_prod_pvt;
    if (ahead > r->size || ahead < (r->req_cons - r->rsp_prod_pvt)) {
        r->broken = 1;
        return -1;
    }
    *count = prod - r->req_cons;
    return 0;
}

/*
 * Backend: copies the next request (at most `len` bytes) out of shared memory and consumes
 * it. 1 if one was copied, 0 if none is pending, -1 if the frontend is hostile. Each slot is
 * read exactly once (Xen RING_COPY_REQUEST): validate only the private copy.
 */
static inline int pv_back_consume_request(struct pv_back_ring* r, void* req, pv_u32 len) {
    pv_u32 n;
    const unsigned char* slot;

    if (pv_back_unconsumed_requests(r, &n) < 0)
        return -1;
    if (n == 0U)
        return 0;
    slot = pv_ring_slot_(r->entries, r->size, r->entry_size, r->req_cons);
    pv_copy_bytes(req, slot, pv_ring_min_(len, r->entry_size));
    r->req_cons++;
    return 1;
}

/*
 * Backend: writes the next response (at most one entry) privately. -1 if no consumed
 * request is waiting for one (a response would overwrite an unread request slot).
 */
static inline int pv_back_produce_response(struct pv_back_ring* r, const void* rsp, pv_u32 len) {
    unsigned char* slot;

    if (r->rsp_prod_pvt == r->req_cons)
        return -1;
    slot = pv_ring_slot_(r->entries, r->size, r->entry_size, r->rsp_prod_pvt);
    pv_copy_bytes(slot, rsp, pv_ring_min_(len, r->entry_size));
    r->rsp_prod_pvt++;
    return 0;
}

/*
 * Backend: publishes the produced responses and says whether to notify the frontend.
 * Same ordering as pv_front_push_requests with rsp_prod/rsp_event. The old value is our
 * own last publication, re-read from the page; the frontend cannot make this overflow
 * anything, at worst it suppresses or adds its own notifications.
 */
static inline int pv_back_push_responses(struct pv_back_ring* r) {
    pv_u32 old_prod = r->sring->rsp_prod;
    pv_u32 new_prod = r->rsp_prod_pvt;

    pv_idx_publish_mb(&r->sring->rsp_prod, new_prod);
    return pv_ring_need_notify(old_prod, new_prod, pv_idx_observe(&r->sring->rsp_event));
}

/*
 * Backend, before waiting for the event channel: 1 if requests are pending, 0 if it may
 * wait, -1 if the frontend is hostile. Sets req_event = req_cons + 1, full barrier, looks
 * again (pv/ring.h ordering rule 3; pairs with pv_front_push_requests).
 */
static inline int pv_back_final_check_for_requests(struct pv_back_ring* r) {
    pv_u32 n;

    if (pv_back_unconsumed_requests(r, &n) < 0)
        return -1;
    if (n != 0U)
        return 1;
    pv_idx_set_mb(&r->sring->req_event, r->req_cons + 1U);
    if (pv_back_unconsumed_requests(r, &n) < 0)
        return -1;
    return n != 0U;
}

#endif /* PV_RING_OPS_H */
