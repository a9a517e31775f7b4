// SPDX-License-Identifier: GPL-2.0
/* shadow.c: requests in flight on a blkif ring and the checks every response passes. */
#include <linux/errno.h>

#include "shadow.h"

int pvblk_inflight_produce(struct pvblk_inflight *f, u32 id, struct request *rq,
			   union blkif_request_any *req)
{
	if (id >= f->front->size || f->shadow[id].rq)
		return -EBUSY;
	req->rw.id = id; /* id is at the same offset in every request form */
	if (pv_front_produce(f->front, req, sizeof(*req)) < 0)
		return -ENOSPC;
	f->shadow[id].rq = rq;
	f->shadow[id].operation = req->rw.operation;
	return 0;
}

void pvblk_inflight_end(struct pvblk_inflight *f, u32 id, blk_status_t status)
{
	struct request *rq = f->shadow[id].rq;

	f->shadow[id].rq = NULL;
	pvblk_end_request(f->ring, rq, f->shadow[id].operation, status);
}

void pvblk_inflight_fail_all(struct pvblk_inflight *f)
{
	u32 i;

	for (i = 0; i < f->front->size; i++)
		if (f->shadow[i].rq)
			pvblk_inflight_end(f, i, BLK_STS_IOERR);
}

/* BLKIF_RSP_* to a block status; false for any other value. */
static bool pvblk_rsp_status(s16 status, blk_status_t *out)
{
	switch (status) {
	case BLKIF_RSP_OKAY:
		*out = BLK_STS_OK;
		return true;
	case BLKIF_RSP_EOPNOTSUPP:
		*out = BLK_STS_NOTSUPP;
		return true;
	case BLKIF_RSP_ERROR:
		*out = BLK_STS_IOERR;
		return true;
	default:
		return false;
	}
}

/* One response, a private copy. NULL if it is valid (and its request ended), else why not. */
static const char *pvblk_inflight_response(struct pvblk_inflight *f,
					   const struct blkif_response *rsp)
{
	blk_status_t status;

	/* The bound first: rsp->id indexes nothing before it is checked. */
	if (rsp->id >= f->front->size || !f->shadow[rsp->id].rq)
		return "response id not outstanding";
	if (rsp->operation != f->shadow[rsp->id].operation)
		return "response operation differs from the request";
	if (!pvblk_rsp_status(rsp->status, &status))
		return "unknown response status";
	pvblk_inflight_end(f, rsp->id, status);
	return NULL;
}

void pvblk_inflight_drain(struct pvblk_inflight *f)
{
	const char *why = NULL;
	struct blkif_response rsp;
	u64 id = 0;
	int n;

	if (f->front->broken) { /* reported when it broke; not read again */
		pvblk_inflight_fail_all(f);
		return;
	}
	/* Bounded: each response consumed ends one outstanding request, or stops the loop. */
	for (;;) {
		while ((n = pv_front_consume_response(f->front, &rsp, sizeof(rsp))) == 1) {
			why = pvblk_inflight_response(f, &rsp);
			if (why) {
				id = rsp.id;
				f->front->broken = 1; /* never read again, whatever comes next */
				goto broken;
			}
		}
		if (n < 0)
			goto broken;
		n = pv_front_final_check_for_responses(f->front);
		if (n == 0)
			return;
		if (n < 0)
			goto broken;
	}
broken:
	/* No response to blame: the producer index ran ahead of the requests (or back). */
	if (!why)
		why = "more responses than requests";
	pvblk_ring_violation(f->ring, why, id);
	pvblk_inflight_fail_all(f);
}
