// SPDX-License-Identifier: GPL-2.0
/* ring.c: one blkif ring: pages, event channel, irq; responses checked against the shadow. */
#include <linux/blk-mq.h>
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/slab.h>

#include "pvblk.h"
#include "pvcore.h"

/*
 * Marks the device broken after a protocol violation: one log line, then every request
 * fails with BLK_STS_IOERR (queue_rq checks the bit; outstanding ones are failed by the
 * caller or at teardown). Never cleared: a new device instance is needed to trust again.
 */
void pvblk_mark_broken(struct pvblk_info *info, const char *why, u64 id)
{
	atomic_inc(&info->violations);
	if (test_and_set_bit(0, &info->broken))
		return;
	dev_err(&info->pvdev->dev, "backend broke the blkif protocol (%s, id %llu); disk disabled\n",
		why, (unsigned long long)id);
	schedule_work(&info->broken_work);
}

static blk_status_t pvblk_rsp_status(s16 status, bool *valid)
{
	*valid = true;
	switch (status) {
	case BLKIF_RSP_OKAY:
		return BLK_STS_OK;
	case BLKIF_RSP_EOPNOTSUPP:
		return BLK_STS_NOTSUPP;
	case BLKIF_RSP_ERROR:
		return BLK_STS_IOERR;
	default:
		*valid = false;
		return BLK_STS_IOERR;
	}
}

/* Ends the shadow entry of @id and completes its request with @status. Ring lock held. */
static void pvblk_finish(struct pvblk_ring *ring, u64 id, blk_status_t status)
{
	struct request *rq = ring->shadow[id].rq;
	struct pvblk_req *preq = blk_mq_rq_to_pdu(rq);

	ring->shadow[id].rq = NULL;
	if (status == BLK_STS_OK)
		pvblk_copy_back(preq);
	pvblk_release_grants(preq);
	preq->status = status;
	blk_mq_complete_request(rq);
}

/* Fails every outstanding request of the ring. Ring lock held. */
static void pvblk_fail_outstanding(struct pvblk_ring *ring)
{
	u32 i;

	for (i = 0; i < ring->front.size; i++)
		if (ring->shadow[i].rq)
			pvblk_finish(ring, i, BLK_STS_IOERR);
}

/* After pvblk_mark_broken: fails what every ring still has outstanding (rings locked one at
 * a time: the violation was found under one ring's lock, which cannot take the others). */
void pvblk_broken_work(struct work_struct *work)
{
	struct pvblk_info *info = container_of(work, struct pvblk_info, broken_work);
	unsigned int i;

	/* `live` is only changed under the ring lock, and the shadow lives while it is set. */
	for (i = 0; i < PVBLK_MAX_QUEUES; i++) {
		struct pvblk_ring *ring = &info->rings[i];

		spin_lock_irq(&ring->lock);
		if (ring->live)
			pvblk_fail_outstanding(ring);
		spin_unlock_irq(&ring->lock);
	}
}

/*
 * One response, a private copy. Checked before anything is trusted: the id names an
 * outstanding request of this ring, the operation is the one we sent, the status is known.
 * false: a violation (the caller breaks the device).
 */
static bool pvblk_handle_response(struct pvblk_ring *ring, const struct blkif_response *rsp)
{
	struct pvblk_info *info = ring->info;
	blk_status_t status;
	bool valid;

	if (rsp->id >= ring->front.size || !ring->shadow[rsp->id].rq) {
		pvblk_mark_broken(info, "response id not outstanding", rsp->id);
		return false;
	}
	if (rsp->operation != ring->shadow[rsp->id].operation) {
		pvblk_mark_broken(info, "response operation differs from the request", rsp->id);
		return false;
	}
	status = pvblk_rsp_status(rsp->status, &valid);
	if (!valid) {
		pvblk_mark_broken(info, "unknown response status", rsp->id);
		return false;
	}
	if (status == BLK_STS_NOTSUPP && rsp->operation == BLKIF_OP_FLUSH_DISKCACHE)
		dev_warn_ratelimited(&info->pvdev->dev, "backend refused a flush\n");
	pvblk_finish(ring, rsp->id, status);
	return true;
}

/* Consumes every published response. Ring lock held. */
static void pvblk_ring_drain(struct pvblk_ring *ring)
{
	struct blkif_response rsp;
	int n;

	for (;;) {
		while ((n = pv_front_consume_response(&ring->front, &rsp, sizeof(rsp))) == 1)
			if (!pvblk_handle_response(ring, &rsp))
				goto broken;
		if (n < 0) {
			pvblk_mark_broken(ring->info, "more responses than requests", 0);
			goto broken;
		}
		n = pv_front_final_check_for_responses(&ring->front);
		if (n == 0)
			return;
		if (n < 0) {
			pvblk_mark_broken(ring->info, "more responses than requests", 0);
			goto broken;
		}
	}
broken:
	/* The ring is never read again: fail all of this ring's I/O (other rings see the bit). */
	pvblk_fail_outstanding(ring);
}

static irqreturn_t pvblk_interrupt(int irq, void *dev_id)
{
	struct pvblk_ring *ring = dev_id;
	unsigned long flags;
	bool rerun;

	spin_lock_irqsave(&ring->lock, flags);
	if (!ring->live) {
		spin_unlock_irqrestore(&ring->lock, flags);
		return IRQ_HANDLED;
	}
	if (pvblk_is_broken(ring->info))
		pvblk_fail_outstanding(ring);
	else
		pvblk_ring_drain(ring);
	rerun = ring->need_run;
	ring->need_run = false;
	spin_unlock_irqrestore(&ring->lock, flags);
	/* A request was turned away while the ring was full: now there is room. */
	if (rerun && ring->info->gd)
		blk_mq_run_hw_queues(ring->info->gd->queue, true);
	return IRQ_HANDLED;
}

static int pvblk_ring_bind(struct pvblk_ring *ring)
{
	struct pvbus_device *pvdev = ring->info->pvdev;
	unsigned int cpu;
	int err, irq;

	err = pvbus_alloc_evtchn(pvdev, &ring->evtchn);
	if (err)
		return err;
	irq = pvcore_bind_existing_port(ring->evtchn, true, pvblk_interrupt, 0, ring->name, ring);
	if (irq < 0) {
		pvbus_free_evtchn(pvdev, ring->evtchn);
		return irq;
	}
	ring->irq = irq;
	/* blk-mq's default map gives hardware queue i to CPU i when there is one per CPU. */
	cpu = ring->id % num_online_cpus();
	if (cpu_online(cpu))
		irq_set_affinity_hint(irq, cpumask_of(cpu));
	return 0;
}

/* Sets up ring @id (pages, shadow, event channel) but does not publish it. info->lock held. */
int pvblk_ring_setup(struct pvblk_info *info, unsigned int id)
{
	struct pvblk_ring *ring = &info->rings[id];
	u32 bytes;
	int err;

	/* ring->lock was initialised at probe and outlives setups (pvblk_broken_work takes it). */
	ring->info = info;
	ring->id = id;
	ring->nr_pages = 1U << info->ring_order;
	ring->sring = NULL;
	ring->shadow = NULL;
	ring->irq = 0;
	ring->need_run = false;
	snprintf(ring->name, sizeof(ring->name), "pvblk%u-q%u", info->devid, id);

	err = pvbus_setup_ring(info->pvdev, GFP_KERNEL, &ring->sring, ring->nr_pages, ring->grefs);
	if (err)
		return err;
	bytes = PV_RING_BYTES(ring->nr_pages);
	pv_sring_init(ring->sring, bytes); /* before the refs are published: backend attaches later */
	if (pv_front_ring_attach(&ring->front, ring->sring, bytes,
				 sizeof(union blkif_sring_entry)) < 0) {
		err = -EINVAL;
		goto fail;
	}
	ring->shadow = kcalloc(ring->front.size, sizeof(*ring->shadow), GFP_KERNEL);
	if (!ring->shadow) {
		err = -ENOMEM;
		goto fail;
	}
	err = pvblk_ring_bind(ring);
	if (err)
		goto fail;
	spin_lock_irq(&ring->lock);
	ring->live = true;
	spin_unlock_irq(&ring->lock);
	return 0;
fail:
	kfree(ring->shadow);
	ring->shadow = NULL;
	pvbus_teardown_ring(info->pvdev, &ring->sring, ring->nr_pages, ring->grefs);
	ring->info = NULL;
	return err;
}

/*
 * Undoes pvblk_ring_setup. Outstanding requests get their grants ended and are requeued
 * (@requeue: a backend reconnect resends them) or failed. The irq goes first: free_irq
 * waits for a running handler, so nothing touches the ring afterwards. The caller has
 * quiesced the queue, so queue_rq is not producing on it either. info->lock held.
 */
void pvblk_ring_teardown(struct pvblk_ring *ring, bool requeue)
{
	struct pvblk_info *info = ring->info;
	u32 i;

	if (!info)
		return;
	if (ring->irq > 0) {
		irq_set_affinity_hint(ring->irq, NULL);
		pvcore_unbind(ring->irq, ring);
	}
	ring->irq = 0;
	spin_lock_irq(&ring->lock);
	ring->live = false;
	for (i = 0; i < ring->front.size; i++) {
		struct request *rq = ring->shadow[i].rq;

		if (!rq)
			continue;
		if (!requeue || pvblk_is_broken(info)) {
			pvblk_finish(ring, i, BLK_STS_IOERR);
			continue;
		}
		ring->shadow[i].rq = NULL;
		pvblk_release_grants(blk_mq_rq_to_pdu(rq));
		blk_mq_requeue_request(rq, false);
	}
	spin_unlock_irq(&ring->lock);
	pvblk_pool_free(ring); /* every request's persistent grants are back in the pool */
	kfree(ring->shadow);
	ring->shadow = NULL;
	pvbus_teardown_ring(info->pvdev, &ring->sring, ring->nr_pages, ring->grefs);
	ring->info = NULL;
}
