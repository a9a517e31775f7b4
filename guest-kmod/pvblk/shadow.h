/* SPDX-License-Identifier: GPL-2.0 */
/* shadow.h: requests in flight on a blkif ring and the checks every response passes. */
#ifndef PVBLK_SHADOW_H
#define PVBLK_SHADOW_H

/*
 * Kernel C with no kernel call of its own: pvblk.ko builds it, and so do the userspace
 * hostile-backend tests (pvblk/tests), so they exercise the very checks the module runs.
 * What it needs from its user is the two functions declared at the end.
 */
#include <linux/blk_types.h> /* blk_status_t, and <linux/types.h> with it */
#include <pv/blkif.h>
#include <pv/ring_ops.h>

struct request;
struct pvblk_ring;

/*
 * The private record of one request in flight on a ring slot (indexed by the request id,
 * which is the blk-mq tag). The backend's responses are checked against it; the request
 * itself is never read back from the shared ring.
 */
struct pvblk_shadow {
	struct request *rq; /* NULL: no request with this id is outstanding */
	u8 operation;	    /* the operation written to the ring (BLKIF_OP_*) */
};

/*
 * One ring as this unit sees it. The caller holds the ring's lock around every call; the
 * shadow has front.size entries.
 */
struct pvblk_inflight {
	struct pvblk_ring *ring; /* handed back to the functions below */
	struct pv_front_ring *front;
	struct pvblk_shadow *shadow;
};

/*
 * Produces @req (any request form; its id is set here to @id) for @rq and records it.
 * 0; -EBUSY if @id is out of range or in use; -ENOSPC if the ring is full.
 */
int pvblk_inflight_produce(struct pvblk_inflight *f, u32 id, struct request *rq,
			   union blkif_request_any *req);
/*
 * Consumes every published response. Each is copied out once and checked: its id names an
 * outstanding request, its operation is the one sent, its status is one of BLKIF_RSP_*; then
 * the request ends with that status. A response that fails a check, or a producer index
 * claiming more responses than requests are outstanding, is a violation: reported through
 * pvblk_ring_violation, the ring is never read again (front->broken stays set) and every
 * request still outstanding on it ends with BLK_STS_IOERR.
 */
void pvblk_inflight_drain(struct pvblk_inflight *f);
/* Ends every outstanding request with BLK_STS_IOERR. */
void pvblk_inflight_fail_all(struct pvblk_inflight *f);
/* Ends the request outstanding under @id (which must be one) with @status. */
void pvblk_inflight_end(struct pvblk_inflight *f, u32 id, blk_status_t status);

/* Provided by the user of this unit (ring.c; the tests' harness). */
/* Completes @rq, just taken off the shadow; @operation is what was sent for it. */
void pvblk_end_request(struct pvblk_ring *ring, struct request *rq, u8 operation,
		       blk_status_t status);
/* The backend broke the protocol on @ring (@id: the response's, 0 if none): count, log once. */
void pvblk_ring_violation(struct pvblk_ring *ring, const char *why, u64 id);

#endif /* PVBLK_SHADOW_H */
