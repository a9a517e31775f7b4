// SPDX-License-Identifier: GPL-2.0
/* queue.c: one pvnet queue's lifetime: rings, rx buffers, event channel, NAPI; breaking it. */
#include <linux/interrupt.h>
#include <linux/netdevice.h>

#include "pvcore.h"
#include "pvnet.h"

static irqreturn_t pvnet_interrupt(int irq, void *dev_id)
{
	struct pvnet_queue *q = dev_id;

	/* Both rings are served from the poll; a broken queue ignores its backend. */
	if (!pvnet_queue_broken(q))
		napi_schedule(&q->napi);
	return IRQ_HANDLED;
}

/*
 * Marks the queue dead after a protocol violation: one log line, the tx queue stopped, the
 * carrier off. The rings are never read again until a reconnect sets the queue up anew.
 */
void pvnet_queue_break(struct pvnet_queue *q, const char *why)
{
	struct net_device *dev = q->info->netdev;

	if (test_and_set_bit(0, &q->broken))
		return;
	netdev_err(dev, "queue %u: backend broke the protocol (%s); queue stopped\n", q->id, why);
	netif_tx_stop_queue(netdev_get_tx_queue(dev, q->id));
	netif_carrier_off(dev);
}

static int pvnet_ring_setup(struct pvnet_queue *q, void **sring, u32 *ref,
			    struct pv_front_ring *ring, u32 entry_size)
{
	int err;

	err = pvbus_setup_ring(q->info->pvdev, GFP_KERNEL, sring, 1, ref);
	if (err)
		return err;
	/* Indices start before the ring ref is published in the store: the backend attaches later. */
	pv_sring_init(*sring, PV_RING_BYTES(1U));
	if (pv_front_ring_attach(ring, *sring, PV_RING_BYTES(1U), entry_size) < 0) {
		pvbus_teardown_ring(q->info->pvdev, sring, 1, ref);
		return -EINVAL;
	}
	return 0;
}

static int pvnet_rx_claim_refs(struct pvnet_queue *q)
{
	u32 refs[PVNET_RX_RING_SIZE];
	unsigned int i;
	int err;

	err = pvcore_claim_refs(PVNET_RX_RING_SIZE, refs);
	if (err)
		return err;
	for (i = 0; i < PVNET_RX_RING_SIZE; i++) {
		q->rx_bufs[i].gref = refs[i];
		q->rx_bufs[i].page = NULL;
	}
	q->rx_refs_claimed = true;
	return 0;
}

static void pvnet_rx_release_refs(struct pvnet_queue *q)
{
	unsigned int i;

	if (!q->rx_refs_claimed)
		return;
	/* A ref still granted (a leaked page, see pvnet_rx_release_all) is deferred by pvcore. */
	for (i = 0; i < PVNET_RX_RING_SIZE; i++)
		pvcore_release_refs(&q->rx_bufs[i].gref, 1);
	q->rx_refs_claimed = false;
}

static int pvnet_queue_bind(struct pvnet_queue *q)
{
	struct pvbus_device *pvdev = q->info->pvdev;
	int err, irq;

	err = pvbus_alloc_evtchn(pvdev, &q->evtchn);
	if (err)
		return err;
	irq = pvcore_bind_existing_port(q->evtchn, true, pvnet_interrupt, 0, q->name, q);
	if (irq < 0) {
		pvbus_free_evtchn(pvdev, q->evtchn);
		return irq;
	}
	q->irq = irq;
	return 0;
}

/* Sets up queue @id fully (rx buffers posted) but does not publish it. Caller holds rtnl. */
int pvnet_queue_setup(struct pvnet_info *info, unsigned int id)
{
	struct pvnet_queue *q = &info->queues[id];
	int err;

	memset(q, 0, sizeof(*q));
	q->info = info;
	q->id = id;
	snprintf(q->name, sizeof(q->name), "%s-q%u", info->netdev->name, id);
	spin_lock_init(&q->tx_lock);
	u64_stats_init(&q->rx_syncp);
	u64_stats_init(&q->tx_syncp);
	pvnet_tx_init(q);

	err = pvnet_ring_setup(q, &q->tx_sring, &q->tx_ring_ref, &q->tx,
			       sizeof(union netif_tx_sring_entry));
	if (err)
		goto fail;
	err = pvnet_ring_setup(q, &q->rx_sring, &q->rx_ring_ref, &q->rx,
			       sizeof(union netif_rx_sring_entry));
	if (err)
		goto fail;
	err = pvnet_rx_claim_refs(q);
	if (err)
		goto fail;
	netif_napi_add(info->netdev, &q->napi, pvnet_poll);
	err = pvnet_queue_bind(q);
	if (err) {
		netif_napi_del(&q->napi);
		goto fail;
	}
	/* The backend sees these when it attaches (it reads req_prod then); no kick yet. */
	pvnet_rx_refill(q, false);
	if (netif_running(info->netdev))
		napi_enable(&q->napi);
	return 0;

fail:
	pvnet_rx_release_refs(q);
	if (q->rx_sring)
		pvbus_teardown_ring(info->pvdev, &q->rx_sring, 1, &q->rx_ring_ref);
	if (q->tx_sring)
		pvbus_teardown_ring(info->pvdev, &q->tx_sring, 1, &q->tx_ring_ref);
	q->info = NULL;
	return err;
}

/*
 * Undoes pvnet_queue_setup. Caller holds rtnl. Order: the irq goes first (free_irq waits for
 * a running handler), then NAPI (waits for a running poll), then the buffers and rings.
 */
void pvnet_queue_teardown(struct pvnet_queue *q)
{
	struct pvnet_info *info = q->info;

	if (!info)
		return;
	if (q->irq > 0)
		pvcore_unbind(q->irq, q);
	q->irq = 0;
	if (netif_running(info->netdev))
		napi_disable(&q->napi);
	netif_napi_del(&q->napi);
	pvnet_tx_release_all(q);
	pvnet_rx_release_all(q);
	pvnet_rx_release_refs(q);
	pvbus_teardown_ring(info->pvdev, &q->rx_sring, 1, &q->rx_ring_ref);
	pvbus_teardown_ring(info->pvdev, &q->tx_sring, 1, &q->tx_ring_ref);
	q->info = NULL;
}
