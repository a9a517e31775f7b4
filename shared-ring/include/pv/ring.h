/* pv/ring.h: the generic shared request/response ring layout (Xen io/ring.h semantics). */
#ifndef PV_RING_H
#define PV_RING_H

#include "abi_types.h"

/*
 * Layout
 * ------
 * A shared ring is N x 4096 bytes of memory granted by the frontend (N = 2^ring-page-order,
 * the pages contiguous in the backend's mapping). It starts with the 64-byte header
 * struct pv_sring_hdr; the entries follow at offset 64. Every entry has the same size E, the
 * size of the union of one request and one response of the protocol (PV_RING_DECLARE).
 * The ring holds S entries, S the largest power of two <= (N * 4096 - 64) / E
 * (PV_RING_SIZE). Requests and responses share the slots: response i overwrites request i.
 *
 * Indices
 * -------
 * req_prod, rsp_prod and the two event indices are free-running pv_u32 counters: they are
 * never reduced modulo S and wrap at 2^32. Index x names slot (x & (S - 1)). All index
 * arithmetic is unsigned 32-bit difference (a - b), so wrap-around needs no special case.
 *   req_prod  written by the frontend only: requests [.., req_prod) are published.
 *   rsp_prod  written by the backend only: responses [.., rsp_prod) are published.
 *   req_event written by the backend: "notify me when req_prod passes this index".
 *   rsp_event written by the frontend: "notify me when rsp_prod passes this index".
 * Each side also keeps private indices in its own memory (never trusted from the page):
 * the frontend req_prod_pvt (next request to fill) and rsp_cons (next response to read);
 * the backend req_cons (next request to read) and rsp_prod_pvt (next response to fill).
 *
 * Initialisation
 * --------------
 * The frontend zeroes the whole ring, then sets req_prod = rsp_prod = 0 and
 * req_event = rsp_event = 1 (pv_sring_init in pv/ring_ops.h), BEFORE it grants the pages and
 * publishes ring-ref in the store. The backend only attaches: it takes req_cons and
 * rsp_prod_pvt from rsp_prod as found (a restarted backend resumes where the last left off;
 * requests consumed but never answered by a dead backend are the frontend's to retry).
 *
 * Ordering (each index update and what the peer may assume)
 * --------------------------------------------------------
 *  1. Producer: write slot contents; WRITE barrier (virt_wmb / release); store *_prod.
 *     A peer that reads *_prod with a READ barrier after it (virt_rmb / acquire) sees every
 *     slot below it fully written.
 *  2. Producer, notify decision: after storing *_prod, FULL barrier (virt_mb / seq_cst
 *     fence), then read the peer's *_event. Notify iff
 *         (pv_u32)(new - event) < (pv_u32)(new - old)
 *     (old = *_prod before this push), i.e. the event index lies in (old, new].
 *  3. Consumer, going to sleep ("final check"): if nothing is pending, store
 *     *_event = cons + 1, FULL barrier, re-read *_prod. Either the re-read sees new work or
 *     the producer's read in step 2 sees the new event index and notifies: with both full
 *     barriers no wake-up is lost.
 *  4. Consumer: read the slot after the READ barrier of step 1; copy it out of shared memory
 *     ONCE and validate the copy only (the peer may rewrite the slot at any time).
 *  5. Consumer frees slots implicitly: a request slot is reusable once its response is
 *     published (rsp_prod past it) and consumed by the frontend (rsp_cons past it).
 *
 * Overflow and trust
 * ------------------
 * Each side treats the other's indices as hostile input:
 *  - backend: req_prod - rsp_prod_pvt > S means the frontend produced into slots whose
 *    responses are not yet out (overwriting live requests), and req_prod - rsp_prod_pvt <
 *    req_cons - rsp_prod_pvt means req_prod moved backwards. Either marks the ring broken:
 *    the backend stops consuming, logs and counts the reason, and waits for a reconnect.
 *  - frontend: rsp_prod - rsp_cons > req_prod_pvt - rsp_cons (more responses than requests
 *    outstanding) marks the ring broken likewise.
 * A slot index is always masked with S - 1, so no hostile index reads outside the ring.
 * The event indices carry no trust: a wrong value only causes an extra or a missing
 * notification to the party that wrote it.
 */

/* Bytes before the first entry. */
#define PV_RING_HEADER_SIZE 64U
/* A ring page; multi-page rings are N whole pages. */
#define PV_RING_PAGE_SIZE 4096U

struct pv_sring_hdr {
    pv_u32 req_prod;  /* frontend writes; release after the slots it covers */
    pv_u32 req_event; /* backend writes; full barrier before re-reading req_prod */
    pv_u32 rsp_prod;  /* backend writes; release after the slots it covers */
    pv_u32 rsp_event; /* frontend writes; full barrier before re-reading rsp_prod */
    pv_u8 pvt[4];     /* protocol-private (Xen: netif smartpoll, tapif msg); zero otherwise */
    pv_u8 pad[44];    /* zero */
};
PV_ASSERT_SIZE(struct pv_sring_hdr, PV_RING_HEADER_SIZE);
PV_ASSERT_OFFSET(struct pv_sring_hdr, req_prod, 0);
PV_ASSERT_OFFSET(struct pv_sring_hdr, req_event, 4);
PV_ASSERT_OFFSET(struct pv_sring_hdr, rsp_prod, 8);
PV_ASSERT_OFFSET(struct pv_sring_hdr, rsp_event, 12);
PV_ASSERT_OFFSET(struct pv_sring_hdr, pvt, 16);
PV_ASSERT_OFFSET(struct pv_sring_hdr, pad, 20);

/* Largest power of two <= x, for constant x < 2^32 (0 for 0). */
#define PV_RING_RD2_(x) (((x)&0x2U) ? 0x2U : ((x)&0x1U))
#define PV_RING_RD4_(x) (((x)&0xcU) ? (PV_RING_RD2_((x) >> 2) << 2) : PV_RING_RD2_(x))
#define PV_RING_RD8_(x) (((x)&0xf0U) ? (PV_RING_RD4_((x) >> 4) << 4) : PV_RING_RD4_(x))
#define PV_RING_RD16_(x) (((x)&0xff00U) ? (PV_RING_RD8_((x) >> 8) << 8) : PV_RING_RD8_(x))
#define PV_RING_RD32(x) (((x)&0xffff0000U) ? (PV_RING_RD16_((x) >> 16) << 16) : PV_RING_RD16_(x))

/* Entries of a ring of `bytes` bytes (header included) with entries of `entry` bytes
 * (unsigned constant expressions). */
#define PV_RING_SIZE(bytes, entry) PV_RING_RD32(((bytes)-PV_RING_HEADER_SIZE) / (entry))
/* Bytes of a ring of `pages` pages. */
#define PV_RING_BYTES(pages) ((pages)*PV_RING_PAGE_SIZE)

/*
 * Declares a protocol's entry type `union <name>_sring_entry` (request and response sharing
 * one slot). Use its sizeof as the entry size:
 *     PV_RING_DECLARE(blkif, union blkif_request_any, struct blkif_response)
 *     #define BLKIF_RING_SIZE(pages) \
 *         PV_RING_SIZE(PV_RING_BYTES(pages), sizeof(union blkif_sring_entry))
 */
#define PV_RING_DECLARE(name, req_type, rsp_type)                                                  \
    union name##_sring_entry {                                                                     \
        req_type req;                                                                              \
        rsp_type rsp;                                                                              \
    }

/* Sanity of the size rule on the two common cases (112-byte blkif entries, 1 and 16 pages). */
PV_STATIC_ASSERT(PV_RING_RD32(36U) == 32U, "round down 36");
PV_STATIC_ASSERT(PV_RING_RD32(0xffffffffU) == 0x80000000U, "round down max");
PV_STATIC_ASSERT(PV_RING_RD32(1U) == 1U && PV_RING_RD32(0U) == 0U, "round down small");
PV_STATIC_ASSERT(PV_RING_SIZE(PV_RING_BYTES(1U), 112U) == 32U, "1-page 112-byte ring");
PV_STATIC_ASSERT(PV_RING_SIZE(PV_RING_BYTES(16U), 112U) == 512U, "16-page 112-byte ring");
PV_STATIC_ASSERT(PV_RING_SIZE(PV_RING_BYTES(1U), 64U) == 32U, "1-page 64-byte ring");

#endif /* PV_RING_H */
