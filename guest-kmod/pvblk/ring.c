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

/* shadow.c's callback: a violation on @ring breaks the whole device. */
void pvblk_ring_violation(struct pvblk_ring *ring, const char *why, u64 id)
{
	pvblk_mark_broken(ring->info, why, id);
}

/* shadow.c's callback: @rq is off the shadow; its data and grants are settled here. */
void pvblk_end_request(struct pvblk_ring *ring, struct request *rq, u8 operation,
		       blk_status_t status)
{
	struct pvblk_req *preq = blk_mq_rq_to_pdu(rq);

	if (status == BLK_STS_NOTSUPP && operation == BLKIF_OP_FLUSH_DISKCACHE)
		dev_warn_ratelimited(&ring->info->pvdev->dev, "backend refused a flush\n");
	if (status == BLK_STS_OK)
		pvblk_copy_back(preq);
	pvblk_release_grants(preq);
	preq->status = status;
	blk_mq_complete_request(rq);
}

/* Fails every outstanding request of the ring. Ring lock held. */
static void pvblk_fail_outstanding(struct pvblk_ring *ring)
{
	struct pvblk_inflight f = pvblk_ring_inflight(ring);

	pvblk_inflight_fail_all(&f);
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

/* Consumes every published response (checked in shadow.c). Ring lock held. */
static void pvblk_ring_drain(struct pvblk_ring *ring)
{
	struct pvblk_inflight f = pvblk_ring_inflight(ring);

	pvblk_inflight_drain(&f);
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
		struct pvblk_inflight f = pvblk_ring_inflight(ring);
		struct request *rq = ring->shadow[i].rq;

		if (!rq)
			continue;
		if (!requeue || pvblk_is_broken(info)) {
			pvblk_inflight_end(&f, i, BLK_STS_IOERR);
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
