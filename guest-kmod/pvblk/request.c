// SPDX-License-Identifier: GPL-2.0
/* request.c: blk-mq requests to blkif requests: grants, indirect frames, flush, discard. */
#include <linux/blk-mq.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "pvblk.h"
#include "pvcore.h"

/* A persistent grant from the ring's pool, a new one while under the cap, else NULL. */
static struct pvblk_pgrant *pvblk_pool_get(struct pvblk_info *info, struct pvblk_ring *ring)
{
	struct pvblk_pgrant *pg;
	unsigned long flags;
	int ref;

	spin_lock_irqsave(&ring->pool_lock, flags);
	pg = list_first_entry_or_null(&ring->pool, struct pvblk_pgrant, link);
	if (pg)
		list_del(&pg->link);
	else if (ring->pool_count < PVBLK_MAX_PGRANTS_PER_RING)
		ring->pool_count++; /* reserved; given back below on failure */
	else
		pg = ERR_PTR(-ENOSPC);
	spin_unlock_irqrestore(&ring->pool_lock, flags);
	if (pg)
		return IS_ERR(pg) ? NULL : pg;

	/* queue_rq may not sleep (no BLK_MQ_F_BLOCKING). */
	pg = kmalloc(sizeof(*pg), GFP_NOWAIT | __GFP_NOWARN);
	if (pg)
		pg->page = alloc_page(GFP_NOWAIT | __GFP_NOWARN | __GFP_ZERO); /* no stale data shown */
	if (pg && pg->page) {
		ref = pvcore_grant_access(info->pvdev->otherend_id, page_to_pfn(pg->page), false);
		if (ref >= 0) {
			pg->gref = ref;
			return pg;
		}
		__free_page(pg->page);
	}
	kfree(pg);
	spin_lock_irqsave(&ring->pool_lock, flags);
	ring->pool_count--;
	spin_unlock_irqrestore(&ring->pool_lock, flags);
	return NULL;
}

static void pvblk_pool_put(struct pvblk_ring *ring, struct pvblk_pgrant *pg)
{
	unsigned long flags;

	spin_lock_irqsave(&ring->pool_lock, flags);
	list_add(&pg->link, &ring->pool);
	spin_unlock_irqrestore(&ring->pool_lock, flags);
}

/*
 * Ring teardown, every request released: ends the pool's grants. pvcore frees each page once
 * the backend no longer maps it.
 */
void pvblk_pool_free(struct pvblk_ring *ring)
{
	struct pvblk_pgrant *pg, *next;
	LIST_HEAD(all);

	spin_lock_irq(&ring->pool_lock);
	list_splice_init(&ring->pool, &all);
	ring->pool_count = 0;
	spin_unlock_irq(&ring->pool_lock);
	list_for_each_entry_safe(pg, next, &all, link) {
		pvcore_end_access(pg->gref, pg->page);
		kfree(pg);
	}
}

/*
 * A successful read: the data the backend wrote into persistent grants goes to the
 * request's own pages. Offsets and lengths are our scatterlist's, never the backend's.
 */
void pvblk_copy_back(struct pvblk_req *preq)
{
	struct scatterlist *sg;
	unsigned int i;

	if (!preq->read)
		return;
	for_each_sg(preq->sg, sg, preq->nr_grants, i)
		if (preq->pg[i])
			memcpy(sg_virt(sg), page_address(preq->pg[i]->page) + sg->offset, sg->length);
}

/*
 * Ends every grant the request holds; pvcore drops the page references once unmapped.
 * Persistent grants go back to the ring's pool, still granted.
 */
void pvblk_release_grants(struct pvblk_req *preq)
{
	unsigned int i;

	for (i = 0; i < preq->nr_grants; i++) {
		if (preq->pg[i])
			pvblk_pool_put(preq->ring, preq->pg[i]);
		else
			pvcore_end_access(preq->grefs[i], preq->pages[i]);
	}
	for (i = 0; i < preq->nr_indirect; i++)
		pvcore_end_access(preq->ind_grefs[i], preq->ind_pages[i]);
	preq->nr_grants = 0;
	preq->nr_indirect = 0;
}

/* Grants @page (a reference is taken for pvcore to drop); the ref, or a negative errno. */
static int pvblk_grant_page(struct pvblk_info *info, struct page *page, bool readonly)
{
	int ref;

	get_page(page);
	ref = pvcore_grant_access(info->pvdev->otherend_id, page_to_pfn(page), readonly);
	if (ref < 0)
		put_page(page);
	return ref;
}

/*
 * Grants the data of one scatterlist entry and describes it as a segment. The queue limits
 * (segment boundary = page, dma alignment 511) keep each entry inside one page and
 * sector-aligned; a violation is a driver bug, refused rather than sent.
 */
static blk_status_t pvblk_map_segment(struct pvblk_info *info, struct pvblk_req *preq,
				      struct scatterlist *sg, bool write,
				      struct blkif_request_segment *seg)
{
	unsigned int off = sg->offset, len = sg->length;
	struct pvblk_pgrant *pg = NULL;
	int ref;

	if (WARN_ON_ONCE((off | len) & (BLKIF_SECTOR_SIZE - 1) || !len || off + len > PAGE_SIZE))
		return BLK_STS_IOERR;
	if (info->persistent)
		pg = pvblk_pool_get(info, preq->ring);
	if (pg) {
		/* Same offset in the pool page: first_sect/last_sect describe both. */
		if (write)
			memcpy(page_address(pg->page) + off, sg_virt(sg), len);
		ref = pg->gref;
	} else {
		ref = pvblk_grant_page(info, sg_page(sg), write);
		if (ref < 0)
			return BLK_STS_RESOURCE; /* grant table full: blk-mq retries shortly */
		preq->grefs[preq->nr_grants] = ref;
		preq->pages[preq->nr_grants] = sg_page(sg);
	}
	preq->pg[preq->nr_grants] = pg;
	preq->nr_grants++;
	seg->gref = ref;
	seg->first_sect = off >> BLKIF_SECTOR_SHIFT;
	seg->last_sect = (off + len - 1) >> BLKIF_SECTOR_SHIFT;
	seg->pad = 0;
	return BLK_STS_OK;
}

/* Allocates and grants (read-only) the frames that will hold an indirect segment array. */
static blk_status_t pvblk_indirect_frames(struct pvblk_info *info, struct pvblk_req *preq,
					  unsigned int nseg, struct blkif_request_indirect *ind)
{
	unsigned int i, n = DIV_ROUND_UP(nseg, BLKIF_SEGS_PER_INDIRECT_FRAME);
	struct page *page;
	int ref;

	for (i = 0; i < n; i++) {
		/* queue_rq may not sleep (no BLK_MQ_F_BLOCKING). */
		page = alloc_page(GFP_NOWAIT | __GFP_NOWARN | __GFP_ZERO);
		if (!page)
			return BLK_STS_RESOURCE;
		/* pvcore_end_access takes over this only reference and frees the frame. */
		ref = pvcore_grant_access(info->pvdev->otherend_id, page_to_pfn(page), true);
		if (ref < 0) {
			__free_page(page);
			return BLK_STS_RESOURCE;
		}
		preq->ind_pages[i] = page;
		preq->ind_grefs[i] = ref;
		preq->nr_indirect++;
		ind->indirect_grefs[i] = ref;
	}
	return BLK_STS_OK;
}

/*
 * READ/WRITE: direct segments (up to 11) in the slot itself, more through indirect frames.
 * The indirect frames are filled after being granted read-only; the backend looks at them
 * only after the push that publishes the request (its barrier orders these writes).
 */
static blk_status_t pvblk_build_rw(struct pvblk_info *info, struct request *rq,
				   struct pvblk_req *preq, union blkif_request_any *req)
{
	bool write = rq_data_dir(rq) == WRITE;
	u8 op = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
	struct blkif_request_segment *segs;
	struct scatterlist *sg;
	blk_status_t st;
	int nseg, i;

	sg_init_table(preq->sg, info->max_segs);
	nseg = blk_rq_map_sg(rq->q, rq, preq->sg);
	if (nseg <= 0 || nseg > (int)info->max_segs)
		return BLK_STS_IOERR;
	if (nseg <= (int)BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		req->rw.operation = op;
		req->rw.nr_segments = nseg;
		req->rw.sector_number = blk_rq_pos(rq);
		segs = req->rw.seg;
	} else {
		req->indirect.operation = BLKIF_OP_INDIRECT;
		req->indirect.indirect_op = op;
		req->indirect.nr_segments = nseg;
		req->indirect.sector_number = blk_rq_pos(rq);
		st = pvblk_indirect_frames(info, preq, nseg, &req->indirect);
		if (st)
			return st;
		segs = NULL;
	}
	for_each_sg(preq->sg, sg, nseg, i) {
		struct blkif_request_segment *seg;

		if (segs)
			seg = &segs[i];
		else
			seg = (struct blkif_request_segment *)page_address(
				      preq->ind_pages[i / BLKIF_SEGS_PER_INDIRECT_FRAME]) +
			      i % BLKIF_SEGS_PER_INDIRECT_FRAME;
		st = pvblk_map_segment(info, preq, sg, write, seg);
		if (st)
			return st;
	}
	return BLK_STS_OK;
}

static blk_status_t pvblk_build_discard(struct pvblk_info *info, struct request *rq,
					union blkif_request_any *req, bool secure)
{
	if (!info->feat.discard || (secure && !info->feat.discard_secure))
		return BLK_STS_NOTSUPP;
	req->discard.operation = BLKIF_OP_DISCARD;
	req->discard.flag = secure ? BLKIF_DISCARD_SECURE : 0;
	req->discard.sector_number = blk_rq_pos(rq);
	req->discard.nr_sectors = blk_rq_sectors(rq);
	return BLK_STS_OK;
}

/* Fills the private request (the shadow copy) for @rq; grants what it needs. */
static blk_status_t pvblk_build(struct pvblk_info *info, struct request *rq,
				struct pvblk_req *preq, union blkif_request_any *req)
{
	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		return pvblk_build_rw(info, rq, preq, req);
	case REQ_OP_FLUSH:
		if (!info->feat.flush)
			return BLK_STS_NOTSUPP;
		req->rw.operation = BLKIF_OP_FLUSH_DISKCACHE;
		req->rw.nr_segments = 0;
		return BLK_STS_OK;
	case REQ_OP_DISCARD:
		return pvblk_build_discard(info, rq, req, false);
	case REQ_OP_SECURE_ERASE:
		return pvblk_build_discard(info, rq, req, true);
	default:
		return BLK_STS_NOTSUPP;
	}
}

/*
 * Puts the request on the ring under its id (the tag: unique per hardware queue, and the
 * tag depth equals the ring size, so a slot is always free for it). The shadow records the
 * operation so the response can be checked.
 */
static blk_status_t pvblk_submit(struct pvblk_ring *ring, struct request *rq,
				 union blkif_request_any *req)
{
	struct pvblk_inflight f = pvblk_ring_inflight(ring);
	unsigned long flags;
	blk_status_t st = BLK_STS_OK;
	int err;

	spin_lock_irqsave(&ring->lock, flags);
	/*
	 * Checked again under the ring lock: the device may have broken since queue_rq looked,
	 * and pvblk_broken_work may already have failed this ring's requests. A request put on
	 * the ring now would wait for a backend that is no longer listened to.
	 */
	if (pvblk_is_broken(ring->info)) {
		st = BLK_STS_IOERR;
		goto out;
	}
	if (!ring->live) {
		st = BLK_STS_RESOURCE; /* no ring (a reconnect is coming): blk-mq retries later */
		goto out;
	}
	err = pvblk_inflight_produce(&f, rq->tag, rq, req);
	if (err == -ENOSPC) {
		ring->need_run = true; /* the next response makes room and reruns the queue */
		st = BLK_STS_DEV_RESOURCE;
		goto out;
	}
	if (err) {
		st = BLK_STS_RESOURCE;
		goto out;
	}
	if (pv_front_push_requests(&ring->front))
		pvcore_notify_remote(ring->evtchn);
out:
	spin_unlock_irqrestore(&ring->lock, flags);
	return st;
}

static blk_status_t pvblk_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct pvblk_info *info = hctx->queue->queuedata;
	struct pvblk_ring *ring = hctx->driver_data;
	struct request *rq = bd->rq;
	struct pvblk_req *preq = blk_mq_rq_to_pdu(rq);
	union blkif_request_any req;
	blk_status_t st;

	if (pvblk_is_broken(info) || test_bit(0, &info->dying))
		return BLK_STS_IOERR;
	blk_mq_start_request(rq);
	preq->ring = ring;
	preq->read = req_op(rq) == REQ_OP_READ;
	preq->nr_grants = 0;
	preq->nr_indirect = 0;
	preq->status = BLK_STS_OK;
	memset(&req, 0, sizeof(req));
	st = pvblk_build(info, rq, preq, &req);
	if (st == BLK_STS_OK)
		st = pvblk_submit(ring, rq, &req);
	if (st != BLK_STS_OK)
		pvblk_release_grants(preq);
	return st;
}

static void pvblk_complete_rq(struct request *rq)
{
	struct pvblk_req *preq = blk_mq_rq_to_pdu(rq);

	blk_mq_end_request(rq, preq->status);
}

static int pvblk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data, unsigned int index)
{
	struct pvblk_info *info = data;

	hctx->driver_data = &info->rings[index];
	return 0;
}

const struct blk_mq_ops pvblk_mq_ops = {
	.queue_rq = pvblk_queue_rq,
	.complete = pvblk_complete_rq,
	.init_hctx = pvblk_init_hctx,
};
