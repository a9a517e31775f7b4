// SPDX-License-Identifier: GPL-2.0
/* tx.c: transmit: an skb becomes a slot chain of granted page pieces; completions end them. */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "pvcore.h"
#include "pvnet.h"

void pvnet_tx_init(struct pvnet_queue *q)
{
	unsigned int i;

	for (i = 0; i < PVNET_TX_RING_SIZE; i++)
		q->tx_free[i] = (u16)(PVNET_TX_RING_SIZE - 1U - i);
	q->tx_free_count = PVNET_TX_RING_SIZE;
}

/* Slots a piece of @len bytes at @offset into its page takes (it never crosses a page). */
static unsigned int pvnet_piece_slots(unsigned long offset, unsigned int len)
{
	return len ? (unsigned int)DIV_ROUND_UP((offset & ~PAGE_MASK) + len, PAGE_SIZE) : 0U;
}

static unsigned int pvnet_count_slots(struct sk_buff *skb)
{
	unsigned int i, n;

	n = pvnet_piece_slots(offset_in_page(skb->data), skb_headlen(skb));
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		n += pvnet_piece_slots(skb_frag_off(f), skb_frag_size(f));
	}
	return n;
}

/* Building one packet's chain; the previous data slot is held back until we know its flags. */
struct pvnet_tx_build {
	struct pvnet_queue *q;
	struct sk_buff *skb;
	struct netif_tx_request pending;
	bool have_pending;
	bool first; /* the next piece is slot 0 */
	u16 slot0_flags;
	struct netif_extra_info gso; /* produced right after slot 0 when type != NONE */
};

static void pvnet_tx_emit(struct pvnet_tx_build *b, bool more)
{
	struct pvnet_queue *q = b->q;
	bool slot0 = b->pending.flags & NETTXF_extra_info;

	if (more)
		b->pending.flags |= NETTXF_more_data;
	/* Space for the whole chain was checked before building: these cannot fail. */
	WARN_ON_ONCE(pv_front_produce(&q->tx, &b->pending, sizeof(b->pending)));
	if (slot0)
		WARN_ON_ONCE(pv_front_produce(&q->tx, &b->gso, sizeof(b->gso)));
	b->have_pending = false;
}

/* Grants one page piece and queues its slot. -ENOSPC when out of grant refs. */
static int pvnet_tx_piece(struct pvnet_tx_build *b, struct page *page, unsigned int off,
			  unsigned int len)
{
	struct pvnet_queue *q = b->q;
	int ref;
	u16 id;

	ref = pvcore_grant_access(q->info->pvdev->otherend_id, page_to_pfn(page), true);
	if (ref < 0)
		return ref;
	if (b->have_pending)
		pvnet_tx_emit(b, true);
	id = q->tx_free[--q->tx_free_count];
	q->tx_shadow[id].skb = skb_get(b->skb);
	q->tx_shadow[id].gref = (u32)ref;
	b->pending = (struct netif_tx_request){
		.gref = (u32)ref, .offset = (u16)off, .id = id, .size = (u16)len,
	};
	if (b->first) {
		b->pending.size = (u16)b->skb->len;
		b->pending.flags = b->slot0_flags;
		b->first = false;
	}
	b->have_pending = true;
	return 0;
}

/* Splits [data, data + len) of a page-backed buffer at page boundaries. */
static int pvnet_tx_range(struct pvnet_tx_build *b, struct page *page, unsigned long off,
			  unsigned int len)
{
	int err;

	page += off >> PAGE_SHIFT;
	off &= ~PAGE_MASK;
	while (len) {
		unsigned int chunk = min_t(unsigned int, len, PAGE_SIZE - off);

		err = pvnet_tx_piece(b, page, (unsigned int)off, chunk);
		if (err)
			return err;
		len -= chunk;
		off = 0;
		page++;
	}
	return 0;
}

/* Frees one data slot's id: ends its grant and drops its skb reference. */
static bool pvnet_tx_put_id(struct pvnet_queue *q, u16 id)
{
	struct pvnet_tx_shadow *s = &q->tx_shadow[id];

	if (!pvcore_end_access_ref(s->gref)) {
		/* The backend answered but still maps the page: keep skb and ref forever. */
		pvnet_tx_count(q, PVNET_TX_GRANT_BUSY, 1);
		s->skb = NULL;
		return false;
	}
	pvcore_release_refs(&s->gref, 1);
	dev_kfree_skb_any(s->skb);
	s->skb = NULL;
	q->tx_free[q->tx_free_count++] = id;
	return true;
}

/* Undoes a partly built chain: nothing of it was published. */
static void pvnet_tx_unwind(struct pvnet_queue *q, u32 start, unsigned int ids_before)
{
	while (q->tx_free_count < ids_before) {
		u16 id = q->tx_free[q->tx_free_count];

		/* A grant the backend never saw cannot be busy; if it is, the ref leaks. */
		if (!pvnet_tx_put_id(q, id))
			q->tx_free_count++;
	}
	q->tx.req_prod_pvt = start;
}

static u16 pvnet_tx_csum_flags(const struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		return NETTXF_csum_blank | NETTXF_data_validated;
	if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		return NETTXF_data_validated;
	return 0;
}

/* The GSO extra of @skb; false if its GSO type is not one netif carries. */
static bool pvnet_tx_gso(const struct sk_buff *skb, struct netif_extra_info *gso)
{
	unsigned int type = skb_shinfo(skb)->gso_type;

	memset(gso, 0, sizeof(*gso));
	if (!skb_is_gso(skb))
		return true;
	if (type & SKB_GSO_TCPV4)
		gso->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	else if (type & SKB_GSO_TCPV6)
		gso->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV6;
	else
		return false;
	gso->type = XEN_NETIF_EXTRA_TYPE_GSO;
	gso->u.gso.size = skb_shinfo(skb)->gso_size;
	return skb->ip_summed == CHECKSUM_PARTIAL;
}

static int pvnet_tx_build_chain(struct pvnet_queue *q, struct sk_buff *skb,
				const struct netif_extra_info *gso)
{
	struct pvnet_tx_build b = { .q = q, .skb = skb, .first = true };
	unsigned int i;
	int err;

	b.slot0_flags = pvnet_tx_csum_flags(skb);
	b.gso = *gso;
	if (gso->type != XEN_NETIF_EXTRA_TYPE_NONE)
		b.slot0_flags |= NETTXF_extra_info;
	err = pvnet_tx_range(&b, virt_to_page(skb->data), offset_in_page(skb->data),
			     skb_headlen(skb));
	for (i = 0; !err && i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		err = pvnet_tx_range(&b, skb_frag_page(f), skb_frag_off(f), skb_frag_size(f));
	}
	if (err)
		return err;
	pvnet_tx_emit(&b, false);
	return 0;
}

static bool pvnet_tx_room(struct pvnet_queue *q)
{
	return pv_front_free_slots(&q->tx) >= PVNET_TX_MAX_SLOTS;
}

/* Prepares @skb for the ring; false when it must be dropped (then it is freed). */
static bool pvnet_tx_prepare(struct sk_buff **skbp, unsigned int *slots)
{
	struct sk_buff *skb = *skbp;

	if (skb_put_padto(skb, ETH_ZLEN))
		return false; /* freed by skb_put_padto */
	if (skb->len > XEN_NETIF_MAX_TX_SIZE)
		goto drop;
	*slots = pvnet_count_slots(skb);
	if (*slots > XEN_NETIF_NR_SLOTS_MIN) {
		if (skb_linearize(skb))
			goto drop;
		*slots = pvnet_count_slots(skb);
		if (*slots > XEN_NETIF_NR_SLOTS_MIN)
			goto drop;
	}
	return true;
drop:
	dev_kfree_skb_any(skb);
	return false;
}

netdev_tx_t pvnet_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct pvnet_info *info = netdev_priv(dev);
	unsigned int qid = skb_get_queue_mapping(skb), slots, len, ids;
	struct netdev_queue *txq = netdev_get_tx_queue(dev, qid);
	struct netif_extra_info gso;
	struct pvnet_queue *q;
	u32 start;

	if (unlikely(qid >= info->num_queues))
		qid = 0;
	q = &info->queues[qid];
	if (unlikely(!info->connected || pvnet_queue_broken(q)) ||
	    unlikely(!pvnet_tx_gso(skb, &gso))) {
		dev_kfree_skb_any(skb);
		skb = NULL;
	} else if (!pvnet_tx_prepare(&skb, &slots)) {
		skb = NULL;
	}
	spin_lock(&q->tx_lock);
	if (!skb) {
		pvnet_tx_count(q, PVNET_TX_DROPS, 1);
		goto out;
	}
	if (unlikely(!pvnet_tx_room(q))) {
		netif_tx_stop_queue(txq);
		pvnet_tx_count(q, PVNET_TX_BUSY, 1);
		spin_unlock(&q->tx_lock);
		return NETDEV_TX_BUSY;
	}
	len = skb->len;
	start = q->tx.req_prod_pvt;
	ids = q->tx_free_count;
	if (pvnet_tx_build_chain(q, skb, &gso)) {
		pvnet_tx_unwind(q, start, ids);
		pvnet_tx_count(q, PVNET_TX_GRANT_FAIL, 1);
		pvnet_tx_count(q, PVNET_TX_DROPS, 1);
		dev_kfree_skb_any(skb);
		goto out;
	}
	/* Each data slot holds its own reference now; ours goes. */
	dev_consume_skb_any(skb);
	pvnet_tx_count(q, PVNET_TX_PACKETS, 1);
	pvnet_tx_count(q, PVNET_TX_BYTES, len);
	if (pv_front_push_requests(&q->tx))
		pvcore_notify_remote(q->evtchn);
	if (!pvnet_tx_room(q))
		netif_tx_stop_queue(txq);
out:
	spin_unlock(&q->tx_lock);
	return NETDEV_TX_OK;
}

/* One tx response (a private copy): validated against the shadow, then completed. */
static bool pvnet_tx_response(struct pvnet_queue *q, const struct netif_tx_response *rsp)
{
	if (rsp->status == NETIF_RSP_NULL)
		return true; /* an extra slot's answer: no id */
	if (rsp->id >= PVNET_TX_RING_SIZE || !q->tx_shadow[rsp->id].skb) {
		pvnet_tx_count(q, PVNET_TX_BAD_ID, 1);
		return false;
	}
	if (rsp->status == NETIF_RSP_ERROR || rsp->status == NETIF_RSP_DROPPED)
		pvnet_tx_count(q, PVNET_TX_ERRORS, 1);
	else if (rsp->status != NETIF_RSP_OKAY)
		pvnet_tx_count(q, PVNET_TX_BAD_STATUS, 1);
	return pvnet_tx_put_id(q, rsp->id);
}

/* From the NAPI poll: consumes every tx response, restarts a stopped queue. */
void pvnet_tx_complete(struct pvnet_queue *q)
{
	struct netdev_queue *txq = netdev_get_tx_queue(q->info->netdev, q->id);
	struct netif_tx_response rsp;
	const char *why = NULL;
	int n;

	spin_lock(&q->tx_lock);
	do {
		while ((n = pv_front_consume_response(&q->tx, &rsp, sizeof(rsp))) == 1) {
			if (!pvnet_tx_response(q, &rsp)) {
				why = "tx response id or grant";
				break;
			}
		}
		if (n < 0) {
			pvnet_tx_count(q, PVNET_TX_RING_OVERFLOW, 1);
			why = "tx response producer overflow";
		}
	} while (!why && pv_front_final_check_for_responses(&q->tx) > 0);
	if (!why && q->tx.broken)
		why = "tx response producer overflow";
	if (!why && netif_tx_queue_stopped(txq) && pvnet_tx_room(q) && q->info->connected)
		netif_tx_wake_queue(txq);
	spin_unlock(&q->tx_lock);
	if (why)
		pvnet_queue_break(q, why);
}

/* At teardown (irq unbound, NAPI off): ends every outstanding slot. */
void pvnet_tx_release_all(struct pvnet_queue *q)
{
	unsigned int id;

	spin_lock_bh(&q->tx_lock);
	for (id = 0; id < PVNET_TX_RING_SIZE; id++)
		if (q->tx_shadow[id].skb)
			pvnet_tx_put_id(q, (u16)id);
	spin_unlock_bh(&q->tx_lock);
}
